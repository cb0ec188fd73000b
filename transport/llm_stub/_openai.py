"""The stub's side of the OpenAI-compatible API: `/chat/completions` and `/models` (PROTOCOL §15.2)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import trio
from quart import Response
from werkzeug.datastructures import Headers

from runtime.codec import CODEC
from runtime.llm import openai_wire as wire
from transport.llm_stub._answer import Answer
from transport.llm_stub._responses import (
    INVALID_JSON_BODY,
    StreamCut,
    json_response,
    raw_response,
    sse_data,
    sse_response,
)

DEFAULT_ERROR_MESSAGES = {401: "Incorrect API key provided", 429: "Rate limit reached", 500: "The server had an error"}
OWNER = "dramaturg-stub"


def auth_problem(headers: Headers) -> Response | None:
    """401 unless an `Authorization: Bearer <key>` header with a non-blank key was sent."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    if scheme == "Bearer" and key.strip():
        return None
    return error_response(401, "missing or malformed Authorization header")


def error_response(status: int, message: str | None = None, raw_body: str | None = None) -> Response:
    if raw_body is not None:
        return raw_response(raw_body, status)
    text = message or DEFAULT_ERROR_MESSAGES.get(status, f"stub error {status}")
    kind = "invalid_request_error" if status < 500 else "server_error"
    return json_response(wire.OpenAiErrorBody(wire.OpenAiErrorDetail(text, kind)), status)


def models_response(models: tuple[str, ...]) -> Response:
    return json_response(wire.OpenAiModelList([wire.OpenAiModel(model, owned_by=OWNER) for model in models]))


def chat_response(answer: Answer, model: str) -> Response:
    """A non-streamed completion (or the fault the answer asks for)."""
    if answer.status is not None:
        return error_response(answer.status, answer.error_message, answer.raw_body)
    if answer.invalid_json:
        return raw_response(INVALID_JSON_BODY, 200)
    choices = (
        []
        if answer.empty_choices
        else [wire.OpenAiChoice(wire.OpenAiAnswerMessage("assistant", answer.text), finish_reason=answer.finish_reason)]
    )
    usage = wire.OpenAiUsage(
        answer.prompt_tokens, answer.completion_tokens, answer.prompt_tokens + answer.completion_tokens
    )
    return json_response(wire.OpenAiCompletion(choices, model=model, id=_answer_id(answer), usage=usage))


def stream_response(answer: Answer, model: str) -> Response:
    return sse_response(_chunks(answer, model, _answer_id(answer)))


async def _chunks(answer: Answer, model: str, answer_id: str) -> AsyncIterator[bytes]:
    def chunk(choices: list[wire.OpenAiChunkChoice], usage: wire.OpenAiUsage | None = None) -> bytes:
        return sse_data(CODEC.dumps(wire.OpenAiChunk(choices, model=model, id=answer_id, usage=usage)))

    await trio.sleep(answer.delay_s)  # the time to first token; headers are already out
    if answer.invalid_json:
        yield sse_data(INVALID_JSON_BODY)
        return
    if answer.empty_choices:
        yield chunk([])
        return
    yield chunk([wire.OpenAiChunkChoice(wire.OpenAiDelta(role="assistant", content=""))])
    for index, piece in enumerate(answer.streamed_chunks()):
        if index and answer.chunk_delay_s:
            await trio.sleep(answer.chunk_delay_s)
        yield chunk([wire.OpenAiChunkChoice(wire.OpenAiDelta(content=piece))])
    if answer.cut_after_chunks is not None:
        raise StreamCut()
    if answer.stream_error is not None:
        yield sse_data(CODEC.dumps(wire.OpenAiErrorBody(wire.OpenAiErrorDetail(answer.stream_error, "server_error"))))
        return
    yield chunk([wire.OpenAiChunkChoice(wire.OpenAiDelta(), finish_reason=answer.finish_reason)])
    if answer.form.include_usage:
        # As OpenAI does: one more chunk, with no choices and the usage of the whole call.
        total = answer.prompt_tokens + answer.completion_tokens
        yield chunk([], wire.OpenAiUsage(answer.prompt_tokens, answer.completion_tokens, total))
    yield sse_data(wire.DONE_MARKER)


def _answer_id(answer: Answer) -> str:
    return f"chatcmpl-stub-{answer.number}"
