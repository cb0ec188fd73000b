"""Persisted, never-reused id counters, one per prefix (R1, PROTOCOL §6.2)."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

Cursor = duckdb.DuckDBPyConnection


def allocate_id(cursor: Cursor, prefix: str, is_taken: Callable[[str], bool]) -> str:
    """Take the next `{prefix}N` that no record holds and advance the counter past it.

    Must run inside a write transaction, so the counter and the record land together.
    """
    return allocate_ids(cursor, prefix, 1, is_taken)[0]


def allocate_ids(cursor: Cursor, prefix: str, count: int, is_taken: Callable[[str], bool]) -> list[str]:
    """`count` ids, exactly as `count` calls of `allocate_id` would give them, with one counter
    read and one counter write (bulk imports). Must run inside a write transaction."""
    if count <= 0:
        return []
    row = cursor.execute("SELECT next_value FROM id_counters WHERE prefix = ?", [prefix]).fetchone()
    value = 0 if row is None else row[0]
    ids: list[str] = []
    while len(ids) < count:
        candidate = f"{prefix}{value}"
        value += 1
        if not is_taken(candidate):
            ids.append(candidate)
    if row is None:
        cursor.execute("INSERT INTO id_counters VALUES (?, ?)", [prefix, value])
    else:
        cursor.execute("UPDATE id_counters SET next_value = ? WHERE prefix = ?", [value, prefix])
    return ids
