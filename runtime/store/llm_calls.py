"""The `llm_calls` table: one row per LLM call, written by `runtime.llm` telemetry."""

from __future__ import annotations

from runtime.model.apis import Agent, Provider
from runtime.model.llm_calls import CallKind, CallOutcome, LlmCall
from runtime.store._database import Cursor

_COLUMN_TYPES = (
    ("started_at_ms", "BIGINT"),
    ("agent", "VARCHAR"),
    ("api_id", "VARCHAR"),
    ("provider", "VARCHAR"),
    ("model", "VARCHAR"),
    ("streamed", "BOOLEAN"),
    ("prompt_tokens", "BIGINT"),
    ("completion_tokens", "BIGINT"),
    ("latency_ms", "DOUBLE"),
    ("first_token_ms", "DOUBLE"),
    ("attempts", "BIGINT"),
    ("outcome", "VARCHAR"),
    ("error", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("turn_index", "BIGINT"),
    ("draft_id", "VARCHAR"),
    ("call_kind", "VARCHAR"),
    ("structured_output_mode", "VARCHAR"),
    ("max_tokens", "BIGINT"),
)
_COLUMNS = ", ".join(name for name, _ in _COLUMN_TYPES)


CALL_ID_SEQUENCE = "llm_call_ids"
"""Where call ids come from (migration 2): increasing in insertion order and never given to two
rows, also across restarts; with gaps where a transaction that drew ids rolled back."""

# One typed list per column, unnested into rows in list order. DuckDB binds a multi-row VALUES
# parameter by parameter: 200 calls (3,200 parameters) took 18 ms that way and 3 ms this way, and
# the single writer holds every session's commit behind this one.
_INSERT = (
    f"INSERT INTO llm_calls (call_id, {_COLUMNS}) SELECT nextval('{CALL_ID_SEQUENCE}'), * FROM "
    f"(SELECT {', '.join(f'unnest(?::{kind}[])' for _, kind in _COLUMN_TYPES)})"
)


def insert_llm_calls(cursor: Cursor, calls: list[LlmCall]) -> None:
    """Append `calls` in order with one INSERT; each row draws the next call id."""
    if not calls:
        return
    cursor.execute(_INSERT, [list(column) for column in zip(*map(_values_of, calls), strict=False)])


def _values_of(call: LlmCall) -> list[object]:
    """The row of `call` in `_COLUMNS` order."""
    return [
        call.started_at_ms,
        call.agent.value,
        call.api_id,
        call.provider.value,
        call.model,
        call.streamed,
        call.prompt_tokens,
        call.completion_tokens,
        call.latency_ms,
        call.first_token_ms,
        call.attempts,
        call.outcome.value,
        call.error,
        call.session_id,
        call.turn_index,
        call.draft_id,
        call.call_kind.value,
        call.structured_output_mode,
        call.max_tokens,
    ]


def list_llm_calls(cursor: Cursor) -> list[LlmCall]:
    """Every recorded call, oldest first."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM llm_calls ORDER BY call_id").fetchall()
    return [_call_from_row(row) for row in rows]


def _call_from_row(row: tuple) -> LlmCall:
    (
        started,
        agent,
        api_id,
        provider,
        model,
        streamed,
        prompt,
        completion,
        latency,
        first_token,
        attempts,
        outcome,
        error,
        session_id,
        turn_index,
        draft_id,
        call_kind,
        structured_output_mode,
        max_tokens,
    ) = row
    return LlmCall(
        started_at_ms=started,
        agent=Agent(agent),
        api_id=api_id,
        provider=Provider(provider),
        model=model,
        streamed=streamed,
        latency_ms=latency,
        attempts=attempts,
        outcome=CallOutcome(outcome),
        prompt_tokens=prompt,
        completion_tokens=completion,
        first_token_ms=first_token,
        error=error,
        session_id=session_id,
        turn_index=turn_index,
        draft_id=draft_id,
        call_kind=CallKind(call_kind),
        structured_output_mode=structured_output_mode,
        max_tokens=max_tokens,
    )
