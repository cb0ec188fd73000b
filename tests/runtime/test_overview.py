"""`dashboard.get`'s counts and recent lists (PROTOCOL §6.18), over raw rows in a real store.

Characters, stories and sessions are written as raw rows here, so the aggregates are tested
independently of the families that create them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runtime.codec import CODEC
from runtime.model.overview import DashboardCounts, GlobalConfig
from runtime.services import Services
from runtime.services.overview import get_dashboard
from runtime.store import Cursor, open_store


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_store(tmp_path) as store:
        yield Services(store)


async def run(services: Services, statements: list[tuple[str, list[object]]]) -> None:
    def write(cursor: Cursor) -> None:
        for sql, values in statements:
            cursor.execute(sql, values)

    await services.store.write(write)


def character(character_id: str, blob: str | None, file_name: str | None, mime: str | None) -> tuple[str, list[object]]:
    return ("INSERT INTO characters VALUES (?, 's', ?, ?, ?, '{}')", [character_id, blob, file_name, mime])


def story(story_id: str, created: int | None, updated: int | None) -> tuple[str, list[object]]:
    doc = f'{{"display_name":"Tale {story_id}","introduction":"Once, {story_id}."}}'
    return ("INSERT INTO stories VALUES (?, 'resource-0', 'w', 'p', ?, ?, ?)", [story_id, created, updated, doc])


def session(session_id: str, created: int | None, updated: int | None, turn: int = 0) -> tuple[str, list[object]]:
    doc = f'{{"display_name":"Run {session_id}"}}'
    return (
        "INSERT INTO sessions VALUES (?, 'story-0', NULL, 'p', 'g', 'pr', ?, ?, ?, ?)",
        [session_id, turn, created, updated, doc],
    )


async def test_counts_characters_with_a_complete_cover_only(services: Services) -> None:
    await run(
        services,
        [
            character("full", "blob-0", "a.png", "image/png"),
            character("no-mime", "blob-1", "b.png", None),
            character("no-name", "blob-2", None, "image/png"),
            character("none", None, None, None),
            ("INSERT INTO story_resources VALUES ('resource-0', [], [], NULL, NULL, '{}')", []),
            story("story-0", 1, 1),
            session("session-0", 1, 1),
            session("session-1", 1, 1),
        ],
    )
    dashboard = await get_dashboard(services)
    assert dashboard.counts == DashboardCounts(4, 1, 1, 1, 2)


async def test_recent_stories_are_the_five_latest_with_ties_broken(services: Services) -> None:
    await run(
        services,
        [
            story("story-0", 100, 100),
            story("story-1", 50, 300),
            story("story-2", 60, 300),
            story("story-3", 999, None),  # a missing update time counts as 0
            story("story-4", 60, 300),
            story("story-5", None, 200),
            story("story-6", 10, 50),
        ],
    )
    dashboard = await get_dashboard(services)
    recent = [item.story_id for item in dashboard.recent_stories]
    assert recent == ["story-4", "story-2", "story-1", "story-5", "story-0"]
    assert CODEC.unstructure(dashboard.recent_stories[0]) == {
        "story_id": "story-4",
        "display_name": "Tale story-4",
        "resource_id": "resource-0",
        "introduction": "Once, story-4.",
        "updated_at_ms": 300,
    }


async def test_recent_sessions_keep_a_missing_update_time_as_null(services: Services) -> None:
    await run(
        services, [session("session-0", None, None), session("session-1", 5, 10, turn=3), session("session-2", 7, None)]
    )
    dashboard = await get_dashboard(services)
    assert [CODEC.unstructure(item) for item in dashboard.recent_sessions] == [
        {
            "session_id": "session-1",
            "story_id": "story-0",
            "display_name": "Run session-1",
            "turn_index": 3,
            "updated_at_ms": 10,
        },
        {
            "session_id": "session-2",
            "story_id": "story-0",
            "display_name": "Run session-2",
            "turn_index": 0,
            "updated_at_ms": None,
        },
        {
            "session_id": "session-0",
            "story_id": "story-0",
            "display_name": "Run session-0",
            "turn_index": 0,
            "updated_at_ms": None,
        },
    ]


async def test_dashboard_carries_the_global_config(services: Services) -> None:
    await run(
        services,
        [("INSERT INTO api_groups VALUES ('g', [], '{}')", []), ("INSERT INTO presets VALUES ('p', '{}')", [])],
    )
    dashboard = await get_dashboard(services)
    assert dashboard.global_config == GlobalConfig("g", "p")
    assert CODEC.unstructure(dashboard)["global_config"] == {"api_group_id": "g", "preset_id": "p"}
    assert CODEC.unstructure(dashboard)["health"] == {"status": "ok"}
