"""The lorebook activations of committed turns (`lore_turns`, `lore_activations`).

Written in the transaction that commits the turn, deleted with the session. Runs on a cursor,
in a worker thread.
"""

from __future__ import annotations

from runtime.codec import CODEC
from runtime.lore import TurnLore
from runtime.store._database import Cursor, insert_rows

_ACTIVATION_COLUMNS = (
    "session_id",
    "turn_index",
    "lorebook_id",
    "entry_id",
    "activation",
    "recursion_level",
    "prompts",
)


def record_turn_lore(cursor: Cursor, session_id: str, turn_index: int, lore: TurnLore, recorded_at_ms: int) -> None:
    """One `lore_turns` row for the turn, one `lore_activations` row per entry that fired."""
    timers = CODEC.dumps(lore.timers_before) if lore.timers_before else None
    cursor.execute(
        "INSERT INTO lore_turns (session_id, turn_index, seed, timers, recorded_at_ms) VALUES (?, ?, ?, ?, ?)",
        [session_id, turn_index, lore.seed, timers, recorded_at_ms],
    )
    rows = [
        [
            session_id,
            turn_index,
            fired.lorebook_id,
            fired.entry_id,
            fired.reason.value,
            fired.recursion_level,
            fired.prompts,
        ]
        for fired in lore.fired
    ]
    if rows:
        insert_rows(cursor, "lore_activations", _ACTIVATION_COLUMNS, rows)


def delete_session_lore(cursor: Cursor, session_id: str) -> None:
    cursor.execute("DELETE FROM lore_turns WHERE session_id = ?", [session_id])
    cursor.execute("DELETE FROM lore_activations WHERE session_id = ?", [session_id])
