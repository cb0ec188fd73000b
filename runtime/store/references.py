"""Who still points at a record: the queries behind every "still referenced" conflict.

Each function answers whether any row of the referring tables names the id. They read the
promoted columns only, so they hold for references added by any family, now or later.
"""

from __future__ import annotations

from runtime.store._database import Cursor, scalar


def _any(cursor: Cursor, sql: str, record_id: str) -> bool:
    return bool(scalar(cursor, f"SELECT EXISTS ({sql})", [record_id] * sql.count("?")))


def api_in_api_groups(cursor: Cursor, api_id: str) -> bool:
    return _any(cursor, "SELECT 1 FROM api_groups WHERE list_contains(api_ids, ?)", api_id)


def api_group_in_drafts_or_sessions(cursor: Cursor, api_group_id: str) -> bool:
    return _any(
        cursor,
        "SELECT 1 FROM story_drafts WHERE api_group_id = ? UNION ALL SELECT 1 FROM sessions WHERE api_group_id = ?",
        api_group_id,
    )


def preset_in_drafts_or_sessions(cursor: Cursor, preset_id: str) -> bool:
    return _any(
        cursor,
        "SELECT 1 FROM story_drafts WHERE preset_id = ? UNION ALL SELECT 1 FROM sessions WHERE preset_id = ?",
        preset_id,
    )


def schema_in_use(cursor: Cursor, schema_id: str) -> bool:
    """Characters, story resources (either seed), stories (world or player) and sessions. Not drafts."""
    return _any(
        cursor,
        "SELECT 1 FROM characters WHERE schema_id = ?"
        " UNION ALL SELECT 1 FROM story_resources WHERE world_schema_id_seed = ? OR player_schema_id_seed = ?"
        " UNION ALL SELECT 1 FROM stories WHERE world_schema_id = ? OR player_schema_id = ?"
        " UNION ALL SELECT 1 FROM sessions WHERE player_schema_id = ?",
        schema_id,
    )


def lorebook_in_story_resources(cursor: Cursor, lorebook_id: str) -> bool:
    return _any(cursor, "SELECT 1 FROM story_resources WHERE list_contains(lorebook_ids, ?)", lorebook_id)


def player_profile_in_sessions(cursor: Cursor, player_profile_id: str) -> bool:
    return _any(cursor, "SELECT 1 FROM sessions WHERE player_profile_id = ?", player_profile_id)


def character_in_story_resources(cursor: Cursor, character_id: str) -> bool:
    return _any(cursor, "SELECT 1 FROM story_resources WHERE list_contains(character_ids, ?)", character_id)


def story_resources_in_stories(cursor: Cursor, resource_id: str) -> bool:
    return _any(cursor, "SELECT 1 FROM stories WHERE resource_id = ?", resource_id)


def story_resources_in_drafts(cursor: Cursor, resource_id: str) -> bool:
    return _any(cursor, "SELECT 1 FROM story_drafts WHERE resource_id = ?", resource_id)


def story_in_sessions(cursor: Cursor, story_id: str) -> bool:
    return _any(cursor, "SELECT 1 FROM sessions WHERE story_id = ?", story_id)


def session_positions(cursor: Cursor, story_id: str) -> list[tuple[str, str]]:
    """`(session_id, current node)` of every session of the story, by session id."""
    rows = cursor.execute(
        "SELECT session_id, doc->>'$.snapshot.world_state.current_node' FROM sessions "
        "WHERE story_id = ? ORDER BY session_id",
        [story_id],
    ).fetchall()
    return [(session_id, node) for session_id, node in rows]


def story_lacks_node(cursor: Cursor, story_id: str, node_id: str) -> bool:
    """Whether the story is stored and its graph has no node `node_id`."""
    row = cursor.execute(
        "SELECT list_contains(json_extract_string(doc, '$.graph.nodes[*].id'), ?) FROM stories WHERE story_id = ?",
        [node_id, story_id],
    ).fetchone()
    return row is not None and not row[0]
