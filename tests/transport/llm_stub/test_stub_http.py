"""The stub over HTTP: both provider APIs, auth checks, the control API, and auto mode behind it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import trio

from runtime.llm import ChatRequest, LlmSettings, open_llm_http
from runtime.model.apis import Agent, ApiRecord, Provider
from tests.support.llm_stub import RunningStub, start_llm_stub
from transport.llm_stub import StubMode, StubSettings

OPENAI_HEADERS = {"Authorization": "Bearer sk-1"}
ANTHROPIC_HEADERS = {"x-api-key": "sk-1", "anthropic-version": "2023-06-01"}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def auto_stub(nursery: trio.Nursery) -> AsyncIterator[RunningStub]:
    stub = await start_llm_stub(nursery, mode=StubMode.AUTO)
    try:
        yield stub
    finally:
        await stub.control.http.aclose()
        await stub.stop()


async def test_openai_chat_without_a_bearer_key_is_unauthorized(llm_stub: RunningStub) -> None:
    response = await llm_stub.control.http.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "missing or malformed Authorization header"


async def test_anthropic_requires_a_key_and_a_version(llm_stub: RunningStub) -> None:
    body = {**CHAT, "max_tokens": 5}
    without_key = await llm_stub.control.http.post("/v1/messages", json=body)
    assert without_key.status_code == 401 and without_key.json()["error"]["type"] == "authentication_error"
    without_version = await llm_stub.control.http.post("/v1/messages", json=body, headers={"x-api-key": "k"})
    assert without_version.status_code == 400


async def test_anthropic_body_without_max_tokens_is_a_bad_request(llm_stub: RunningStub) -> None:
    response = await llm_stub.control.http.post("/v1/messages", json=CHAT, headers=ANTHROPIC_HEADERS)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "body.max_tokens: missing required field"


async def test_chat_path_without_version_prefix_also_answers(llm_stub: RunningStub) -> None:
    response = await llm_stub.control.http.post("/chat/completions", json=CHAT, headers=OPENAI_HEADERS)
    assert response.status_code == 200 and response.json()["choices"][0]["message"]["content"]


async def test_models_route_answers_in_the_shape_of_the_asking_provider(llm_stub: RunningStub) -> None:
    openai = (await llm_stub.control.http.get("/models", headers=OPENAI_HEADERS)).json()
    anthropic = (await llm_stub.control.http.get("/v1/models", headers=ANTHROPIC_HEADERS)).json()
    assert openai["object"] == "list" and [m["id"] for m in openai["data"]] == ["stub-small", "stub-large"]
    assert anthropic["has_more"] is False and anthropic["data"][0]["type"] == "model"


async def test_steps_are_kept_per_model_and_the_wildcard_serves_the_rest(llm_stub: RunningStub) -> None:
    await llm_stub.control.script({"text": "for a"}, model="a")
    await llm_stub.control.script({"text": "for anyone"})

    async def ask(model: str) -> str:
        response = await llm_stub.control.http.post(
            "/v1/chat/completions", json={**CHAT, "model": model}, headers=OPENAI_HEADERS
        )
        return response.json()["choices"][0]["message"]["content"]

    assert await ask("b") == "for anyone"
    assert await ask("a") == "for a"
    assert "stub" in await ask("a")  # nothing queued any more: auto mode answers


async def test_request_log_keeps_headers_and_bodies_until_reset(llm_stub: RunningStub) -> None:
    await llm_stub.control.http.post("/v1/chat/completions", json=CHAT, headers=OPENAI_HEADERS)
    [logged] = await llm_stub.control.requests()
    assert logged["method"] == "POST" and logged["path"] == "/v1/chat/completions"
    assert logged["headers"]["authorization"] == "Bearer sk-1" and logged["body"] == CHAT
    await llm_stub.control.script({"text": "queued"})
    await llm_stub.control.reset()
    assert await llm_stub.control.requests() == []
    response = await llm_stub.control.http.post("/v1/chat/completions", json=CHAT, headers=OPENAI_HEADERS)
    assert response.json()["choices"][0]["message"]["content"] != "queued"


async def test_a_malformed_script_is_refused_naming_the_field(llm_stub: RunningStub) -> None:
    response = await llm_stub.control.http.post("/_stub/script", json={"steps": [{"delay_ms": "soon"}]})
    assert response.status_code == 400
    assert response.json() == {"error": "body.steps[0].delay_ms: expected int, got string"}


async def test_auto_mode_refuses_scripts(auto_stub: RunningStub) -> None:
    response = await auto_stub.control.http.post("/_stub/script", json={"steps": [{"text": "x"}]})
    assert response.status_code == 409


async def test_auto_mode_answers_agents_through_both_providers(auto_stub: RunningStub) -> None:
    director_system = "Output:\nOutput contract for the Director:\nOne JSON object."
    actor_system = "Output:\nOutput contract for the Actor:\nTags only.\n\nCHARACTER_NAME:\nOld Merchant"
    cast = "Static Context:\n- merchant | Old Merchant | personality=Greedy | style=Terse | state_schema=none"
    apis = {
        Provider.OPEN_AI: ApiRecord("o", "O", Provider.OPEN_AI, auto_stub.openai_base_url, "m", "k"),
        Provider.ANTHROPIC: ApiRecord("a", "A", Provider.ANTHROPIC, auto_stub.anthropic_base_url, "m", "k"),
    }
    async with open_llm_http(LlmSettings(timeout_s=10.0)) as llm:
        for api in apis.values():
            client = llm.client_for(api)
            plan = await client.complete(ChatRequest(Agent.DIRECTOR, director_system, cast, json_mode=True))
            assert json.loads(plan.message.content)["beats"][1]["speaker_id"] == "merchant"
            async with client.stream(ChatRequest(Agent.ACTOR, actor_system, cast)) as stream:
                deltas = [delta async for delta in stream]
            assert len(deltas) > 3 and "".join(deltas).startswith("<thought>")
    assert len(await auto_stub.control.requests()) == 4


async def test_a_cut_stream_breaks_the_connection_before_the_end_marker(llm_stub: RunningStub) -> None:
    await llm_stub.control.script({"chunks": ["a", "b"], "cut_after_chunks": 1})
    received = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with llm_stub.control.http.stream(
            "POST", "/v1/chat/completions", json={**CHAT, "stream": True}, headers=OPENAI_HEADERS
        ) as response:
            async for line in response.aiter_lines():
                received.append(line)
    assert not any("[DONE]" in line for line in received)


# -- paged Anthropic model lists -------------------------------------------------------------


@pytest.fixture
async def paged_stub(nursery: trio.Nursery) -> AsyncIterator[RunningStub]:
    stub = await start_llm_stub(nursery, models=("m1", "m2", "m3"), models_page_size=2)
    try:
        yield stub
    finally:
        await stub.control.http.aclose()
        await stub.stop()


async def anthropic_models(stub: RunningStub, **query: str | int) -> httpx.Response:
    return await stub.control.http.get("/v1/models", params=query, headers=ANTHROPIC_HEADERS)


async def test_anthropic_model_list_is_paged_by_the_page_size(paged_stub: RunningStub) -> None:
    first = (await anthropic_models(paged_stub)).json()
    assert [m["id"] for m in first["data"]] == ["m1", "m2"]
    assert (first["has_more"], first["first_id"], first["last_id"]) == (True, "m1", "m2")
    last = (await anthropic_models(paged_stub, after_id="m2")).json()
    assert [m["id"] for m in last["data"]] == ["m3"]
    assert (last["has_more"], last["first_id"], last["last_id"]) == (False, "m3", "m3")


async def test_limit_overrides_the_page_size_and_applies_without_one(
    paged_stub: RunningStub, llm_stub: RunningStub
) -> None:
    everything = (await anthropic_models(paged_stub, limit=1000)).json()
    assert [m["id"] for m in everything["data"]] == ["m1", "m2", "m3"] and everything["has_more"] is False
    one = (await anthropic_models(llm_stub, limit=1)).json()
    assert [m["id"] for m in one["data"]] == ["stub-small"] and one["has_more"] is True
    unpaged = (await anthropic_models(llm_stub)).json()
    assert [m["id"] for m in unpaged["data"]] == ["stub-small", "stub-large"] and unpaged["has_more"] is False


async def test_a_bad_cursor_or_limit_is_a_bad_request(paged_stub: RunningStub) -> None:
    unknown = await anthropic_models(paged_stub, after_id="nope")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "after_id: no model with id 'nope'"
    for limit in ("0", "1001", "two"):
        bad = await anthropic_models(paged_stub, limit=limit)
        assert bad.status_code == 400
        assert bad.json()["error"]["message"] == "limit: expected an integer from 1 to 1000"


async def test_openai_model_list_ignores_the_page_size(paged_stub: RunningStub) -> None:
    listed = (await paged_stub.control.http.get("/models", headers=OPENAI_HEADERS)).json()
    assert [m["id"] for m in listed["data"]] == ["m1", "m2", "m3"]


async def test_the_request_log_keeps_the_query_string(paged_stub: RunningStub) -> None:
    await anthropic_models(paged_stub)
    await anthropic_models(paged_stub, after_id="m2")
    plain, paged = await paged_stub.control.requests()
    assert "query" not in plain and paged["query"] == "after_id=m2"


def test_a_page_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        StubSettings(models_page_size=0)
