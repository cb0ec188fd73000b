"""Structured outputs against the real stub: how each mode sends a schema, how `auto` learns what an
endpoint refuses, how a JSON stream ends with its value, and what the call's row records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trio

from runtime.errors import ProviderError
from runtime.llm import ChatRequest, LlmHttp, OutputSchema, open_llm_http
from runtime.model.apis import Agent, ApiRecord, Provider, StructuredOutput
from runtime.model.llm_calls import CallKind, CallOutcome, LlmCall
from runtime.store.llm_calls import list_llm_calls
from tests.runtime.llm.conftest import FAST, LlmRig, open_rig
from tests.support.llm_stub import RunningStub, start_llm_stub

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ops": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 2}},
    "required": ["ops"],
    "additionalProperties": False,
}
OPEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"fields": {"type": "object", "additionalProperties": {"type": "string"}}},
    "required": ["fields"],
    "additionalProperties": False,
}
HANG_GUARD_S = 10.0


def json_request(schema: dict[str, Any] | None = SCHEMA, **changes: Any) -> ChatRequest:
    output = None if schema is None else OutputSchema("state_update", schema)
    return ChatRequest(Agent.KEEPER, "system", "user", json_mode=True, output_schema=output, max_tokens=50, **changes)


async def read_stream(llm: LlmHttp, api: ApiRecord, request: ChatRequest) -> tuple[list[str], str]:
    async with llm.client_for(api).stream(request) as stream:
        deltas = [delta async for delta in stream]
    return deltas, stream.response.message.content


async def recorded(rig: LlmRig) -> list[LlmCall]:
    await rig.recorder.wait_flushed()
    return await rig.store.read(list_llm_calls)


# -- what each mode sends ----------------------------------------------------------------------


async def test_json_schema_mode_sends_a_strict_schema_without_the_keywords_strict_mode_refuses(rig: LlmRig) -> None:
    api = rig.api(Provider.OPEN_AI, structured_output=StructuredOutput.JSON_SCHEMA)
    await rig.llm.client_for(api).complete(json_request())
    [sent] = await rig.stub.control.requests()
    response_format = sent["body"]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "state_update"
    assert response_format["json_schema"]["strict"] is True
    assert "maxLength" not in str(response_format["json_schema"]["schema"])
    assert response_format["json_schema"]["schema"]["properties"]["ops"]["maxItems"] == 2


async def test_json_schema_mode_sends_an_open_map_without_strict(rig: LlmRig) -> None:
    api = rig.api(Provider.OPEN_AI, structured_output=StructuredOutput.JSON_SCHEMA)
    await rig.llm.client_for(api).complete(json_request(OPEN_SCHEMA))
    [sent] = await rig.stub.control.requests()
    json_schema = sent["body"]["response_format"]["json_schema"]
    assert json_schema["strict"] is False and json_schema["schema"] == OPEN_SCHEMA


async def test_json_object_schema_mode_sends_the_whole_schema_in_the_response_format(rig: LlmRig) -> None:
    api = rig.api(Provider.OPEN_AI, structured_output=StructuredOutput.JSON_OBJECT_SCHEMA)
    await rig.llm.client_for(api).complete(json_request())
    [sent] = await rig.stub.control.requests()
    assert sent["body"]["response_format"] == {"type": "json_object", "schema": SCHEMA}


@pytest.mark.parametrize(
    ("mode", "response_format"),
    [(StructuredOutput.JSON_OBJECT, {"type": "json_object"}), (StructuredOutput.NONE, None)],
)
async def test_weaker_modes_send_no_schema(
    rig: LlmRig, mode: StructuredOutput, response_format: dict[str, str] | None
) -> None:
    await rig.llm.client_for(rig.api(Provider.OPEN_AI, structured_output=mode)).complete(json_request())
    [sent] = await rig.stub.control.requests()
    assert sent["body"].get("response_format") == response_format


async def test_anthropic_json_schema_mode_forces_a_tool_and_reads_its_input(rig: LlmRig) -> None:
    await rig.stub.control.script({"text": '{"ops": ["a"]}'})
    api = rig.api(Provider.ANTHROPIC, structured_output=StructuredOutput.JSON_SCHEMA)
    response = await rig.llm.client_for(api).complete(json_request())
    assert response.structured_output == {"ops": ["a"]}
    [sent] = await rig.stub.control.requests()
    assert sent["body"]["tools"] == [
        {"name": "state_update", "input_schema": SCHEMA, "description": sent["body"]["tools"][0]["description"]}
    ]
    assert sent["body"]["tool_choice"] == {"type": "tool", "name": "state_update"}


async def test_anthropic_streams_the_tool_input_as_the_answer(rig: LlmRig) -> None:
    await rig.stub.control.script({"chunks": ['{"ops"', ': ["b"]}']})
    api = rig.api(Provider.ANTHROPIC, structured_output=StructuredOutput.JSON_SCHEMA)
    deltas, content = await read_stream(rig.llm, api, json_request())
    assert deltas == ['{"ops"', ': ["b"]}'] and content == '{"ops": ["b"]}'


async def test_anthropic_none_mode_sends_no_tool(rig: LlmRig) -> None:
    api = rig.api(Provider.ANTHROPIC, structured_output=StructuredOutput.NONE)
    await rig.llm.client_for(api).complete(json_request())
    [sent] = await rig.stub.control.requests()
    assert "tools" not in sent["body"] and "tool_choice" not in sent["body"]


async def test_a_request_that_is_not_json_sends_no_format_whatever_the_mode(rig: LlmRig, provider: Provider) -> None:
    api = rig.api(provider, structured_output=StructuredOutput.JSON_SCHEMA)
    await rig.llm.client_for(api).complete(
        ChatRequest(Agent.NARRATOR, "s", "u", output_schema=OutputSchema("x", SCHEMA))
    )
    [sent] = await rig.stub.control.requests()
    assert not {"response_format", "tools", "tool_choice"} & set(sent["body"])


async def test_auto_answers_of_the_stub_follow_the_schema_in_every_mode(rig: LlmRig, provider: Provider) -> None:
    for mode in (StructuredOutput.AUTO, StructuredOutput.JSON_SCHEMA, StructuredOutput.JSON_OBJECT_SCHEMA):
        if provider is Provider.ANTHROPIC and mode is StructuredOutput.JSON_OBJECT_SCHEMA:
            continue
        response = await rig.llm.client_for(rig.api(provider, structured_output=mode)).complete(json_request())
        assert response.structured_output == {"ops": []}, mode


# -- auto ------------------------------------------------------------------------------------


@pytest.fixture
async def refusing_stub(nursery: trio.Nursery) -> AsyncIterator[RunningStub]:
    """A stub standing in for an endpoint that refuses json_schema response formats and tools."""
    stub = await start_llm_stub(nursery, refused=frozenset({"json_schema", "tools"}))
    try:
        yield stub
    finally:
        await stub.control.http.aclose()
        await stub.stop()


@pytest.fixture
async def refusing_rig(refusing_stub: RunningStub, tmp_path: Path) -> AsyncIterator[LlmRig]:
    async with open_rig(refusing_stub, tmp_path / "data") as rig:
        yield rig


async def test_auto_falls_back_once_and_remembers_what_the_endpoint_refused(refusing_rig: LlmRig) -> None:
    rig = refusing_rig
    api = rig.api(Provider.OPEN_AI)
    assert rig.llm.structured_output_in_use(api) is StructuredOutput.JSON_SCHEMA
    first = await rig.llm.client_for(api).complete(json_request())
    await rig.llm.client_for(api).complete(json_request())
    formats = [request["body"]["response_format"]["type"] for request in await rig.stub.control.requests()]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert first.structured_output == {"ops": []}
    assert rig.llm.structured_output_in_use(api) is StructuredOutput.JSON_OBJECT_SCHEMA
    [call, _] = await recorded(rig)
    assert (call.outcome, call.attempts, call.structured_output_mode) == (CallOutcome.OK, 2, "json_object_schema")


async def test_auto_learns_per_api_and_forgets_when_the_api_points_elsewhere(refusing_rig: LlmRig) -> None:
    rig = refusing_rig
    await rig.llm.client_for(rig.api(Provider.OPEN_AI)).complete(json_request())
    other_api = rig.api(Provider.OPEN_AI, api_id="other")
    moved = rig.api(Provider.OPEN_AI, model="another-model")
    assert rig.llm.structured_output_in_use(other_api) is StructuredOutput.JSON_SCHEMA
    assert rig.llm.structured_output_in_use(moved) is StructuredOutput.JSON_SCHEMA


async def test_a_streamed_call_falls_back_before_its_first_delta(refusing_rig: LlmRig, provider: Provider) -> None:
    rig = refusing_rig
    await rig.stub.control.script({"text": '{"ops": ["y"]}'})
    _, content = await read_stream(rig.llm, rig.api(provider), json_request())
    assert content == '{"ops": ["y"]}'
    assert len(await rig.stub.control.requests()) == 2  # the first one was refused
    expected = StructuredOutput.JSON_OBJECT_SCHEMA if provider is Provider.OPEN_AI else StructuredOutput.NONE
    assert rig.llm.structured_output_in_use(rig.api(provider)) is expected


async def test_a_named_mode_is_never_changed_by_a_refusal(refusing_rig: LlmRig) -> None:
    rig = refusing_rig
    api = rig.api(Provider.OPEN_AI, structured_output=StructuredOutput.JSON_SCHEMA)
    with pytest.raises(ProviderError) as caught:
        await rig.llm.client_for(api).complete(json_request())
    assert "response_format" in caught.value.message
    assert len(await rig.stub.control.requests()) == 1


async def test_an_error_that_names_no_format_field_is_not_a_refusal(rig: LlmRig) -> None:
    await rig.stub.control.script({"status": 400, "error_message": "context length exceeded"})
    with pytest.raises(ProviderError):
        await rig.llm.client_for(rig.api(Provider.OPEN_AI)).complete(json_request())
    assert rig.llm.structured_output_in_use(rig.api(Provider.OPEN_AI)) is StructuredOutput.JSON_SCHEMA


async def test_refused_stream_options_are_dropped_and_remembered(nursery: trio.Nursery) -> None:
    stub = await start_llm_stub(nursery, refused=frozenset({"stream_options"}))
    try:
        api = ApiRecord("main", "Main", Provider.OPEN_AI, stub.openai_base_url, "stub-model", "sk-key")
        async with open_llm_http(FAST) as llm:
            for _ in range(2):
                await read_stream(llm, api, ChatRequest(Agent.NARRATOR, "s", "u"))
        bodies = [request["body"] for request in await stub.control.requests()]
        assert ["stream_options" in body for body in bodies] == [True, False, False]
    finally:
        await stub.control.http.aclose()
        await stub.stop()


# -- JSON streams end with their value -------------------------------------------------------


async def test_a_json_stream_stops_reading_once_its_object_is_complete(rig: LlmRig, provider: Provider) -> None:
    # After the object the model would go on for minutes: only a reader that stops at once passes.
    await rig.stub.control.script(
        {"chunks": ['```json\n{"ops": ["x"]} and', " then more", " and more"], "chunk_delay_ms": 60_000}
    )
    api = rig.api(provider, structured_output=StructuredOutput.NONE)
    with trio.fail_after(HANG_GUARD_S):
        deltas, content = await read_stream(rig.llm, api, json_request())
    assert deltas == ['```json\n{"ops": ["x"]}'] and content == '```json\n{"ops": ["x"]}'
    [call] = await recorded(rig)
    assert call.outcome is CallOutcome.OK and call.streamed


async def test_a_json_stream_that_ends_at_once_keeps_its_usage(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"chunks": ['{"ops": ', "[]}", "\n"]})
    async with rig.llm.client_for(rig.api(provider)).stream(json_request()) as stream:
        _ = [delta async for delta in stream]
    usage = stream.response.usage
    assert usage is not None and usage.completion_tokens == 3
    [call] = await recorded(rig)
    assert call.completion_tokens == 3 and call.max_tokens == 50


async def test_braces_inside_strings_do_not_end_the_value(rig: LlmRig) -> None:
    await rig.stub.control.script({"chunks": ['{"ops": ["}', '\\"{"]', "}", "tail"]})
    _, content = await read_stream(
        rig.llm, rig.api(Provider.OPEN_AI, structured_output=StructuredOutput.NONE), json_request()
    )
    assert content == '{"ops": ["}\\"{"]}'


# -- telemetry -------------------------------------------------------------------------------


async def test_a_judged_stream_records_the_verdict_its_kind_and_its_limit(rig: LlmRig, provider: Provider) -> None:
    async with rig.llm.client_for(rig.api(provider)).stream(json_request(call_kind=CallKind.REPAIR)) as stream:
        _ = [delta async for delta in stream]
        stream.judge(CallOutcome.INVALID_OUTPUT, "output.ops: expected array, got object")
    [call] = await recorded(rig)
    assert (call.outcome, call.error) == (CallOutcome.INVALID_OUTPUT, "output.ops: expected array, got object")
    assert (call.call_kind, call.max_tokens, call.structured_output_mode) == (CallKind.REPAIR, 50, "json_schema")


async def test_a_timed_out_stream_is_recorded_as_a_timeout(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"chunks": ["{", "}"], "chunk_delay_ms": 60_000})
    async with rig.with_settings(timeout_s=0.3, max_retries=0) as llm:
        with pytest.raises(ProviderError):
            await read_stream(llm, rig.api(provider), json_request())
    [call] = await recorded(rig)
    assert call.outcome is CallOutcome.TIMEOUT


async def test_an_anthropic_call_records_the_default_limit_it_sent(rig: LlmRig) -> None:
    await rig.llm.client_for(rig.api(Provider.ANTHROPIC)).complete(ChatRequest(Agent.PLANNER, "s", "u"))
    [call] = await recorded(rig)
    assert call.max_tokens == 8192 and call.structured_output_mode is None and call.call_kind is CallKind.FIRST
