"""Provider faults during story generation, over HTTP with the real LLM stub (PROTOCOL §3.8, R8, §14).

Each fault gives its documented 50002 message, or succeeds after a retry or the repair call,
and a failed step leaves no draft, generated schema or story behind. The Architect's answer is
streamed, but nothing of it reaches the client before it is whole, so a stream cut mid-answer
is retried like any transient failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trio

from tests.support.generation import (
    API_ID,
    answer,
    bind_engine_to_stub,
    create_resource,
    draft_continue_bundle,
    draft_init_bundle,
    node,
    patch,
    plan_of,
)
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, start_server

TIMEOUT_S = 2.0
"""Each call's whole time limit, its retries included: roomy for a loaded machine, short for a test."""
PROVIDERS = ["open_ai", "anthropic"]


@pytest.fixture
async def fast_rpc(nursery: trio.Nursery, tmp_path: Path) -> AsyncIterator[RpcClient]:
    """A server that retries without waiting and gives each provider call `TIMEOUT_S`, retries included."""
    server = await start_server(nursery, tmp_path / "data", llm_backoff_base_s=0.0, llm_timeout_s=TIMEOUT_S)
    try:
        yield server.client
    finally:
        await server.client.http.aclose()
        await server.stop()


async def assert_nothing_generated(rpc: RpcClient) -> None:
    assert (await rpc.result("story_draft.list"))["drafts"] == []
    assert (await rpc.result("story.list"))["stories"] == []
    assert all("generated" not in schema["tags"] for schema in (await rpc.result("schema.list"))["schemas"])


async def chat_calls(stub: RunningStub) -> int:
    return sum(request["method"] == "POST" for request in await stub.control.requests())


FAILURES: list[tuple[str, list[dict[str, Any]], str]] = [
    ("unauthorized", [{"status": 401}], "authentication failed"),
    ("rate limited", [{"status": 429}] * 3, "rate limited by provider"),
    ("server error", [{"status": 500, "error_message": "overloaded"}] * 3, "provider error (500): overloaded"),
    # the time limit covers the whole call: a timed-out call is not tried again
    ("slow", [{"delay_ms": 60_000}], f"transport error: no complete response within {TIMEOUT_S:g} s"),
    ("body not JSON", [{"invalid_json": True}], "provider error: "),
    ("stream cut short", [{"chunks": ['{"nodes": [', "more"], "cut_after_chunks": 1}] * 3, "transport error: "),
    ("answer not JSON", [{"text": "Here is your story!"}] * 2, "structured output parse error: invalid JSON: "),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("steps", "message"), [case[1:] for case in FAILURES], ids=[case[0] for case in FAILURES])
async def test_a_failing_provider_at_draft_start_leaves_nothing_behind(
    fast_rpc: RpcClient, llm_stub: RunningStub, provider: str, steps: list[dict[str, Any]], message: str
) -> None:
    await bind_engine_to_stub(fast_rpc, llm_stub, provider=provider)
    resource_id = await create_resource(fast_rpc, planned_story=plan_of(2))
    await llm_stub.control.script(*steps)
    error = await fast_rpc.error("story_draft.start", {"resource_id": resource_id})
    assert error["code"] == 50002 and error["message"].startswith(message), error
    assert await chat_calls(llm_stub) == len(steps)
    await assert_nothing_generated(fast_rpc)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_provider_that_is_down_is_a_transport_error(
    fast_rpc: RpcClient, llm_stub: RunningStub, provider: str
) -> None:
    await bind_engine_to_stub(fast_rpc, llm_stub, provider=provider)
    await fast_rpc.result("api.update", {"api_id": API_ID, "base_url": "http://127.0.0.1:1/v1"})
    resource_id = await create_resource(fast_rpc, planned_story=plan_of(2))
    error = await fast_rpc.error("story_draft.start", {"resource_id": resource_id})
    assert error["code"] == 50002 and error["message"].startswith("transport error: ")
    error = await fast_rpc.error("story.generate_plan", {"resource_id": resource_id})
    assert error["code"] == 50002 and error["message"].startswith("transport error: ")
    await assert_nothing_generated(fast_rpc)


RECOVERIES: list[tuple[str, list[dict[str, Any]]]] = [
    ("rate limited once", [{"status": 429}, {}]),
    ("server error twice", [{"status": 503}, {"status": 500}, {}]),
    ("answer not JSON, then repaired", [{"text": "Sorry, no JSON today."}, {}]),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("steps", [case[1] for case in RECOVERIES], ids=[case[0] for case in RECOVERIES])
async def test_transient_faults_and_bad_output_recover(
    fast_rpc: RpcClient, llm_stub: RunningStub, provider: str, steps: list[dict[str, Any]]
) -> None:
    await bind_engine_to_stub(fast_rpc, llm_stub, provider=provider)
    resource_id = await create_resource(fast_rpc, planned_story=plan_of(2))
    await llm_stub.control.script(*steps)
    draft = await fast_rpc.result("story_draft.start", {"resource_id": resource_id})
    assert draft["draft_id"] == "draft-0" and draft["partial_graph"]["nodes"]
    assert await chat_calls(llm_stub) == len(steps)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "steps",
    [
        [{"status": 500}] * 3,
        [{"text": "[]"}] * 2,
        [{"invalid_json": True}],
        [answer(draft_continue_bundle([], section_summary="Nothing."))] * 2,
    ],
    ids=["server error", "not an object", "body not JSON", "no node"],
)
async def test_a_failing_continue_leaves_the_draft_as_it_was(
    fast_rpc: RpcClient, llm_stub: RunningStub, provider: str, steps: list[dict[str, Any]]
) -> None:
    await bind_engine_to_stub(fast_rpc, llm_stub, provider=provider)
    resource_id = await create_resource(fast_rpc, planned_story=plan_of(2))
    await llm_stub.control.script(answer(draft_init_bundle()))
    before = await fast_rpc.result("story_draft.start", {"resource_id": resource_id})
    await llm_stub.control.script(*steps)
    error = await fast_rpc.error("story_draft.continue", {"draft_id": "draft-0"})
    assert error["code"] == 50002
    assert await fast_rpc.result("story_draft.get", {"draft_id": "draft-0"}) == before
    await llm_stub.control.script(answer(draft_continue_bundle([node("attic")], [patch("market", "attic")])))
    after = await fast_rpc.result("story_draft.continue", {"draft_id": "draft-0"})
    assert after["status"] == "ready_to_finalize"


async def test_a_failing_one_shot_generation_leaves_nothing_behind(fast_rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(fast_rpc, llm_stub)
    resource_id = await create_resource(fast_rpc, planned_story=plan_of(3))
    await llm_stub.control.script(answer(draft_init_bundle()), {}, *[{"status": 429}] * 3)
    error = await fast_rpc.error("story.generate", {"resource_id": resource_id})
    assert error == {"code": 50002, "message": "rate limited by provider"}
    await assert_nothing_generated(fast_rpc)


async def test_a_misconfigured_api_is_refused_before_any_call(fast_rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(fast_rpc, llm_stub, api_key="")
    resource_id = await create_resource(fast_rpc, planned_story=plan_of(2))
    error = await fast_rpc.error("story_draft.start", {"resource_id": resource_id})
    assert error == {"code": -32602, "message": "invalid configuration: OpenAI API key is required"}
    assert await chat_calls(llm_stub) == 0
    await assert_nothing_generated(fast_rpc)
