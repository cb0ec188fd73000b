"""Telemetry of LLM calls: one `llm_calls` row and one log line per call (ARCHITECTURE §3).

Rows are written off the call's path: a call only queues its row, and the task run by
`open_call_recorder` writes what is queued in batches (one transaction, one INSERT each). The
store has a single writer that turn commits queue on too, so the task writes rarely: it lingers
a moment after a call so that the few calls of a turn share one write.

Log lines carry the agent, api, model, timings and outcome, never a key or prompt text.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from typing import Protocol

import attrs
import trio

from runtime.clock import Clock
from runtime.errors import DramaturgError, ProviderError
from runtime.llm._errors import ProviderTimeout
from runtime.llm._retry import Attempts
from runtime.model.apis import Agent, Provider, StructuredOutput
from runtime.model.chat import ChatUsage
from runtime.model.llm_calls import CallKind, CallOutcome, LlmCall
from runtime.store import Store
from runtime.store.llm_calls import insert_llm_calls

log = logging.getLogger(__name__)

MS_PER_S = 1000.0


@attrs.frozen
class CallTags:
    """What a call belongs to, as the caller knows it; stored with the call for analytics."""

    session_id: str | None = None
    turn_index: int | None = None
    draft_id: str | None = None


NO_TAGS = CallTags()


class CallRecorder(Protocol):
    async def record(self, call: LlmCall) -> None:
        """Keep `call`. Must not raise: telemetry never fails the call it describes."""


CALL_QUEUE_SIZE = 16_384
"""Calls waiting to be written; beyond this the store is far behind and new rows are dropped.
A thousand sessions on a fast model make thousands of calls a second; a row is ~1 KB queued."""

MAX_CALLS_PER_WRITE = 512
"""One INSERT at most; the writer is shared with turn commits, so it writes few large batches."""

WRITE_LINGER_S = 0.5
"""How long the writer waits after the first queued call for more before writing (a turn makes
several calls within this); cut short by MAX_CALLS_PER_WRITE waiting calls, a flush or closing."""


@attrs.define
class _Progress:
    """How many queued calls the writer has finished with (written or failed), to wait on, and
    how many a waiter wants written now (the writer does not linger for those)."""

    queued: int = 0
    settled: int = 0
    flush_through: int = 0
    changed: trio.Event = attrs.Factory(trio.Event)
    linger: trio.CancelScope | None = None

    @property
    def flush_wanted(self) -> bool:
        return self.flush_through > self.settled

    def want_flushed(self) -> int:
        """Ask the writer to write every call queued so far without lingering; their count."""
        self.flush_through = self.queued
        if self.linger is not None:
            self.linger.cancel()
        return self.queued

    def settle(self, count: int) -> None:
        self.settled += count
        self.changed.set()
        self.changed = trio.Event()


@attrs.frozen
class QueuedCallRecorder:
    """Queues each call for the writer task of `open_call_recorder`; recording never waits.

    If the queue is full (`CALL_QUEUE_SIZE` calls not yet written), the call is dropped with a
    warning rather than making the LLM call wait for the store. A call recorded after the
    recorder closed is dropped the same way.
    """

    _calls: trio.MemorySendChannel[LlmCall]
    _progress: _Progress

    async def record(self, call: LlmCall) -> None:
        try:
            self._calls.send_nowait(call)
        except trio.WouldBlock:
            log.warning("llm_call_dropped", extra={"agent": call.agent.value, "error": "telemetry queue full"})
        except trio.ClosedResourceError:
            log.warning("llm_call_dropped", extra={"agent": call.agent.value, "error": "telemetry closed"})
        else:
            self._progress.queued += 1

    async def wait_flushed(self) -> None:
        """Return once every call recorded before this call is written (or its write failed).

        The writer writes them right away instead of lingering for more calls.
        """
        target = self._progress.want_flushed()
        while self._progress.settled < target:
            await self._progress.changed.wait()


@contextlib.asynccontextmanager
async def open_call_recorder(store: Store, *, queue_size: int = CALL_QUEUE_SIZE) -> AsyncIterator[QueuedCallRecorder]:
    """A recorder whose calls become `llm_calls` rows, written in batches by one background task.

    On a clean exit every call queued so far is written (without lingering) before this returns.
    """
    send, receive = trio.open_memory_channel[LlmCall](queue_size)
    progress = _Progress()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_write_calls, store, receive, progress)
        async with send:
            yield QueuedCallRecorder(send, progress)


async def _write_calls(store: Store, calls: trio.MemoryReceiveChannel[LlmCall], progress: _Progress) -> None:
    """Write queued calls until the channel closes, each batch in one transaction."""
    async with calls:
        async for first in calls:
            batch = await _gather_batch(first, calls, progress)
            try:
                await store.write(functools.partial(insert_llm_calls, calls=batch), session_data_only=True)
            except DramaturgError as exc:
                log.warning("llm_calls_not_recorded", extra={"calls": len(batch), "error": exc.message})
            progress.settle(len(batch))


async def _gather_batch(
    first: LlmCall, calls: trio.MemoryReceiveChannel[LlmCall], progress: _Progress
) -> list[LlmCall]:
    """`first` and the calls that arrive within WRITE_LINGER_S of it, up to MAX_CALLS_PER_WRITE.

    No lingering when a flush is wanted or once the channel is closed: then the batch is what
    is waiting already.
    """
    batch = [first]
    with trio.move_on_after(WRITE_LINGER_S) as linger:
        progress.linger = linger
        if progress.flush_wanted:
            linger.cancel()
        while len(batch) < MAX_CALLS_PER_WRITE:
            try:
                batch.append(await calls.receive())
            except trio.EndOfChannel:
                break
    progress.linger = None
    while len(batch) < MAX_CALLS_PER_WRITE:  # a cancelled receive leaves waiting calls queued
        try:
            batch.append(calls.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel):
            break
    return batch


@attrs.frozen
class CallLabels:
    """Who makes a call and where it goes: fixed for one client."""

    agent: Agent
    api_id: str | None
    provider: Provider
    model: str
    tags: CallTags


def outcome_of(error: ProviderError) -> CallOutcome:
    """How a failed call is counted: a timeout, or any other provider failure."""
    return CallOutcome.TIMEOUT if isinstance(error, ProviderTimeout) else CallOutcome.PROVIDER_ERROR


@attrs.define
class CallMeter:
    """Counts one call while it runs: attempts, whether anything reached the caller, timings.
    `kind` and `max_tokens` are fixed when the call starts."""

    labels: CallLabels
    streamed: bool
    started_at_ms: int
    started_s: float
    kind: CallKind = CallKind.FIRST
    max_tokens: int | None = None
    attempts: Attempts = attrs.Factory(Attempts)
    first_token_s: float | None = None

    @classmethod
    def start(
        cls,
        labels: CallLabels,
        clock: Clock,
        *,
        streamed: bool,
        kind: CallKind = CallKind.FIRST,
        max_tokens: int | None = None,
        timeout_s: float | None = None,
    ) -> CallMeter:
        """A meter started now; with `timeout_s`, every attempt of the call ends by then."""
        now = trio.current_time()
        attempts = Attempts(deadline=None if timeout_s is None else now + timeout_s)
        return cls(labels, streamed, clock.now_ms(), now, kind, max_tokens, attempts)

    def mark_first_token(self, *, delivered: bool = True) -> None:
        """A delta arrived; with `delivered`, it reached the caller: from now on a failure is final (R8)."""
        if self.first_token_s is None:
            self.first_token_s = trio.current_time()
        if delivered:
            self.attempts.delivered = True

    def finish(
        self,
        usage: ChatUsage | None,
        outcome: CallOutcome = CallOutcome.OK,
        error: str | None = None,
        mode: StructuredOutput | None = None,
    ) -> LlmCall:
        """The call's row. `error` is the failure, or the first problem of an `invalid_output` or
        `format_warning` verdict; `mode` the structured-output mode the call used."""
        labels = self.labels
        call = LlmCall(
            started_at_ms=self.started_at_ms,
            agent=labels.agent,
            api_id=labels.api_id,
            provider=labels.provider,
            model=labels.model,
            streamed=self.streamed,
            latency_ms=(trio.current_time() - self.started_s) * MS_PER_S,
            attempts=self.attempts.count,
            outcome=outcome,
            prompt_tokens=None if usage is None else usage.prompt_tokens,
            completion_tokens=None if usage is None else usage.completion_tokens,
            first_token_ms=None if self.first_token_s is None else (self.first_token_s - self.started_s) * MS_PER_S,
            error=error,
            session_id=labels.tags.session_id,
            turn_index=labels.tags.turn_index,
            draft_id=labels.tags.draft_id,
            call_kind=self.kind,
            structured_output_mode=None if mode is None else mode.value,
            max_tokens=self.max_tokens,
        )
        _log_call(call)
        return call


def _log_call(call: LlmCall) -> None:
    fields = {
        "agent": call.agent.value,
        "api_id": call.api_id,
        "provider": call.provider.value,
        "model": call.model,
        "streamed": call.streamed,
        "attempts": call.attempts,
        "latency_ms": round(call.latency_ms, 1),
        "outcome": call.outcome.value,
        "call_kind": call.call_kind.value,
    }
    if call.error is None:
        log.info("llm_call", extra=fields)
    else:
        log.warning("llm_call", extra={**fields, "error": call.error})
