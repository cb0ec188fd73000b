"""Start the real server (hypercorn + DuckDB file) inside a test's nursery, and talk to it over HTTP."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import trio

from transport.server import run_server
from transport.settings import Settings


@attrs.define
class RpcClient:
    """A JSON-RPC client over a real HTTP connection."""

    http: httpx.AsyncClient
    _ids: Any = attrs.field(factory=lambda: itertools.count(1))

    async def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        expect_status: int | None = None,
    ) -> dict[str, Any]:
        """Send one request; return the whole response envelope."""
        envelope: dict[str, Any] = {
            "jsonrpc": "2.0",
            "id": f"req-{next(self._ids)}",
            "method": method,
            "params": {} if params is None else params,
        }
        if session_id is not None:
            envelope["session_id"] = session_id
        response = await self.http.post("/rpc", json=envelope)
        if expect_status is not None:
            assert response.status_code == expect_status, response.text
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    async def result(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Call and return `result`, failing the test on an error envelope."""
        envelope = await self.call(method, params, **kwargs)
        assert "error" not in envelope, envelope
        return envelope["result"]

    async def error(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Call and return `error`, failing the test on success."""
        envelope = await self.call(method, params, **kwargs)
        assert "error" in envelope, envelope
        return envelope["error"]


@attrs.define
class RunningServer:
    url: str
    data_dir: Path
    shutdown: trio.Event
    stopped: trio.Event
    client: RpcClient

    async def stop(self) -> None:
        self.shutdown.set()
        await self.stopped.wait()


async def start_server(
    nursery: trio.Nursery, data_dir: Path, http: httpx.AsyncClient | None = None, **settings: Any
) -> RunningServer:
    """Serve on 127.0.0.1:0 with a DuckDB file in `data_dir` until `stop()`."""
    shutdown, stopped = trio.Event(), trio.Event()
    config = Settings(listen="127.0.0.1:0", data_dir=data_dir, shutdown_grace_s=0.5, **settings)

    async def serve(task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            await run_server(config, shutdown.wait, task_status=task_status)
        finally:
            stopped.set()

    binds = await nursery.start(serve)
    url = binds[0]
    client = http or httpx.AsyncClient(base_url=url, timeout=30)
    return RunningServer(url, data_dir, shutdown, stopped, RpcClient(client))


async def open_client(url: str) -> AsyncIterator[RpcClient]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield RpcClient(http)
