"""The chat client over HTTP: one call with deadline, retries (R8) and telemetry, for either provider.

The provider's wire format (URLs, headers, JSON shapes) is a `ProviderWire`; everything else,
timing, retrying, streaming, falling back to a weaker structured-output mode and recording, is
the same for both providers and lives here.

A streamed JSON answer (`ChatRequest.json_mode`) ends as soon as its top-level value is
complete: the rest is not read, and the connection is closed rather than drained, which also
tells a local server to stop generating.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
from collections.abc import AsyncIterator, Callable
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
from runtime.llm._json_end import JsonEndScanner
from runtime.llm._openai import OpenAiWire
from runtime.llm._retry import with_retries
from runtime.llm._sse import LineSplitter, SseDecoder, SseEvent
from runtime.llm._structured import EndpointKey
from runtime.llm._telemetry import NO_TAGS, CallLabels, CallMeter, CallTags, outcome_of
from runtime.llm._wire import BodyOptions, ProviderWire, StreamTally
from runtime.model._fields import secret
from runtime.model.apis import StructuredOutput
from runtime.model.chat import ChatMessage, ChatRequest, ChatResponse, ChatRole, ChatUsage
from runtime.model.llm_calls import CallOutcome

CLOSED_EARLY = "stream closed by the caller before its end"
DRAIN_AFTER_END_S = 1.0
DRAIN_AFTER_END_READS = 16
"""What is read of a body after the end of its answer, at most, to keep its connection."""
TAIL_EVENTS = 8
"""Events read after a complete JSON value, at most, waiting for the end of the answer."""


@attrs.frozen
class ChatCall:
    """One call as it goes out: where, with which headers and body, and its meter.

    Headers carry the key and the body carries the prompt, so neither is ever in a repr.
    `mode` is the structured-output mode the body uses (None for a request that is not JSON).
    """

    context: ClientContext
    wire: ProviderWire
    url: str
    model: str
    meter: CallMeter
    mode: StructuredOutput | None
    headers: dict[str, str] = secret()
    body: bytes = secret()

    async def record(self, usage: ChatUsage | None, outcome: CallOutcome, error: str | None = None) -> None:
        call = self.meter.finish(usage, outcome, error, self.mode)
        if self.context.recorder is not None:
            with trio.CancelScope(shield=True):  # a cancelled call is recorded too
                await self.context.recorder.record(call)


Fallback = Callable[[ChatCall, ProviderError], "ChatCall | None"]
"""Given a call and how it was refused: the same call in a weaker form to send instead, or None."""


class HttpChatClient:
    """A `ChatClient` for one api: its endpoint, its model, its structured-output setting and
    the shared HTTP context."""

    wire: ClassVar[ProviderWire]

    def __init__(
        self,
        endpoint: ProviderEndpoint,
        model: str,
        context: ClientContext,
        *,
        api_id: str | None = None,
        tags: CallTags = NO_TAGS,
        structured_output: StructuredOutput = StructuredOutput.AUTO,
    ) -> None:
        self._endpoint = endpoint
        self._model = model
        self._context = context
        self._api_id = api_id
        self._tags = tags
        self._setting = structured_output
        self._key = EndpointKey(api_id, endpoint.provider, endpoint.base_url, model)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        call = self._call(request, stream=False, meter=self._meter(request, stream=False))
        answer, call = await self._answer(request, call)
        response = attrs.evolve(
            answer,
            model=answer.model or call.model,
            structured_output=_parsed_json(answer.message.content) if request.json_mode else None,
        )
        await call.record(response.usage, CallOutcome.OK)
        return response

    async def _answer(self, request: ChatRequest, call: ChatCall) -> tuple[ChatResponse, ChatCall]:
        """The unary answer and the call that got it, with retries (R8) and structured-output
        fallbacks; a failure is recorded and raised."""
        while True:
            once = functools.partial(_complete_once, call)
            try:
                answer = await with_retries(
                    once, call.meter.attempts, self._context.settings, "complete", self._is_refusal(call)
                )
            except ProviderError as exc:
                weaker = self._fall_back(request, call, exc)
                if weaker is None:
                    await call.record(None, outcome_of(exc), exc.message)
                    raise
                call = weaker
                continue
            return answer, call

    def stream(self, request: ChatRequest) -> HttpChatStream:
        meter = self._meter(request, stream=True)
        call = self._call(request, stream=True, meter=meter)
        return HttpChatStream(
            call, lambda failed, exc: self._fall_back(request, failed, exc), json_end=request.json_mode
        )

    def _meter(self, request: ChatRequest, *, stream: bool) -> CallMeter:
        model = request.model or self._model
        labels = CallLabels(request.agent, self._api_id, self.wire.provider, model, self._tags)
        max_tokens = self.wire.max_tokens(request, self._context.settings)
        return CallMeter.start(
            labels,
            self._context.clock,
            streamed=stream,
            kind=request.call_kind,
            max_tokens=max_tokens,
            timeout_s=self._context.settings.timeout_s,
        )

    def _call(self, request: ChatRequest, *, stream: bool, meter: CallMeter) -> ChatCall:
        model = request.model or self._model
        memory = self._context.memory
        mode = memory.mode_for(self._key, self._setting) if request.json_mode else None
        options = BodyOptions(mode=mode, stream_usage=memory.stream_usage(self._key))
        body = self.wire.chat_body(request, model, self._context.settings, stream=stream, options=options)
        return ChatCall(
            context=self._context,
            wire=self.wire,
            url=self.wire.chat_url(self._endpoint.base_url),
            model=model,
            meter=meter,
            mode=self.wire.sent_mode(request, mode),
            headers=self.wire.headers(self._endpoint.api_key),
            body=CODEC.dumps(body).encode("utf-8"),
        )

    def _fall_back(self, request: ChatRequest, call: ChatCall, error: ProviderError) -> ChatCall | None:
        """The call again in the form the endpoint may accept, when `error` refused what it sent."""
        memory = self._context.memory
        refused_mode = call.mode is not None and memory.fall_back(self._key, self._setting, call.mode, error)
        if not refused_mode and not (call.meter.streamed and memory.drop_stream_usage(self._key, error)):
            return None
        return self._call(request, stream=call.meter.streamed, meter=call.meter)

    def _is_refusal(self, call: ChatCall) -> Callable[[ProviderError], bool]:
        """Whether an error is one that a fallback answers (so it is not retried as it is)."""
        return lambda error: self._context.memory.would_fall_back(self._key, self._setting, call.mode, error)


class OpenAiClient(HttpChatClient):
    """`open_ai`: any OpenAI-compatible endpoint (PROTOCOL §15.2)."""

    wire = OpenAiWire()


class AnthropicClient(HttpChatClient):
    """`anthropic`: the native Messages API (PROTOCOL §15.3)."""

    wire = AnthropicWire()


async def _complete_once(call: ChatCall) -> ChatResponse:
    timeout_s, deadline = call.context.settings.timeout_s, call.meter.attempts.deadline
    answer = await exchange_json(call.context.http, "POST", call.url, call.headers, call.body, timeout_s, deadline)
    return call.wire.read_answer(answer)


def _parsed_json(content: str) -> Any:
    try:
        return json.loads(content.strip())
    except ValueError:
        return None


class HttpChatStream:
    """The deltas of one streamed call. A failed attempt is retried only until a delta was returned.

    No cancel scope stays open across a returned delta: each network wait runs under its own
    scope, bounded by the call's deadline (so the time limit covers the whole body, and every
    attempt).

    The call is recorded once, when the stream is closed: as failed when it failed, else with
    the verdict its reader gave (`judge`), else as ok when it was read to its end and as
    cancelled when it was left before.
    """

    def __init__(self, call: ChatCall, fall_back: Fallback, *, json_end: bool = False) -> None:
        self._call = call
        self._fall_back = fall_back
        self._response: httpx.Response | None = None
        self._body: AsyncIterator[bytes] | None = None
        self._splitter = LineSplitter()
        self._lines: collections.deque[str] = collections.deque()  # read, not yet given to `_sse`
        self._deadline = 0.0
        self._sse = SseDecoder()
        self._reader = call.wire.stream_reader()
        self._tally = StreamTally()
        self._json_end = JsonEndScanner() if json_end else None
        self._parts: list[str] = []
        self._result: ChatResponse | None = None
        self._failure: ProviderError | None = None
        self._verdict: tuple[CallOutcome, str] | None = None
        self._done = False
        self._recorded = False

    def __aiter__(self) -> HttpChatStream:
        return self

    async def __aenter__(self) -> HttpChatStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @property
    def response(self) -> ChatResponse:
        if self._result is None:
            raise BackendError("the stream has not ended yet")
        return self._result

    def judge(self, outcome: CallOutcome, detail: str) -> None:
        """Say what the reader made of the answer (`invalid_output` or `format_warning`, with the
        first problem); recorded when the stream is closed. The first verdict counts."""
        if self._verdict is None:
            self._verdict = (outcome, detail)

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            await self._close_response()
        if self._recorded:
            return
        self._recorded = True
        outcome, error = self._outcome()
        await self._call.record(self._tally.usage(), outcome, error)

    def _outcome(self) -> tuple[CallOutcome, str | None]:
        if self._failure is not None:
            return outcome_of(self._failure), self._failure.message
        if self._verdict is not None:
            return self._verdict
        if self._result is None:
            return CallOutcome.CANCELLED, CLOSED_EARLY
        return CallOutcome.OK, None

    async def __anext__(self) -> str:
        while not self._done:
            try:
                delta = await self._next_delta()
            except ProviderError as exc:
                await self._close_response()
                if await self._try_again(exc):
                    continue
                self._failure = exc
                self._done = True
                raise
            if delta is None:
                await self._end(drain=True)
                break
            rest = ""
            if self._json_end is not None:
                end = self._json_end.feed(delta)
                delta, rest = delta[:end], delta[end:]
            if delta:
                # A JSON answer reaches the caller only whole: a stream cut before it ends may be retried.
                self._call.meter.mark_first_token(delivered=self._json_end is None)
                self._parts.append(delta)
            if self._json_end is not None and self._json_end.complete:
                if not rest.strip():  # the model may be about to stop: wait for its end and usage
                    await self._read_tail()
                await self._end(drain=False)
            if delta:
                return delta
        raise StopAsyncIteration

    async def _try_again(self, error: ProviderError) -> bool:
        """Send the call again: in a weaker form when the endpoint refused what it sent, or as it
        is when R8 allows a retry (after its back-off)."""
        attempts, settings = self._call.meter.attempts, self._call.context.settings
        if not attempts.delivered:
            weaker = self._fall_back(self._call, error)
            if weaker is not None:
                self._call = weaker
                return True
        if attempts.may_retry(error, settings):
            await attempts.wait_before_retry(error, settings, "stream")
            return True
        return False

    async def _end(self, *, drain: bool) -> None:
        self._done = True
        if drain:
            await self._drain()
        await self._close_response()
        self._result = ChatResponse(
            message=ChatMessage(ChatRole.ASSISTANT, "".join(self._parts)),
            model=self._tally.model or self._call.model,
            finish_reason=self._tally.finish_reason,
            usage=self._tally.usage(),
        )

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
        self._deadline = call.meter.attempts.deadline or trio.current_time() + timeout_s
        self._sse, self._reader, self._tally = SseDecoder(), call.wire.stream_reader(), StreamTally()
        self._splitter, self._lines = LineSplitter(), collections.deque()
        if self._json_end is not None:  # an attempt after a cut JSON answer starts the answer over
            self._json_end, self._parts = JsonEndScanner(), []
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

    async def _read_tail(self) -> None:
        """After a complete JSON value, read on only while the answer is ending (whitespace, the
        finish reason, the usage, the end marker), so that a server that stops at once reports
        its usage and keeps its connection. At the first further text, stop: that text is not
        part of the answer, and closing the connection stops the server generating it."""
        with trio.move_on_after(DRAIN_AFTER_END_S), contextlib.suppress(ProviderError):
            for _ in range(TAIL_EVENTS):
                event = await self._next_event()
                if event is None:
                    return
                text = self._reader.read(event, self._tally)
                if self._tally.ended or text.strip():
                    return

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
