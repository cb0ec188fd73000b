"""Both provider clients against the real stub: requests sent, answers read, streams, errors (PROTOCOL §15)."""

from __future__ import annotations

import pytest
import trio

from runtime.errors import BackendError, InvalidParams, ProviderError
from runtime.llm import ChatRequest, LlmHttp, build_client
from runtime.model.apis import Agent, Provider
from tests.runtime.llm.conftest import LlmRig

SYSTEM, USER = "You are a test system prompt.", "Say hello."


def director_request(**changes: object) -> ChatRequest:
    return ChatRequest(Agent.DIRECTOR, SYSTEM, USER, **changes)  # type: ignore[arg-type]


def narrator_request(**changes: object) -> ChatRequest:
    return ChatRequest(Agent.NARRATOR, SYSTEM, USER, **changes)  # type: ignore[arg-type]


async def collect(llm: LlmHttp, rig: LlmRig, provider: Provider, request: ChatRequest) -> list[str]:
    async with llm.client_for(rig.api(provider)).stream(request) as stream:
        return [delta async for delta in stream]


# -- unary calls ---------------------------------------------------------------------------


async def test_complete_returns_the_answer_with_model_reason_and_usage(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"text": "Hello there."})
    response = await rig.llm.client_for(rig.api(provider)).complete(narrator_request())
    assert response.message.content == "Hello there."
    assert response.message.role.value == "assistant"
    assert response.model == "stub-model"
    assert response.finish_reason == ("stop" if provider is Provider.OPEN_AI else "end_turn")
    assert response.usage is not None and response.usage.completion_tokens > 0
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens
    assert response.structured_output is None


async def test_openai_sends_bearer_key_two_messages_and_json_mode(rig: LlmRig) -> None:
    await rig.stub.control.script({"text": '{"ops": []}'})
    request = director_request(json_mode=True, temperature=0.25, max_tokens=300)
    response = await rig.llm.client_for(rig.api(Provider.OPEN_AI)).complete(request)
    assert response.structured_output == {"ops": []}
    [sent] = await rig.stub.control.requests()
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == "Bearer sk-test-key-123"
    assert sent["headers"]["content-type"] == "application/json"
    assert sent["body"] == {
        "model": "stub-model",
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
        "temperature": 0.25,
        "max_tokens": 300,
        "response_format": {"type": "json_object"},
    }


async def test_openai_leaves_unset_options_and_stream_out(rig: LlmRig) -> None:
    await rig.llm.client_for(rig.api(Provider.OPEN_AI)).complete(narrator_request())
    [sent] = await rig.stub.control.requests()
    assert set(sent["body"]) == {"model", "messages"}


async def test_anthropic_sends_key_version_and_system_at_top_level(rig: LlmRig) -> None:
    await rig.llm.client_for(rig.api(Provider.ANTHROPIC)).complete(director_request(json_mode=True))
    [sent] = await rig.stub.control.requests()
    assert sent["path"] == "/v1/messages"
    assert sent["headers"]["x-api-key"] == "sk-test-key-123"
    assert sent["headers"]["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent["headers"]
    assert sent["body"] == {
        "model": "stub-model",
        "system": SYSTEM,
        "messages": [{"role": "user", "content": USER}],
        "max_tokens": 8192,
    }


async def test_anthropic_sends_the_agents_max_tokens_and_temperature(rig: LlmRig) -> None:
    await rig.llm.client_for(rig.api(Provider.ANTHROPIC)).complete(narrator_request(max_tokens=64, temperature=0.0))
    [sent] = await rig.stub.control.requests()
    assert sent["body"]["max_tokens"] == 64 and sent["body"]["temperature"] == 0.0


async def test_base_url_is_trimmed_and_its_trailing_slash_removed(rig: LlmRig, provider: Provider) -> None:
    api = rig.api(provider)
    messy = rig.api(provider, base_url=f"  {api.base_url}/ ")
    await rig.llm.client_for(messy).complete(narrator_request())
    [sent] = await rig.stub.control.requests()
    assert sent["path"] in ("/v1/chat/completions", "/v1/messages")


async def test_request_model_overrides_the_apis_model(rig: LlmRig, provider: Provider) -> None:
    response = await rig.llm.client_for(rig.api(provider)).complete(narrator_request(model="other-model"))
    assert response.model == "other-model"
    [sent] = await rig.stub.control.requests()
    assert sent["body"]["model"] == "other-model"


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        (Provider.OPEN_AI, "invalid configuration: OpenAI API key is required"),
        (Provider.ANTHROPIC, "invalid configuration: Anthropic API key is required"),
    ],
)
async def test_blank_key_is_an_invalid_configuration(rig: LlmRig, provider: Provider, message: str) -> None:
    with pytest.raises(InvalidParams) as caught:
        build_client(rig.api(provider, api_key="   "), rig.llm.context)
    assert caught.value.message == message


async def test_blank_model_is_an_invalid_configuration(rig: LlmRig, provider: Provider) -> None:
    with pytest.raises(InvalidParams) as caught:
        rig.llm.client_for(rig.api(provider, model=" "))
    assert caught.value.message == "invalid configuration: model is required"


# -- streaming -----------------------------------------------------------------------------


async def test_stream_deltas_reassemble_into_the_answer(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"chunks": ["Hel", "lo, ", "", "world", "!"]})
    async with rig.llm.client_for(rig.api(provider)).stream(narrator_request()) as stream:
        deltas = [delta async for delta in stream]
    assert deltas == ["Hel", "lo, ", "world", "!"]
    assert stream.response.message.content == "Hello, world!"
    assert stream.response.model == "stub-model"
    assert stream.response.usage is not None
    [sent] = await rig.stub.control.requests()
    assert sent["body"]["stream"] is True


async def test_stream_delivers_each_delta_as_it_arrives(rig: LlmRig, provider: Provider) -> None:
    # The second chunk comes a minute later: only an incremental reader sees the first one in time.
    await rig.stub.control.script({"chunks": ["first", "second"], "chunk_delay_ms": 60_000})
    async with rig.llm.client_for(rig.api(provider)).stream(narrator_request()) as stream:
        with trio.fail_after(5):
            first = await stream.__anext__()
    assert first == "first"


async def test_response_is_unavailable_before_the_stream_ends(rig: LlmRig, provider: Provider) -> None:
    stream = rig.llm.client_for(rig.api(provider)).stream(narrator_request())
    with pytest.raises(BackendError):
        _ = stream.response
    await stream.aclose()


# -- error mapping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"status": 401}, "authentication failed"),
        ({"status": 404, "error_message": "model not found"}, "provider error (404): model not found"),
        ({"status": 400, "raw_body": "<html>bad request</html>"}, "provider error (400): <html>bad request</html>"),
    ],
)
async def test_final_http_errors_map_to_provider_errors(
    rig: LlmRig, provider: Provider, step: dict[str, object], message: str
) -> None:
    await rig.stub.control.script(step, {"text": "never sent"})
    with pytest.raises(ProviderError) as caught:
        await rig.llm.client_for(rig.api(provider)).complete(narrator_request())
    assert caught.value.code == 50002 and caught.value.message == message
    assert len(await rig.stub.control.requests()) == 1  # not retried


async def test_a_key_quoted_in_a_provider_error_is_masked(rig: LlmRig, provider: Provider) -> None:
    # Some providers quote the key they were sent; it must not reach the client or the logs.
    await rig.stub.control.script({"status": 403, "error_message": "key sk-test-key-123 is not allowed here"})
    with pytest.raises(ProviderError) as caught:
        await rig.llm.client_for(rig.api(provider)).complete(narrator_request())
    assert caught.value.message == "provider error (403): key *** is not allowed here"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (429, "rate limited by provider"),
        (500, "provider error (500): boom"),
        (529, "provider error (529): boom"),
    ],
)
async def test_transient_errors_are_retried_twice_then_reported(
    rig: LlmRig, provider: Provider, status: int, message: str
) -> None:
    await rig.stub.control.script(*[{"status": status, "error_message": "boom"}] * 3, {"text": "too late"})
    with pytest.raises(ProviderError) as caught:
        await rig.llm.client_for(rig.api(provider)).complete(narrator_request())
    assert caught.value.message == message
    assert len(await rig.stub.control.requests()) == 3


@pytest.mark.parametrize("status", [500, 429])
async def test_a_retry_after_a_transient_error_succeeds(rig: LlmRig, provider: Provider, status: int) -> None:
    await rig.stub.control.script({"status": status}, {"text": "recovered"})
    response = await rig.llm.client_for(rig.api(provider)).complete(narrator_request())
    assert response.message.content == "recovered"
    assert len(await rig.stub.control.requests()) == 2


async def test_unreachable_provider_is_a_transport_error_after_retries(rig: LlmRig, provider: Provider) -> None:
    api = rig.api(provider, base_url="http://127.0.0.1:1")
    with pytest.raises(ProviderError) as caught:
        await rig.llm.client_for(api).complete(narrator_request())
    assert caught.value.message.startswith("transport error: ")


async def test_url_without_scheme_is_refused_before_any_request(rig: LlmRig, provider: Provider) -> None:
    with pytest.raises(InvalidParams) as caught:
        rig.llm.client_for(rig.api(provider, base_url="stub.invalid/v1"))
    assert caught.value.message == "invalid configuration: base_url must be an absolute http or https URL"


@pytest.mark.parametrize("key", ["sk-‘abc’", "sk abc", "sk-\nabc", "sk-\x7f"])
async def test_key_that_cannot_be_sent_in_a_header_is_refused_without_quoting_it(
    rig: LlmRig, provider: Provider, key: str
) -> None:
    with pytest.raises(InvalidParams) as caught:
        rig.llm.client_for(rig.api(provider, api_key=key))
    assert caught.value.message.startswith("invalid configuration: api_key must be printable ASCII")
    assert "abc" not in caught.value.message


async def test_body_that_is_not_json_is_a_provider_error(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"invalid_json": True})
    with pytest.raises(ProviderError) as caught:
        await rig.llm.client_for(rig.api(provider)).complete(narrator_request())
    assert caught.value.message == "provider error: response body is not valid JSON"


async def test_openai_answer_without_choices_is_a_provider_error(rig: LlmRig) -> None:
    await rig.stub.control.script({"empty_choices": True})
    with pytest.raises(ProviderError) as caught:
        await rig.llm.client_for(rig.api(Provider.OPEN_AI)).complete(narrator_request())
    assert caught.value.message == "provider error: response contained no choices"


async def test_openai_stream_chunk_without_choices_is_a_provider_error(rig: LlmRig) -> None:
    await rig.stub.control.script({"empty_choices": True})
    with pytest.raises(ProviderError) as caught:
        await collect(rig.llm, rig, Provider.OPEN_AI, narrator_request())
    assert caught.value.message == "provider error: stream chunk contained no choices"


async def test_anthropic_error_event_fails_the_stream(rig: LlmRig) -> None:
    await rig.stub.control.script({"chunks": ["Once "], "stream_error": "Overloaded"})
    with pytest.raises(ProviderError) as caught:
        await collect(rig.llm, rig, Provider.ANTHROPIC, narrator_request())
    assert caught.value.message == "provider error: Overloaded"


# -- retries of streams --------------------------------------------------------------------


async def test_stream_is_retried_while_nothing_was_delivered(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script(
        {"status": 503}, {"chunks": ["lost"], "cut_after_chunks": 0}, {"chunks": ["fine", " now"]}
    )
    deltas = await collect(rig.llm, rig, provider, narrator_request())
    assert deltas == ["fine", " now"]
    assert len(await rig.stub.control.requests()) == 3


async def test_stream_cut_after_a_delta_fails_without_retry(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"chunks": ["one ", "two ", "three"], "cut_after_chunks": 1}, {"text": "unused"})
    received: list[str] = []
    with pytest.raises(ProviderError) as caught:
        async with rig.llm.client_for(rig.api(provider)).stream(narrator_request()) as stream:
            async for delta in stream:
                received.append(delta)
    assert received == ["one "]
    assert caught.value.message.startswith("transport error: ")
    assert len(await rig.stub.control.requests()) == 1


# -- timeouts ------------------------------------------------------------------------------


async def test_slow_answer_times_out(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"delay_ms": 60_000})
    async with rig.with_settings(timeout_s=0.2, max_retries=0) as llm:
        with pytest.raises(ProviderError) as caught:
            await llm.client_for(rig.api(provider)).complete(narrator_request())
    assert caught.value.message == "transport error: no complete response within 0.2 s"


async def test_timeout_covers_the_streamed_body(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"chunks": ["start", "never"], "chunk_delay_ms": 60_000})
    received: list[str] = []
    async with rig.with_settings(timeout_s=0.5, max_retries=0) as llm:
        with pytest.raises(ProviderError) as caught:
            async with llm.client_for(rig.api(provider)).stream(narrator_request()) as stream:
                async for delta in stream:
                    received.append(delta)
    assert received == ["start"]
    assert caught.value.message == "transport error: no complete response within 0.5 s"


async def test_a_timed_out_call_is_not_tried_again(rig: LlmRig, provider: Provider) -> None:
    # The time limit covers every attempt of a call: a failure never takes longer than the limit.
    await rig.stub.control.script({"delay_ms": 60_000}, {"text": "second try"})
    async with rig.with_settings(timeout_s=0.3, max_retries=1) as llm:
        with trio.fail_after(5), pytest.raises(ProviderError) as caught:
            await llm.client_for(rig.api(provider)).complete(narrator_request())
    assert caught.value.message == "transport error: no complete response within 0.3 s"
    assert len(await rig.stub.control.requests()) == 1


async def test_retries_share_the_calls_time_limit(rig: LlmRig, provider: Provider) -> None:
    # A failure fast enough leaves time for another attempt; its answer must still come in time.
    await rig.stub.control.script({"status": 503}, {"delay_ms": 60_000})
    async with rig.with_settings(timeout_s=0.5, max_retries=2) as llm:
        with trio.fail_after(5), pytest.raises(ProviderError) as caught:
            await llm.client_for(rig.api(provider)).complete(narrator_request())
    assert caught.value.message == "transport error: no complete response within 0.5 s"
    assert len(await rig.stub.control.requests()) == 2
