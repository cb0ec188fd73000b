"""The tables of sessions, their transcript messages and their session characters."""

from __future__ import annotations

from runtime.model.sessions import SessionCharacterRecord, SessionMessage, SessionRecord
from runtime.store._documents import DocumentTable

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
