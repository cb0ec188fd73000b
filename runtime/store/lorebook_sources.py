"""The original files of imported lorebooks: one `StoredBook` per lorebook that came from a file
or from a character card's embedded book. A row belongs to its lorebook: written in its import's
transaction, deleted with it. Runs on a cursor, in a worker thread.
"""

from __future__ import annotations

import attrs

from runtime.model.lorebook_files import StoredBook
from runtime.store._documents import Cursor, DocumentTable

LOREBOOK_SOURCES = DocumentTable(
    "lorebook_sources",
    "lorebook_id",
    StoredBook,
    "lorebook source",
    columns=lambda stored: {"character_id": stored.character_id},
)


def book_of_character(cursor: Cursor, character_id: str) -> StoredBook | None:
    """The stored book that the character's card carried, if the lorebook made of it still exists."""
    books = LOREBOOK_SOURCES.list(cursor, "character_id = ?", [character_id])
    return books[0] if books else None


def forget_character(cursor: Cursor, character_id: str) -> None:
    """The character is deleted: its card's lorebook stays, no longer written back into a card
    (a new character of the same id must not inherit it)."""
    for stored in LOREBOOK_SOURCES.list(cursor, "character_id = ?", [character_id]):
        LOREBOOK_SOURCES.update(cursor, stored.lorebook_id, attrs.evolve(stored, character_id=None))
