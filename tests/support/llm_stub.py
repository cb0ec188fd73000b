"""Start the real LLM stub inside a test's nursery, and drive its control API over HTTP."""

from __future__ import annotations

from typing import Any

import attrs
import httpx
import trio

from transport.llm_stub import StubMode, StubSettings, serve_stub


@attrs.define
class StubControl:
    """The stub's `/_stub/` API: queue steps, read what was received, reset."""

    http: httpx.AsyncClient

    async def script(self, *steps: dict[str, Any], model: str = "*") -> None:
        """Queue `steps` (StubStep fields) for `model`, or for any model."""
        response = await self.http.post("/_stub/script", json={"model": model, "steps": list(steps)})
        assert response.status_code == 200, response.text

    async def requests(self) -> list[dict[str, Any]]:
        """Every provider request received so far: method, path, headers (lower-case names), body."""
        response = await self.http.get("/_stub/requests")
        assert response.status_code == 200, response.text
        return response.json()["requests"]

    async def reset(self) -> None:
        response = await self.http.post("/_stub/reset")
        assert response.status_code == 200, response.text


@attrs.define
class RunningStub:
    url: str
    control: StubControl
    shutdown: trio.Event
    stopped: trio.Event

    @property
    def openai_base_url(self) -> str:
        """What an `open_ai` api's `base_url` is set to (the version path included)."""
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        """What an `anthropic` api's `base_url` is set to (the API root)."""
        return self.url

    async def stop(self) -> None:
        self.shutdown.set()
        await self.stopped.wait()


async def start_llm_stub(nursery: trio.Nursery, **settings: Any) -> RunningStub:
    """Serve the stub on 127.0.0.1:0 (scripted mode unless told otherwise) until `stop()`."""
    shutdown, stopped = trio.Event(), trio.Event()
    config = StubSettings(**{"mode": StubMode.SCRIPTED, "shutdown_grace_s": 0.2, **settings, "listen": "127.0.0.1:0"})

    async def serve(task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            await serve_stub(config, shutdown.wait, task_status=task_status)
        finally:
            stopped.set()

    binds = await nursery.start(serve)
    url = binds[0]
    return RunningStub(url, StubControl(httpx.AsyncClient(base_url=url, timeout=30)), shutdown, stopped)
