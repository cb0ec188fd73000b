"""Day rollups of `llm_calls`, and where a report reads the calls of a time range from.

`llm_call_days` (counts and sums) and `llm_call_day_latencies` (latency bins) hold the calls
folded so far, per UTC day, agent, api and model: a few thousand rows for a million calls, so a
report over all of them reads the rollups instead of scanning every call. `llm_call_rollup`
says which calls they hold: those with `call_id <= folded_through_call_id` that started before
`folded_before_ms` (a UTC midnight).

A report reads the whole days of its range that are folded from the rollups, and every other
call of the range from `llm_calls`: the partial days at its edges, the days not folded yet
(today), and any call written after its day was folded (a call is written when it ends). So a
report is exact whatever has been folded; folding only makes it cheaper.

Folding runs as a write on the store's writer, a few days per transaction, when a report finds
a whole day that ended over FOLD_GRACE_MS ago still unfolded (about once a day).
"""

from __future__ import annotations

import attrs

from runtime.analytics._days import DAY_MS, TimeRange, date_of_day_start, day_of_ms, day_start_ms
from runtime.analytics._latency_bins import bin_sql
from runtime.store import Cursor

FOLD_GRACE_MS = 60 * 60 * 1000  # a day is folded once it ended this long ago: its calls have ended and been written
FOLD_DAYS_PER_WRITE = 7  # a first fold of a large table holds the writer for one chunk at a time

LATENCY = "latency"
FIRST_TOKEN = "first_token"


@attrs.frozen
class RollupProgress:
    folded_through_call_id: int
    folded_before_ms: int


def read_progress(cursor: Cursor) -> RollupProgress:
    (row,) = cursor.execute("SELECT folded_through_call_id, folded_before_ms FROM llm_call_rollup").fetchall()
    return RollupProgress(*row)


def fold_due(progress: RollupProgress, now_ms: int) -> bool:
    """Whether a whole day that ended over FOLD_GRACE_MS ago is not folded yet."""
    return progress.folded_before_ms < _fold_limit_ms(now_ms)


def _fold_limit_ms(now_ms: int) -> int:
    return day_start_ms(now_ms - FOLD_GRACE_MS)


# The calls a fold adds: those now below both marks that were not below the old ones. Two
# disjoint parts, each narrow on one of the columns the table is written in order of.
_FOLDING = """
WITH folding AS (
    SELECT * FROM llm_calls
    WHERE call_id > $old_call_id AND call_id <= $new_call_id AND started_at_ms < $new_before_ms
    UNION ALL
    SELECT * FROM llm_calls
    WHERE call_id <= $old_call_id AND started_at_ms >= $old_before_ms AND started_at_ms < $new_before_ms
)
"""

_FOLD_COUNTS = f"""
{_FOLDING}
INSERT INTO llm_call_days
SELECT {day_of_ms("started_at_ms")}, agent, api_id, model, outcome, coalesce(call_kind, 'first'),
       count(*), sum(prompt_tokens), sum(completion_tokens),
       count(*) FILTER (WHERE prompt_tokens IS NULL AND completion_tokens IS NULL), sum(attempts - 1)
FROM folding
GROUP BY ALL
"""

_FOLD_LATENCIES = f"""
{_FOLDING}
INSERT INTO llm_call_day_latencies
SELECT day, agent, api_id, model, measure, bin, count(*)
FROM (
    SELECT {day_of_ms("started_at_ms")} AS day, agent, api_id, model, '{LATENCY}' AS measure,
           {bin_sql("latency_ms")} AS bin
    FROM folding
    UNION ALL
    SELECT {day_of_ms("started_at_ms")}, agent, api_id, model, '{FIRST_TOKEN}', {bin_sql("first_token_ms")}
    FROM folding WHERE first_token_ms IS NOT NULL
)
GROUP BY ALL
"""


def fold_some_days(cursor: Cursor, now_ms: int) -> bool:
    """Fold the next FOLD_DAYS_PER_WRITE days at most; inside a write. True when more are due.

    Reads the marks inside the transaction, so two folds queued together never fold a call twice.
    """
    old = read_progress(cursor)
    limit_ms = _fold_limit_ms(now_ms)
    if old.folded_before_ms >= limit_ms:
        return False
    ((newest_id, oldest_unfolded_ms),) = cursor.execute(
        "SELECT max(call_id), min(started_at_ms) FILTER (WHERE started_at_ms >= ?) FROM llm_calls",
        [old.folded_before_ms],
    ).fetchall()
    new_before_ms = limit_ms
    if oldest_unfolded_ms is not None:
        chunk_start_ms = max(old.folded_before_ms, day_start_ms(oldest_unfolded_ms))
        new_before_ms = min(limit_ms, chunk_start_ms + FOLD_DAYS_PER_WRITE * DAY_MS)
    marks = {
        "old_call_id": old.folded_through_call_id,
        "new_call_id": newest_id if newest_id is not None else old.folded_through_call_id,
        "old_before_ms": old.folded_before_ms,
        "new_before_ms": new_before_ms,
    }
    cursor.execute(_FOLD_COUNTS, marks)
    cursor.execute(_FOLD_LATENCIES, marks)
    cursor.execute(
        "UPDATE llm_call_rollup SET folded_through_call_id = $new_call_id, folded_before_ms = $new_before_ms",
        {"new_call_id": marks["new_call_id"], "new_before_ms": new_before_ms},
    )
    return new_before_ms < limit_ms


@attrs.frozen
class CallSources:
    """Where the calls of `time_range` are read: `[rollup_start_ms, rollup_end_ms)` (whole folded
    days) from the rollups for the calls folded there, everything else from `llm_calls`."""

    time_range: TimeRange
    rollup_start_ms: int
    rollup_end_ms: int
    folded_through_call_id: int

    @classmethod
    def plan(cls, time_range: TimeRange, progress: RollupProgress) -> CallSources:
        start, end = time_range.whole_days()
        end = min(end, progress.folded_before_ms)
        if end <= start:
            start = end = time_range.since_ms
        return cls(time_range, start, end, progress.folded_through_call_id)

    def params(self) -> dict[str, object]:
        """The values of the named parameters the SQL of `raw_calls` and `rollup_days` uses."""
        return {
            "since_ms": self.time_range.since_ms,
            "until_ms": self.time_range.until_ms,
            "rollup_start_ms": self.rollup_start_ms,
            "rollup_end_ms": self.rollup_end_ms,
            "rollup_start_day": date_of_day_start(self.rollup_start_ms),
            "rollup_end_day": date_of_day_start(self.rollup_end_ms),
            "folded_call_id": self.folded_through_call_id,
        }


def raw_calls(columns: str, where: str) -> str:
    """SQL selecting `columns` of the calls a report reads from `llm_calls` (see `CallSources`);
    `where` is an extra condition (SQL, `TRUE` for none)."""
    return f"""
        SELECT {columns} FROM llm_calls
        WHERE started_at_ms >= $since_ms AND started_at_ms < $rollup_start_ms AND ({where})
        UNION ALL
        SELECT {columns} FROM llm_calls
        WHERE started_at_ms >= $rollup_end_ms AND started_at_ms < $until_ms AND ({where})
        UNION ALL
        SELECT {columns} FROM llm_calls
        WHERE started_at_ms >= $rollup_start_ms AND started_at_ms < $rollup_end_ms
          AND call_id > $folded_call_id AND ({where})
    """


ROLLUP_DAYS = "day >= $rollup_start_day AND day < $rollup_end_day"
"""SQL condition on a rollup table: the days a report reads from it."""
