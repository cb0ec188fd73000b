"""Migration 6 reads the turns played before it from their transcript messages."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from runtime.store import DATABASE_FILE_NAME, open_store


def message(
    session_id: str, sequence: int, turn_index: int, recorded_at_ms: int, message_id: str | None = None
) -> list[object]:
    doc = {"turn_index": turn_index, "recorded_at_ms": recorded_at_ms, "kind": "narration", "text": "..."}
    return [message_id or f"{session_id}-message-{sequence}", session_id, sequence, json.dumps(doc)]


async def test_turns_from_before_the_table_are_read_back_from_their_messages(tmp_path: Path) -> None:
    async with open_store(tmp_path):
        pass  # every migration applied; now undo 6 and write a history as an older server did
    with duckdb.connect(str(tmp_path / DATABASE_FILE_NAME)) as database:
        database.execute(
            "DROP TABLE turns; DROP TABLE llm_call_days; DROP TABLE llm_call_day_latencies; DROP TABLE llm_call_rollup;"
            "DELETE FROM schema_migrations WHERE version = 6"
        )
        for session_id, story_id in (("session-0", "story-0"), ("session-1", "story-1")):
            database.execute(
                "INSERT INTO sessions (session_id, story_id, player_schema_id, api_group_id, preset_id, turn_index, doc)"
                " VALUES (?, ?, 's', 'g', 'p', 2, '{}')",
                [session_id, story_id],
            )
        rows = [
            message("session-0", 0, 1, 1000),
            message("session-0", 1, 1, 1001),
            message("session-0", 2, 2, 5000),
            message("session-1", 0, 1, 7000),
            message("session-1", 1, 1, 7001, message_id="session-message-4"),  # added by a client, not a turn
            message("session-1", 2, 3, 9000, message_id="session-message-5"),
        ]
        database.executemany("INSERT INTO session_messages VALUES (?, ?, ?, ?)", rows)
    async with open_store(tmp_path) as store:
        turns = await store.read(
            lambda cursor: cursor.execute(
                "SELECT session_id, story_id, turn_index, started_at_ms, outcome, duration_ms, node_before, llm_calls"
                " FROM turns ORDER BY started_at_ms"
            ).fetchall()
        )
    assert turns == [
        ("session-0", "story-0", 1, 1000, "completed", None, None, None),
        ("session-0", "story-0", 2, 5000, "completed", None, None, None),
        ("session-1", "story-1", 1, 7000, "completed", None, None, None),
    ]
