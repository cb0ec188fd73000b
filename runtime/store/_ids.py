"""Persisted, never-reused id counters, one per prefix (R1, PROTOCOL §6.2)."""

from __future__ import annotations

from typing import Callable

import duckdb

Cursor = duckdb.DuckDBPyConnection


def allocate_id(cursor: Cursor, prefix: str, is_taken: Callable[[str], bool]) -> str:
    """Take the next `{prefix}N` that no record holds and advance the counter past it.

    Must run inside a write transaction, so the counter and the record land together.
    """
    row = cursor.execute("SELECT next_value FROM id_counters WHERE prefix = ?", [prefix]).fetchone()
    value = 0 if row is None else row[0]
    while is_taken(f"{prefix}{value}"):
        value += 1
    candidate = f"{prefix}{value}"
    if row is None:
        cursor.execute("INSERT INTO id_counters VALUES (?, ?)", [prefix, value + 1])
    else:
        cursor.execute("UPDATE id_counters SET next_value = ? WHERE prefix = ?", [value + 1, prefix])
    return candidate
