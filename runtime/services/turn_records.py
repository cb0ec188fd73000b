"""The `turns` row of each turn attempt: begun when a turn starts, written with its commit or after its failure.

A completed turn's row goes into the transaction that commits the turn (`commit_turn`), so the
two are stored together or not at all. A failed turn stores nothing of the session (R4); its
row is written alone afterwards, and a failure to write it is logged, never added to the turn's.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import attrs
import trio

from runtime.errors import DramaturgError
from runtime.llm import TurnCallCounter
from runtime.model.sessions import SessionRecord
from runtime.model.turn_records import TurnRecord, TurnRecordOutcome
from runtime.model.turns import TurnStage
from runtime.services._services import Services
from runtime.store.turn_records import insert_turn_record
from runtime.turns import TurnOutcome

log = logging.getLogger(__name__)

MS_PER_S = 1000.0


@attrs.define
class TurnAttempt:
    """One turn from its start: what its record needs from before the turn ran. Owned by the
    session actor that plays the turn."""

    session_id: str
    story_id: str
    turn_index: int
    node_before: str
    started_at_ms: int
    started_s: float
    counter: TurnCallCounter | None
    _end: tuple[float, int | None] | None = None

    @classmethod
    def begin(cls, services: Services, session: SessionRecord) -> TurnAttempt:
        """Start timing the turn `session` is about to play, and counting its LLM calls."""
        turn_index = session.snapshot.turn_index + 1
        if services.turn_calls is not None:
            services.turn_calls.watch(session.session_id, turn_index)
        return cls(
            session.session_id,
            session.story_id,
            turn_index,
            session.snapshot.world_state.current_node,
            services.clock.now_ms(),
            trio.current_time(),
            services.turn_calls,
        )

    def completed(self, outcome: TurnOutcome) -> TurnRecord:
        node_after = outcome.result.snapshot.world_state.current_node
        return self._record(TurnRecordOutcome.COMPLETED, node_after=node_after)

    def failed(self, stage: TurnStage | None, code: int, message: str) -> TurnRecord:
        """The record of the turn failing at `stage` (None: outside the stages) with the error
        code and message the client got."""
        failed_stage = None if stage is None else stage.value
        return self._record(TurnRecordOutcome.FAILED, failed_stage=failed_stage, error_code=code, error_message=message)

    def _record(self, outcome: TurnRecordOutcome, **details: Any) -> TurnRecord:
        duration_ms, llm_calls = self._ended()
        return TurnRecord(
            session_id=self.session_id,
            story_id=self.story_id,
            turn_index=self.turn_index,
            started_at_ms=self.started_at_ms,
            duration_ms=duration_ms,
            outcome=outcome,
            node_before=self.node_before,
            llm_calls=llm_calls,
            **details,
        )

    def _ended(self) -> tuple[float, int | None]:
        """The turn's duration and LLM calls, fixed the first time they are asked for (at the end
        of the pipeline), so a turn whose commit then fails keeps them."""
        if self._end is None:
            calls = None if self.counter is None else self.counter.take(self.session_id, self.turn_index)
            self._end = ((trio.current_time() - self.started_s) * MS_PER_S, calls)
        return self._end


async def record_failed_turn(services: Services, record: TurnRecord) -> None:
    """Write the row of a failed turn in a transaction of its own. Never raises: the turn has
    failed already, and its record must not fail it differently."""
    try:
        await services.store.write(functools.partial(insert_turn_record, record=record), session_data_only=True)
    except DramaturgError as exc:
        log.warning("turn_record_not_written", extra={"session_id": record.session_id, "error": exc.message})


def log_turn_ended(record: TurnRecord) -> None:
    """The `turn` log line of an attempt that has ended: completed at INFO, failed at WARNING (with
    the stage it failed in and the error code the client got)."""
    fields = {
        "session_id": record.session_id,
        "story_id": record.story_id,
        "turn_index": record.turn_index,
        "outcome": record.outcome.value,
        "stage": record.failed_stage,
        "error_code": record.error_code,
        "duration_ms": round(record.duration_ms, 1),
        "llm_calls": record.llm_calls,
        "node": record.node_after or record.node_before,
    }
    level = logging.INFO if record.outcome is TurnRecordOutcome.COMPLETED else logging.WARNING
    log.log(level, "turn", extra={key: value for key, value in fields.items() if value is not None})
