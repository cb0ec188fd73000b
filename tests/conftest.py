"""Fixtures shared by every test: a real server on a loopback port with a fresh DuckDB file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from tests.support.llm_stub import RunningStub, start_llm_stub
from tests.support.server import RpcClient, RunningServer, start_server


@pytest.fixture
async def server(nursery: trio.Nursery, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(nursery, tmp_path / "data")
    try:
        yield running
    finally:
        await running.client.http.aclose()
        await running.stop()


@pytest.fixture
def rpc(server: RunningServer) -> RpcClient:
    return server.client


@pytest.fixture
async def llm_stub(nursery: trio.Nursery) -> AsyncIterator[RunningStub]:
    """The real LLM stub in scripted mode (unscripted models get auto answers)."""
    stub = await start_llm_stub(nursery)
    try:
        yield stub
    finally:
        await stub.control.http.aclose()
        await stub.stop()
