"""One recorded LLM call: the telemetry row behind the dashboard and the analytics reports."""

from __future__ import annotations

import enum

import attrs

from runtime.model.apis import Agent, Provider


class CallOutcome(enum.Enum):
    """How a call ended, as analytics groups failures."""

    OK = "ok"
    ERROR = "error"  # a failure recorded before the kinds below existed, or one that fits none of them
    INVALID_OUTPUT = "invalid_output"  # the provider answered, but the output broke the agent's contract
    PROVIDER_ERROR = "provider_error"  # the provider refused or failed (HTTP status, auth, rate limit)
    TIMEOUT = "timeout"  # no complete answer within the call's time limit
    CANCELLED = "cancelled"  # the caller abandoned the call
    FORMAT_WARNING = "format_warning"  # usable output that bent the contract (kept, and said so)


class CallKind(enum.Enum):
    """Why a call was made."""

    FIRST = "first"  # the agent's first call for one output
    RETRY = "retry"  # a new call for the same output after an earlier one failed
    REPAIR = "repair"  # the repair call after invalid output (PROTOCOL §9.5)


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
    call_kind: CallKind = CallKind.FIRST
    structured_output_mode: str | None = None  # how a JSON schema was sent; None for free-text agents
    max_tokens: int | None = None  # the output limit sent with the call
