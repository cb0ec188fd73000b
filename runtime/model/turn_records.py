"""One played turn attempt as analytics sees it: the row behind turns per day, failures and node visits."""

from __future__ import annotations

import enum

import attrs


class TurnRecordOutcome(enum.Enum):
    COMPLETED = "completed"  # committed: the session moved on
    FAILED = "failed"  # nothing of the turn was stored (R4); only this record says it happened


@attrs.frozen
class TurnRecord:
    """A turn that got past its setup (it was acknowledged), completed or failed.

    `turn_index` is the index the turn played (or tried to play): the session's index before it
    plus one. `failed_stage` is the pipeline stage of a failed turn (PROTOCOL §4.8), None when it
    failed outside the stages (its commit, an internal error). `llm_calls` counts the calls the
    turn made, retries and repairs included (None where nobody counted).
    """

    session_id: str
    story_id: str
    turn_index: int
    started_at_ms: int
    duration_ms: float
    outcome: TurnRecordOutcome
    node_before: str
    node_after: str | None = None  # None for a failed turn: its session did not move
    failed_stage: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    llm_calls: int | None = None
