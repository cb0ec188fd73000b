"""The tables of sessions, their transcript messages and their session characters.

Messages and session characters belong to one session each: their tables carry the session
id in a column, and every helper here is scoped to one session, so a record of another
session is never seen (it is "not found"). Runs on a cursor, in a worker thread.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

from runtime.codec import CODEC
from runtime.model.sessions import SessionCharacterRecord, SessionMessage, SessionRecord
from runtime.store._database import Cursor, insert_rows, scalar
from runtime.store._documents import DocumentTable

R = TypeVar("R")

SESSION_ID_PREFIX = "session-"
SESSION_MESSAGE_ID_PREFIX = "session-message-"

SESSIONS = DocumentTable(
    "sessions",
    "session_id",
    SessionRecord,
    "session",
    columns=lambda session: {
        "story_id": session.story_id,
        "player_profile_id": session.player_profile_id,
        "player_schema_id": session.player_schema_id,
        "api_group_id": session.api_group_id,
        "preset_id": session.preset_id,
        "turn_index": session.snapshot.turn_index,
        "created_at_ms": session.created_at_ms,
        "updated_at_ms": session.updated_at_ms,
    },
)
"""Session documents hold the record without transcript and session characters."""


@attrs.frozen
class SessionScopedTable(Generic[R]):
    """Rows `(session_id, key, promoted columns…, doc)`: records that belong to one session.

    `key_of` gives a record's id; `columns` its promoted columns; `order_by` the SQL order of
    `list` (R13: messages by sequence, session characters by creation time then id).
    """

    table: str
    key: str
    record_type: type[R]
    key_of: Callable[[R], str]
    columns: Callable[[R], dict[str, object]]
    order_by: str

    def get(self, cursor: Cursor, session_id: str, record_id: str) -> R | None:
        row = cursor.execute(
            f"SELECT doc FROM {self.table} WHERE session_id = ? AND {self.key} = ?", [session_id, record_id]
        ).fetchone()
        return None if row is None else self._decode(row[0])

    def list(self, cursor: Cursor, session_id: str) -> list[R]:
        rows = cursor.execute(
            f"SELECT doc FROM {self.table} WHERE session_id = ? ORDER BY {self.order_by}", [session_id]
        ).fetchall()
        return [self._decode(row[0]) for row in rows]

    def insert(self, cursor: Cursor, session_id: str, record: R) -> None:
        self.insert_many(cursor, session_id, [record])

    def insert_many(self, cursor: Cursor, session_id: str, records: builtins.list[R]) -> None:
        """Insert the records with multi-row statements (nothing when there are none)."""
        if not records:
            return
        rows = [self._row(session_id, record) for record in records]
        insert_rows(cursor, self.table, list(rows[0]), [list(row.values()) for row in rows])

    def _row(self, session_id: str, record: R) -> dict[str, object]:
        return {
            "session_id": session_id,
            self.key: self.key_of(record),
            **self.columns(record),
            "doc": CODEC.dumps(record),
        }

    def update(self, cursor: Cursor, session_id: str, record: R) -> None:
        values = {**self.columns(record), "doc": CODEC.dumps(record)}
        assignments = ", ".join(f"{name} = ?" for name in values)
        cursor.execute(
            f"UPDATE {self.table} SET {assignments} WHERE session_id = ? AND {self.key} = ?",
            [*values.values(), session_id, self.key_of(record)],
        )

    def delete(self, cursor: Cursor, session_id: str, record_id: str) -> bool:
        """Delete the row; True when there was one."""
        rows = cursor.execute(
            f"DELETE FROM {self.table} WHERE session_id = ? AND {self.key} = ? RETURNING {self.key}",
            [session_id, record_id],
        ).fetchall()
        return bool(rows)

    def delete_all(self, cursor: Cursor, session_id: str) -> int:
        """Delete every row of the session; returns how many there were."""
        rows = cursor.execute(
            f"DELETE FROM {self.table} WHERE session_id = ? RETURNING {self.key}", [session_id]
        ).fetchall()
        return len(rows)

    def _decode(self, doc: str) -> R:
        return CODEC.loads(doc, self.record_type)


SESSION_MESSAGES = SessionScopedTable(
    "session_messages",
    "message_id",
    SessionMessage,
    key_of=lambda message: message.message_id,
    columns=lambda message: {"sequence": message.sequence},
    order_by="sequence, message_id",
)

SESSION_CHARACTERS = SessionScopedTable(
    "session_characters",
    "session_character_id",
    SessionCharacterRecord,
    key_of=lambda character: character.session_character_id,
    columns=lambda character: {"created_at_ms": character.created_at_ms},
    order_by="created_at_ms, session_character_id",
)


def next_message_sequence(cursor: Cursor, session_id: str) -> int:
    """The highest sequence of the session's messages plus one; 0 when it has none."""
    return int(
        scalar(cursor, "SELECT coalesce(max(sequence) + 1, 0) FROM session_messages WHERE session_id = ?", [session_id])
    )


def message_id_taken(cursor: Cursor, message_id: str) -> bool:
    """Whether any session holds a message with this id (ids are unique across sessions)."""
    row = cursor.execute("SELECT 1 FROM session_messages WHERE message_id = ?", [message_id]).fetchone()
    return row is not None


def turn_message_id(session_id: str, sequence: int) -> str:
    """The id of a transcript message written by a turn (R1, §7.9)."""
    return f"{session_id}-message-{sequence}"
