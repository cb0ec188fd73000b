"""Telemetry of LLM calls: one `llm_calls` row and one log line per call (ARCHITECTURE §3).

Log lines carry the agent, api, model, timings and outcome, never a key or prompt text.
"""

from __future__ import annotations

import logging
from typing import Protocol

import attrs
import trio

from runtime.clock import Clock
from runtime.errors import DramaturgError
from runtime.llm._retry import Attempts
from runtime.model.apis import Agent, Provider
from runtime.model.chat import ChatUsage
from runtime.model.llm_calls import CallOutcome, LlmCall
from runtime.store import Store
from runtime.store.llm_calls import insert_llm_call

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


@attrs.frozen
class StoreCallRecorder:
    """Writes each call as one `llm_calls` row through the store's writer."""

    store: Store

    async def record(self, call: LlmCall) -> None:
        try:
            await self.store.write(lambda cursor: insert_llm_call(cursor, call))
        except DramaturgError as exc:
            log.warning("llm_call_not_recorded", extra={"agent": call.agent.value, "error": exc.message})


@attrs.frozen
class CallLabels:
    """Who makes a call and where it goes: fixed for one client."""

    agent: Agent
    api_id: str | None
    provider: Provider
    model: str
    tags: CallTags


@attrs.define
class CallMeter:
    """Counts one call while it runs: attempts, whether anything reached the caller, timings."""

    labels: CallLabels
    streamed: bool
    started_at_ms: int
    started_s: float
    attempts: Attempts = attrs.Factory(Attempts)
    first_token_s: float | None = None

    @classmethod
    def start(cls, labels: CallLabels, clock: Clock, *, streamed: bool) -> CallMeter:
        return cls(labels, streamed, clock.now_ms(), trio.current_time())

    def mark_delivered(self) -> None:
        """Something of this call reached the caller: from now on a failure is final (R8)."""
        if not self.attempts.delivered:
            self.attempts.delivered = True
            self.first_token_s = trio.current_time()

    def finish(self, usage: ChatUsage | None, error: str | None = None) -> LlmCall:
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
            outcome=CallOutcome.OK if error is None else CallOutcome.ERROR,
            prompt_tokens=None if usage is None else usage.prompt_tokens,
            completion_tokens=None if usage is None else usage.completion_tokens,
            first_token_ms=None if self.first_token_s is None else (self.first_token_s - self.started_s) * MS_PER_S,
            error=error,
            session_id=labels.tags.session_id,
            turn_index=labels.tags.turn_index,
            draft_id=labels.tags.draft_id,
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
    }
    if call.error is None:
        log.info("llm_call", extra=fields)
    else:
        log.warning("llm_call", extra={**fields, "error": call.error})
