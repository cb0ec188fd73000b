"""`analytics.play`: turns and sessions by story, session and day, from `turns` and `sessions`.

A turn belongs to the range by when it started, a session by when it was created. A turn makes
several LLM calls and writes a dozen messages, so there are far fewer turns than either: these
reports read the rows themselves, with no rollup.

Grouped by session a report can have as many rows as there are sessions, so it pages: `limit`
and `offset` choose a run of group keys in their order first, and the groups are then computed
for that run only (the totals still over everything).
"""

from __future__ import annotations

from typing import Any

import attrs

from runtime.analytics._days import TimeRange, day_of_ms
from runtime.analytics._grouping import GroupedQuery, check_unique, group_key, key_value
from runtime.errors import InvalidParams
from runtime.model.analytics import PlayDimension, PlayParams, PlayReport, PlayRow
from runtime.model.turn_records import TurnRecordOutcome
from runtime.store import Cursor

_COLUMNS_OF = {
    PlayDimension.STORY: ("story_id",),
    PlayDimension.SESSION: ("story_id", "session_id"),  # a session belongs to one story
    PlayDimension.DAY: ("day",),
}
OTHER_STAGE = "other"  # a failure outside the pipeline's stages: the commit, an internal error
COMPLETED = TurnRecordOutcome.COMPLETED.value
FAILED = TurnRecordOutcome.FAILED.value
MAX_LIMIT = 10_000


def _turns(query: GroupedQuery) -> str:
    """SQL: the turns of the report, with their day."""
    return f"""
        SELECT *, {day_of_ms("started_at_ms")} AS day FROM turns
        WHERE started_at_ms >= $since_ms AND started_at_ms < $until_ms AND ({query.where})
    """


def _sessions(query: GroupedQuery) -> str:
    """SQL: the sessions of the report created in its range, with their day."""
    return f"""
        SELECT session_id, story_id, {day_of_ms("created_at_ms")} AS day FROM sessions
        WHERE created_at_ms >= $since_ms AND created_at_ms < $until_ms AND ({query.where})
    """


@attrs.define
class _Group:
    """What one group adds up to: turns (and their durations), failures by stage, started sessions."""

    turns: int = 0
    completed_turns: int = 0
    failed_turns: int = 0
    sessions: int = 0
    llm_calls: int = 0
    duration_p50_ms: float | None = None
    duration_p95_ms: float | None = None
    failures: dict[str, int] = attrs.Factory(dict)
    sessions_started: int = 0

    def row(self, keys: dict[str, Any]) -> PlayRow:
        return PlayRow(
            story_id=key_value(keys, "story_id"),
            session_id=key_value(keys, "session_id"),
            day=key_value(keys, "day"),
            turns=self.turns,
            completed_turns=self.completed_turns,
            failed_turns=self.failed_turns,
            failures=dict(sorted(self.failures.items())),
            sessions=self.sessions,
            sessions_started=self.sessions_started,
            llm_calls=self.llm_calls,
            turn_duration_p50_ms=self.duration_p50_ms,
            turn_duration_p95_ms=self.duration_p95_ms,
        )


def play_report(cursor: Cursor, params: PlayParams) -> PlayReport:
    """The report for `params`; InvalidParams for an empty range, a dimension given twice or a bad page."""
    time_range = TimeRange.of(params.since_ms, params.until_ms)
    check_unique([dimension.value for dimension in params.group_by], "params.group_by")
    _check_page(params)
    columns = tuple(dict.fromkeys(column for dimension in params.group_by for column in _COLUMNS_OF[dimension]))
    query = _query(columns, params, time_range)
    if columns and (params.limit is not None or params.offset):
        groups, total_rows = _page_of_groups(cursor, query, params.offset, params.limit)
        totals = _groups(cursor, _query((), params, time_range)).get((True,), _Group())
    else:
        groups = _groups(cursor, query)
        totals = groups.pop((True,), _Group())
        total_rows = len(groups)
    rows = [group.row(dict(zip(columns, key[1:], strict=True))) for key, group in sorted(groups.items())]
    return PlayReport(
        group_by=list(params.group_by),
        since_ms=params.since_ms,
        until_ms=params.until_ms,
        rows=rows,
        totals=totals.row({}),
        total_rows=total_rows,
    )


def _check_page(params: PlayParams) -> None:
    if params.limit is not None and not 1 <= params.limit <= MAX_LIMIT:
        raise InvalidParams(f"params.limit: expected 1 to {MAX_LIMIT}, got {params.limit}")
    if params.offset < 0:
        raise InvalidParams(f"params.offset: expected 0 or more, got {params.offset}")


def _page_of_groups(
    cursor: Cursor, query: GroupedQuery, offset: int, limit: int | None
) -> tuple[dict[tuple[Any, ...], _Group], int]:
    """The groups of the page (without the row over all groups) and how many groups there are."""
    columns = ", ".join(query.columns)
    keys = f"SELECT {columns} FROM ({_turns(query)}) UNION SELECT {columns} FROM ({_sessions(query)})"
    (total_rows,) = cursor.execute(f"SELECT count(*) FROM ({keys})", query.params).fetchone() or (0,)
    page_limit = "" if limit is None else f" LIMIT {int(limit)}"
    page_sql = f"SELECT {columns} FROM ({keys}) ORDER BY {columns}{page_limit} OFFSET {int(offset)}"
    page = cursor.execute(page_sql, query.params).fetchall()
    if not page:
        return {}, total_rows
    within, bounds = _key_range(query.columns, page[0], page[-1])
    groups = _groups(cursor, attrs.evolve(query, params={**query.params, **bounds}), within)
    groups.pop((True,), None)
    return groups, total_rows


def _key_range(columns: tuple[str, ...], first: tuple[Any, ...], last: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """SQL true for the keys from `first` to `last` in key order (DuckDB compares rows column by
    column), and its parameter values: the keys of a page are a run in that order, so a range holds
    exactly them."""
    bounds = {
        f"{name}_{index}": value for name, key in (("first", first), ("last", last)) for index, value in enumerate(key)
    }
    first_key, last_key = (
        f"row({', '.join(f'${name}_{index}' for index in range(len(columns)))})" for name in ("first", "last")
    )
    return f"row({', '.join(columns)}) BETWEEN {first_key} AND {last_key}", bounds


def _query(columns: tuple[str, ...], params: PlayParams, time_range: TimeRange) -> GroupedQuery:
    values: dict[str, object] = {"since_ms": time_range.since_ms, "until_ms": time_range.until_ms}
    conditions = ["TRUE"]
    for column, value in (("story_id", params.story_id), ("session_id", params.session_id)):
        if value is not None:
            conditions.append(f"{column} = ${column}")
            values[column] = value
    return GroupedQuery(columns, " AND ".join(conditions), values)


def _groups(cursor: Cursor, query: GroupedQuery, within: str = "TRUE") -> dict[tuple[Any, ...], _Group]:
    """Every group with a turn or a started session by its key (`group_key`: no key is NULL, as
    turns and sessions in a range have their times), and the one over all groups; `within` (SQL
    over the grouping columns) keeps only some groups."""
    groups: dict[tuple[Any, ...], _Group] = {}
    width = 1 + len(query.columns)
    total = query.total_flag()
    turn_sql = f"""
        SELECT {total}, {query.grouped()}count(*), count(*) FILTER (WHERE outcome = '{COMPLETED}'),
               count(*) FILTER (WHERE outcome = '{FAILED}'), count(DISTINCT session_id), coalesce(sum(llm_calls), 0),
               quantile_cont(duration_ms, [0.5, 0.95]) FILTER (WHERE outcome = '{COMPLETED}')
        FROM ({_turns(query)}) WHERE {within} GROUP BY {query.grouping_sets()}
    """
    for row in cursor.execute(turn_sql, query.params).fetchall():
        turns, completed, failed, sessions, llm_calls, durations = row[width:]
        if turns:
            p50, p95 = durations if durations is not None else (None, None)
            groups[group_key(row, width)] = _Group(turns, completed, failed, sessions, int(llm_calls), p50, p95)
    failure_sql = f"""
        SELECT {total}, {query.grouped()}coalesce(failed_stage, '{OTHER_STAGE}') AS stage, count(*)
        FROM ({_turns(query)}) WHERE outcome = '{FAILED}' AND {within} GROUP BY {query.grouping_sets("stage")}
    """
    for row in cursor.execute(failure_sql, query.params).fetchall():
        stage, count = row[width:]
        groups[group_key(row, width)].failures[stage] = count
    started_sql = (
        f"SELECT {total}, {query.grouped()}count(*) FROM ({_sessions(query)}) WHERE {within}"
        f" GROUP BY {query.grouping_sets()}"
    )
    for row in cursor.execute(started_sql, query.params).fetchall():
        if row[width]:
            groups.setdefault(group_key(row, width), _Group()).sessions_started = row[width]
    return groups
