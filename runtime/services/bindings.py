"""Binding resolution (PROTOCOL §6.17): which api group and preset an agent run uses.

The functions take a cursor so they can run inside the read or the write of the operation
that needs the binding (plan, generate, draft start, session start), against the same data.
"""

from __future__ import annotations

from runtime.errors import Conflict, NotFound
from runtime.model.overview import EngineBinding
from runtime.services._validation import require_id
from runtime.store import Cursor
from runtime.store.apis import API_GROUPS

ENGINE_NOT_CONFIGURED = "llm engine config is not initialized"


def _first_id(cursor: Cursor, table: str, key: str) -> str | None:
    """The smallest id of `table` in the order its list method uses (R13), or None when empty."""
    row = cursor.execute(f"SELECT {key} FROM {table} ORDER BY {key} LIMIT 1").fetchone()
    return None if row is None else row[0]


def _preset_exists(cursor: Cursor, preset_id: str) -> bool:
    return cursor.execute("SELECT 1 FROM presets WHERE preset_id = ?", [preset_id]).fetchone() is not None


def first_api_group_id(cursor: Cursor) -> str | None:
    return _first_id(cursor, "api_groups", "api_group_id")


def first_preset_id(cursor: Cursor) -> str | None:
    return _first_id(cursor, "presets", "preset_id")


def global_binding(cursor: Cursor) -> EngineBinding | None:
    """The first api group and the first preset by id; None unless both exist."""
    api_group_id = first_api_group_id(cursor)
    preset_id = first_preset_id(cursor)
    if api_group_id is None or preset_id is None:
        return None
    return EngineBinding(api_group_id, preset_id)


def resolve_binding(cursor: Cursor, api_group_id: str | None, preset_id: str | None) -> EngineBinding:
    """The pair to use: given ids (trimmed) must exist, missing ones default to the first by id.

    Raises InvalidParams for a blank given id, NotFound for a given id that does not exist,
    and Conflict `llm engine config is not initialized` when a missing one has no default.
    """
    resolved_group = _given_api_group(cursor, api_group_id) if api_group_id is not None else None
    resolved_preset = _given_preset(cursor, preset_id) if preset_id is not None else None
    if resolved_group is None:
        resolved_group = first_api_group_id(cursor)
    if resolved_preset is None:
        resolved_preset = first_preset_id(cursor)
    if resolved_group is None or resolved_preset is None:
        raise Conflict(ENGINE_NOT_CONFIGURED)
    return EngineBinding(resolved_group, resolved_preset)


def _given_api_group(cursor: Cursor, api_group_id: str) -> str:
    trimmed = require_id(api_group_id, "api_group_id")
    if not API_GROUPS.exists(cursor, trimmed):
        raise NotFound.record("api group", trimmed)
    return trimmed


def _given_preset(cursor: Cursor, preset_id: str) -> str:
    trimmed = require_id(preset_id, "preset_id")
    if not _preset_exists(cursor, trimmed):
        raise NotFound.record("preset", trimmed)
    return trimmed
