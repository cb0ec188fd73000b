"""One recorded LLM call: the telemetry row behind the dashboard and the analytics reports."""

from __future__ import annotations

import enum

import attrs

from runtime.model.apis import Agent, Provider


class CallOutcome(enum.Enum):
    OK = "ok"
    ERROR = "error"


@attrs.frozen
class LlmCall:
    """What happened on one call, over all its attempts. Times in milliseconds.

    `latency_ms` runs from the first attempt's start to the end of the last one (for streams,
    to the end of the body); `first_token_ms` is the time to the first streamed delta.
    """

    started_at_ms: int
    agent: Agent
    api_id: str | None
    provider: Provider
    model: str
    streamed: bool
    latency_ms: float
    attempts: int
    outcome: CallOutcome
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    first_token_ms: float | None = None
    error: str | None = None
    session_id: str | None = None
    turn_index: int | None = None
    draft_id: str | None = None
