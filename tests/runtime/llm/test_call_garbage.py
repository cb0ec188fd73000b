"""A finished provider call is freed by reference counting: it leaves no cycle for the collector.

Under load a call lives for seconds, long enough for its objects to reach the oldest generation;
cycles among them would pile up there until a full collection, which served processes keep rare
because it stops the event loop (`transport.gc_tuning`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

import pytest

from runtime.errors import ProviderError
from runtime.llm import CallTags, ChatRequest
from runtime.model.apis import Agent, Provider
from tests.runtime.llm.conftest import LlmRig

REQUEST = ChatRequest(Agent.NARRATOR, "system", "user")
HTTP_MODULES = ("httpx", "httpcore", "h11")


@contextlib.contextmanager
def cyclic_garbage() -> Iterator[list[str]]:
    """The type names of the HTTP client's objects that only the cycle collector freed in the block."""
    found: list[str] = []
    gc.collect()
    gc.disable()
    try:
        yield found
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found.extend(
            f"{module}.{kind.__qualname__}"
            for kind in map(type, gc.garbage)
            if (module := getattr(kind, "__module__", "") or "").split(".")[0] in HTTP_MODULES
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_finished_calls_leave_no_cycles_of_the_http_client(rig: LlmRig, provider: Provider) -> None:
    client = rig.llm.client_for(rig.api(provider), CallTags(session_id="session-1", turn_index=1))
    await client.complete(REQUEST)  # the connection is opened and kept outside the measured block
    with cyclic_garbage() as garbage:
        for _ in range(3):
            await client.complete(REQUEST)
            async with client.stream(REQUEST) as stream:
                assert [delta async for delta in stream]
    assert garbage == []


async def test_failed_calls_leave_no_cycles_of_the_http_client(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script(*[{"status": 400, "error_message": "bad request"}] * 2)
    client = rig.llm.client_for(rig.api(provider))
    with cyclic_garbage() as garbage:
        with pytest.raises(ProviderError):
            await client.complete(REQUEST)
        with pytest.raises(ProviderError):
            async with client.stream(REQUEST) as stream:
                [delta async for delta in stream]
    assert garbage == []
