"""The chat client over HTTP: one call with deadline, retries (R8) and telemetry, for either provider.

The provider's wire format (URLs, headers, JSON shapes) is a `ProviderWire`; everything else,
timing, retrying, streaming and recording, is the same for both providers and lives here.
"""

from __future__ import annotations

import collections
import contextlib
import json
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, ClassVar

import attrs
import httpx
import trio

from runtime.codec import CODEC
from runtime.errors import BackendError, ProviderError
from runtime.llm._anthropic import AnthropicWire
from runtime.llm._endpoint import ProviderEndpoint
from runtime.llm._errors import timeout_error, transport_error
from runtime.llm._http import ClientContext, close_quietly, exchange_json, open_stream
from runtime.llm._openai import OpenAiWire
from runtime.llm._retry import with_retries
from runtime.llm._sse import LineSplitter, SseDecoder, SseEvent
from runtime.llm._telemetry import NO_TAGS, CallLabels, CallMeter, CallTags
from runtime.llm._wire import ProviderWire, StreamTally
from runtime.model._fields import secret
from runtime.model.chat import ChatMessage, ChatRequest, ChatResponse, ChatRole, ChatUsage

CLOSED_EARLY = "stream closed by the caller before its end"
DRAIN_AFTER_END_S = 1.0
DRAIN_AFTER_END_READS = 16
"""What is read of a body after the end of its answer, at most, to keep its connection."""


@attrs.frozen
class ChatCall:
    """One call as it goes out: where, with which headers and body, and its meter.

    Headers carry the key and the body carries the prompt, so neither is ever in a repr.
    """

    context: ClientContext
    wire: ProviderWire
    url: str
    model: str
    meter: CallMeter
    headers: dict[str, str] = secret()
    body: bytes = secret()

    async def record(self, usage: ChatUsage | None, error: str | None) -> None:
        call = self.meter.finish(usage, error)
        if self.context.recorder is not None:
            await self.context.recorder.record(call)


class HttpChatClient:
    """A `ChatClient` for one api: its endpoint, its model and the shared HTTP context."""

    wire: ClassVar[ProviderWire]

    def __init__(
        self,
        endpoint: ProviderEndpoint,
        model: str,
        context: ClientContext,
        *,
        api_id: str | None = None,
        tags: CallTags = NO_TAGS,
    ) -> None:
        self._endpoint = endpoint
        self._model = model
        self._context = context
        self._api_id = api_id
        self._tags = tags

    async def complete(self, request: ChatRequest) -> ChatResponse:
        call = self._call(request, stream=False)
        settings = self._context.settings
        try:
            answer = await with_retries(lambda: _complete_once(call), call.meter.attempts, settings, "complete")
        except ProviderError as exc:
            await call.record(None, exc.message)
            raise
        response = attrs.evolve(
            answer,
            model=answer.model or call.model,
            structured_output=_parsed_json(answer.message.content) if request.json_mode else None,
        )
        await call.record(response.usage, None)
        return response

    def stream(self, request: ChatRequest) -> HttpChatStream:
        if request.json_mode:
            raise BackendError("json mode requests are never streamed")
        return HttpChatStream(self._call(request, stream=True))

    def _call(self, request: ChatRequest, *, stream: bool) -> ChatCall:
        model = request.model or self._model
        body = self.wire.chat_body(request, model, self._context.settings, stream=stream)
        labels = CallLabels(request.agent, self._api_id, self.wire.provider, model, self._tags)
        return ChatCall(
            context=self._context,
            wire=self.wire,
            url=self.wire.chat_url(self._endpoint.base_url),
            model=model,
            meter=CallMeter.start(labels, self._context.clock, streamed=stream),
            headers=self.wire.headers(self._endpoint.api_key),
            body=CODEC.dumps(body).encode("utf-8"),
        )


class OpenAiClient(HttpChatClient):
    """`open_ai`: any OpenAI-compatible endpoint (PROTOCOL §15.2)."""

    wire = OpenAiWire()


class AnthropicClient(HttpChatClient):
    """`anthropic`: the native Messages API (PROTOCOL §15.3)."""

    wire = AnthropicWire()


async def _complete_once(call: ChatCall) -> ChatResponse:
    timeout_s = call.context.settings.timeout_s
    answer = await exchange_json(call.context.http, "POST", call.url, call.headers, call.body, timeout_s)
    return call.wire.read_answer(answer)


def _parsed_json(content: str) -> Any:
    try:
        return json.loads(content.strip())
    except ValueError:
        return None


class HttpChatStream:
    """The deltas of one streamed call. A failed attempt is retried only until a delta was returned.

    No cancel scope stays open across a returned delta: each network wait runs under its own
    scope, bounded by the attempt's deadline (so the deadline covers the whole body).
    """

    def __init__(self, call: ChatCall) -> None:
        self._call = call
        self._response: httpx.Response | None = None
        self._body: AsyncIterator[bytes] | None = None
        self._splitter = LineSplitter()
        self._lines: collections.deque[str] = collections.deque()  # read, not yet given to `_sse`
        self._deadline = 0.0
        self._sse = SseDecoder()
        self._reader = call.wire.stream_reader()
        self._tally = StreamTally()
        self._parts: list[str] = []
        self._result: ChatResponse | None = None
        self._done = False

    def __aiter__(self) -> HttpChatStream:
        return self

    async def __aenter__(self) -> HttpChatStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None or issubclass(exc_type, Exception):
            await self.aclose()
            return
        # Cancelled: release the connection, but record nothing (the store may be closing).
        self._done = True
        await self._close_response()

    @property
    def response(self) -> ChatResponse:
        if self._result is None:
            raise BackendError("the stream has not ended yet")
        return self._result

    async def aclose(self) -> None:
        if self._done:
            return
        self._done = True
        await self._close_response()
        await self._call.record(self._tally.usage(), CLOSED_EARLY)

    async def __anext__(self) -> str:
        settings, attempts = self._call.context.settings, self._call.meter.attempts
        while not self._done:
            try:
                delta = await self._next_delta()
            except ProviderError as exc:
                await self._close_response()
                if attempts.may_retry(exc, settings):
                    await attempts.wait_before_retry(exc, settings, "stream")
                    continue
                await self._end(exc.message)
                raise
            if delta is None:
                await self._end(None)
                break
            self._call.meter.mark_delivered()
            self._parts.append(delta)
            return delta
        raise StopAsyncIteration

    async def _end(self, error: str | None) -> None:
        self._done = True
        if error is None:
            await self._drain()
        await self._close_response()
        if error is None:
            self._result = ChatResponse(
                message=ChatMessage(ChatRole.ASSISTANT, "".join(self._parts)),
                model=self._tally.model or self._call.model,
                finish_reason=self._tally.finish_reason,
                usage=self._tally.usage(),
            )
        await self._call.record(self._tally.usage(), error)

    async def _next_delta(self) -> str | None:
        """The next non-empty delta, or None at the end of the answer."""
        if self._response is None:
            await self._open()
        while True:
            event = await self._next_event()
            if event is None:
                return None  # the end of the body also ends the answer (PROTOCOL §9.3, §15.3)
            text = self._reader.read(event, self._tally)
            if self._tally.ended:
                return None
            if text:
                return text

    async def _open(self) -> None:
        call, timeout_s = self._call, self._call.context.settings.timeout_s
        call.meter.attempts.count += 1
        self._deadline = trio.current_time() + timeout_s
        self._sse, self._reader, self._tally = SseDecoder(), call.wire.stream_reader(), StreamTally()
        self._splitter, self._lines = LineSplitter(), collections.deque()
        self._response = await open_stream(
            call.context.http, call.url, call.headers, call.body, self._deadline, timeout_s
        )
        self._body = self._response.aiter_bytes()

    async def _next_event(self) -> SseEvent | None:
        while True:
            line = await self._next_line()
            if line is None:
                return self._sse.flush()
            event = self._sse.feed(line)
            if event is not None:
                return event

    async def _next_line(self) -> str | None:
        """The next line of the body; None at its end. Reads the network only when no line read
        before is left (one deadline scope per read, not per line: a read often holds many)."""
        while not self._lines:
            data = await self._next_data()
            if data is None:
                return self._splitter.end()
            self._lines.extend(self._splitter.feed(data))
        return self._lines.popleft()

    async def _next_data(self) -> bytes | None:
        assert self._body is not None
        with trio.move_on_at(self._deadline):
            try:
                return await self._body.__anext__()
            except StopAsyncIteration:
                return None
            except httpx.HTTPError as exc:
                raise transport_error(exc) from exc
        raise timeout_error(self._call.context.settings.timeout_s)

    async def _drain(self) -> None:
        """Read what follows the end of the answer (usually just the body's end), so that the
        connection goes back to the pool instead of being closed; a provider that goes on
        talking only costs its connection."""
        if self._body is None:
            return
        with trio.move_on_after(DRAIN_AFTER_END_S), contextlib.suppress(StopAsyncIteration, httpx.HTTPError):
            for _ in range(DRAIN_AFTER_END_READS):
                await self._body.__anext__()

    async def _close_response(self) -> None:
        body, response = self._body, self._response
        self._body, self._response = None, None
        if body is not None:
            with trio.CancelScope(shield=True):
                await body.aclose()  # type: ignore[attr-defined]
        if response is not None:
            await close_quietly(response)
