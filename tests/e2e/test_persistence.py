"""Stored data survives a clean restart, an abrupt kill, and ids are never reused."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio

from tests.e2e.test_apis import API, bindings
from tests.support.processes import ServerProcess
from tests.support.server import RpcClient, start_server


async def test_data_survives_a_clean_restart(nursery: trio.Nursery, tmp_path: Path) -> None:
    first = await start_server(nursery, tmp_path / "data")
    await first.client.result("api.create", API)
    await first.client.result("api_group.create", {"api_group_id": "g", "display_name": "G", "bindings": bindings()})
    await first.client.http.aclose()
    await first.stop()

    second = await start_server(nursery, tmp_path / "data")
    try:
        assert (await second.client.result("api.get", {"api_id": "main"}))["api_key_masked"] == "sk-a...1234"
        assert (await second.client.result("api_group.get", {"api_group_id": "g"}))["bindings"] == bindings()
    finally:
        await second.client.http.aclose()
        await second.stop()


async def test_committed_writes_survive_sigkill_and_sigterm_exits_cleanly(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    await server.start()
    async with httpx.AsyncClient(base_url=server.url) as http:
        rpc = RpcClient(http)
        for index in range(20):
            await rpc.result("api.create", {**API, "api_id": f"api-{index:02d}"})
    await server.kill()

    restarted = ServerProcess(tmp_path / "data")
    await restarted.start()
    async with httpx.AsyncClient(base_url=restarted.url) as http:
        listed = await RpcClient(http).result("api.list")
    assert [api["api_id"] for api in listed["apis"]] == [f"api-{index:02d}" for index in range(20)]
    assert await restarted.terminate() == 0
