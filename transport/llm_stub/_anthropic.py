"""The stub's side of the Anthropic Messages API: `/v1/messages` and `/v1/models` (PROTOCOL §15.3)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import trio
from quart import Response
from werkzeug.datastructures import Headers

from runtime.codec import CODEC
from runtime.llm import anthropic_wire as wire
from transport.llm_stub._answer import Answer
from transport.llm_stub._responses import (
    INVALID_JSON_BODY,
    StreamCut,
    json_response,
    raw_response,
    sse_event,
    sse_response,
)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}
DEFAULT_ERROR_MESSAGES = {
    401: "invalid x-api-key",
    429: "Number of requests has exceeded your rate limit",
    529: "Overloaded",
}
STOP_REASONS = {"stop": "end_turn"}
MIN_LIMIT, MAX_LIMIT = 1, 1000
"""The bounds of `limit` on `/v1/models`, as the real API sets them."""


def auth_problem(headers: Headers) -> Response | None:
    """401 without a non-blank `x-api-key`; 400 without `anthropic-version`, as the real API does."""
    if not headers.get("x-api-key", "").strip():
        return error_response(401, "x-api-key header is required")
    if not headers.get("anthropic-version", "").strip():
        return error_response(400, "anthropic-version header is required")
    return None


def error_response(status: int, message: str | None = None, raw_body: str | None = None) -> Response:
    if raw_body is not None:
        return raw_response(raw_body, status)
    text = message or DEFAULT_ERROR_MESSAGES.get(status, f"stub error {status}")
    kind = ERROR_TYPES.get(status, "api_error")
    return json_response(wire.ErrorEvent(wire.AnthropicErrorDetail(kind, text)), status)


def models_page_response(models: tuple[str, ...], query: Mapping[str, str], page_size: int | None) -> Response:
    """The page of `models` after the query's `after_id`, at most `limit` long, as Anthropic pages it.

    Without `limit` a page holds `page_size` models, or all of them when that is None: then the
    first request gets the whole list with `has_more: false`, as before paging existed.
    A bad `after_id` or `limit` is a 400 naming the parameter.
    """
    start = 0
    after_id = query.get(wire.AFTER_ID_PARAM)
    if after_id is not None:
        if after_id not in models:
            return error_response(400, f"{wire.AFTER_ID_PARAM}: no model with id {after_id!r}")
        start = models.index(after_id) + 1
    limit = query.get(wire.LIMIT_PARAM)
    if limit is not None:
        if not limit.isdecimal() or not MIN_LIMIT <= int(limit) <= MAX_LIMIT:
            return error_response(400, f"{wire.LIMIT_PARAM}: expected an integer from {MIN_LIMIT} to {MAX_LIMIT}")
        page_size = int(limit)
    end = len(models) if page_size is None else min(start + page_size, len(models))
    page = models[start:end]
    listed = [wire.AnthropicModel(model, display_name=model) for model in page]
    first, last = (page[0], page[-1]) if page else (None, None)
    return json_response(wire.AnthropicModelList(listed, has_more=end < len(models), first_id=first, last_id=last))


def chat_response(answer: Answer, model: str) -> Response:
    if answer.status is not None:
        return error_response(answer.status, answer.error_message, answer.raw_body)
    if answer.invalid_json:
        return raw_response(INVALID_JSON_BODY, 200)
    return json_response(
        wire.AnthropicAnswer(
            model=model,
            content=[_content_block(answer, full=True)],
            id=_answer_id(answer),
            stop_reason=_stop_reason(answer),
            usage=wire.AnthropicUsage(answer.prompt_tokens, answer.completion_tokens),
        )
    )


def stream_response(answer: Answer, model: str) -> Response:
    return sse_response(_events(answer, model, _answer_id(answer)))


async def _events(answer: Answer, model: str, answer_id: str) -> AsyncIterator[bytes]:
    def event(record: wire.StreamEvent) -> bytes:
        return sse_event(record.type, CODEC.dumps(record))

    await trio.sleep(answer.delay_s)  # the time to first token; headers are already out
    if answer.invalid_json:
        yield sse_event("message_start", INVALID_JSON_BODY)
        return
    start = wire.AnthropicAnswer(model=model, id=answer_id, usage=wire.AnthropicUsage(answer.prompt_tokens, 1))
    yield event(wire.MessageStart(start))
    yield event(wire.ContentBlockStart(0, _content_block(answer, full=False)))
    yield event(wire.Ping())
    tool = answer.tool_input() is not None
    for index, piece in enumerate(answer.streamed_chunks()):
        if index and answer.chunk_delay_s:
            await trio.sleep(answer.chunk_delay_s)
        delta = (
            wire.BlockDelta(wire.INPUT_JSON_DELTA, partial_json=piece)
            if tool
            else wire.BlockDelta(wire.TEXT_DELTA, piece)
        )
        yield event(wire.ContentBlockDelta(0, delta))
    if answer.cut_after_chunks is not None:
        raise StreamCut()
    if answer.stream_error is not None:
        yield event(wire.ErrorEvent(wire.AnthropicErrorDetail("overloaded_error", answer.stream_error)))
        return
    yield event(wire.ContentBlockStop(0))
    yield event(wire.MessageDelta(wire.StopDelta(_stop_reason(answer)), wire.DeltaUsage(answer.completion_tokens)))
    yield event(wire.MessageStop())


def _content_block(answer: Answer, *, full: bool) -> wire.AnthropicContentBlock:
    """The answer's one block: the forced tool's call (its input whole, or empty before the
    stream's `input_json_delta`s), else text."""
    tool_input = answer.tool_input()
    if tool_input is None:
        return wire.AnthropicContentBlock(wire.TEXT_BLOCK, answer.text if full else "")
    return wire.AnthropicContentBlock(
        wire.TOOL_USE_BLOCK, id=f"toolu_stub_{answer.number}", name=answer.form.tool, input=tool_input if full else {}
    )


def _stop_reason(answer: Answer) -> str:
    if answer.tool_input() is not None:
        return "tool_use"
    reason = answer.finish_reason or "stop"
    return STOP_REASONS.get(reason, reason)


def _answer_id(answer: Answer) -> str:
    return f"msg_stub_{answer.number}"
