"""`analytics.play` paging, on rows written straight into `sessions` and `turns`: pages put
together are the whole report, and each carries the totals over everything."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from runtime.analytics import play_report
from runtime.analytics._days import DAY_MS
from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.model.analytics import PlayParams, PlayReport
from runtime.store import Cursor, Store, open_store

DAY_10 = 10 * DAY_MS
HOUR_MS = 3_600_000


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path) as opened:
        await opened.write(_write_history, session_data_only=True)
        yield opened


def _write_history(cursor: Cursor) -> None:
    """Seven sessions over two stories and three days; session 3 never played (only its start
    counts), session 5 started before the reports' range but played inside it."""
    for number in range(7):
        story = "story-a" if number < 4 else "story-b"
        created = DAY_10 + number * 9 * HOUR_MS if number != 5 else DAY_10 - 2 * DAY_MS
        cursor.execute(
            "INSERT INTO sessions VALUES (?, ?, NULL, 'player', 'group', 'preset', 0, ?, ?, '{}')",
            [f"session-{number}", story, created, created],
        )
        for turn in range(0 if number == 3 else number + 1):
            outcome = "failed" if (number + turn) % 4 == 0 else "completed"
            cursor.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, 'a', 'b', ?, NULL, NULL, 3)",
                [
                    f"session-{number}",
                    story,
                    turn + 1,
                    DAY_10 + number * 9 * HOUR_MS + turn * 5 * HOUR_MS,
                    1000.0 + 100 * turn,
                    outcome,
                    "Director" if outcome == "failed" else None,
                ],
            )


async def report(store: Store, **params: Any) -> dict[str, Any]:
    structured = CODEC.structure({"since_ms": DAY_10, **params}, PlayParams)
    answer: PlayReport = await store.read(functools.partial(play_report, params=structured))
    return CODEC.unstructure(answer)


@pytest.mark.parametrize("group_by", [["session"], ["story", "day"], ["session", "day"], ["day"]])
async def test_pages_put_together_are_the_whole_report(store: Store, group_by: list[str]) -> None:
    whole = await report(store, group_by=group_by)
    assert whole["total_rows"] == len(whole["rows"]) >= 3
    pages = [await report(store, group_by=group_by, limit=2, offset=offset) for offset in range(0, 12, 2)]
    assert [row for page in pages for row in page["rows"]] == whole["rows"]
    assert all(len(page["rows"]) <= 2 for page in pages)
    assert all(page["totals"] == whole["totals"] and page["total_rows"] == whole["total_rows"] for page in pages)


async def test_a_page_keeps_to_the_filters_and_counts_an_unplayed_session(store: Store) -> None:
    whole = await report(store, group_by=["session"], story_id="story-a")
    assert [row["session_id"] for row in whole["rows"]] == ["session-0", "session-1", "session-2", "session-3"]
    assert whole["rows"][3]["turns"] == 0 and whole["rows"][3]["sessions_started"] == 1
    page = await report(store, group_by=["session"], story_id="story-a", limit=2, offset=2)
    assert page["rows"] == whole["rows"][2:] and page["totals"] == whole["totals"]
    rest = await report(store, group_by=["session"], offset=5)
    assert [row["session_id"] for row in rest["rows"]] == ["session-5", "session-6"]


async def test_past_the_last_row_a_page_is_empty_but_keeps_the_totals(store: Store) -> None:
    whole = await report(store, group_by=["story"])
    beyond = await report(store, group_by=["story"], limit=5, offset=2)
    assert beyond["rows"] == [] and beyond["total_rows"] == 2 and beyond["totals"] == whole["totals"]


@pytest.mark.parametrize("page", [{}, {"limit": 1, "offset": 1}])
async def test_without_a_dimension_there_are_only_the_totals(store: Store, page: dict[str, int]) -> None:
    by_story = await report(store, group_by=["story"])
    ungrouped = await report(store, group_by=[], **page)
    assert ungrouped["rows"] == [] and ungrouped["total_rows"] == 0
    assert ungrouped["totals"] == by_story["totals"] and ungrouped["totals"]["turns"] > 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "params.limit: expected 1 to 10000, got 0"),
        ({"limit": 10_001}, "params.limit: expected 1 to 10000, got 10001"),
        ({"offset": -1}, "params.offset: expected 0 or more, got -1"),
    ],
)
async def test_a_page_out_of_bounds_is_refused_naming_the_field(
    store: Store, params: dict[str, int], message: str
) -> None:
    with pytest.raises(InvalidParams, match=message):
        await report(store, group_by=["session"], **params)
