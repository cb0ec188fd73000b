"""The original cards of imported characters and the files of imported CHARX archives.

`character_cards` holds one `StoredCard` per imported character; `character_card_files` the
files of its CHARX besides `card.json`, by path. Both belong to the character: written in its
import's transaction, deleted with it. Runs on a cursor, in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from runtime.model.cards import StoredCard
from runtime.store._database import Cursor, insert_rows
from runtime.store._documents import DocumentTable

CHARACTER_CARDS = DocumentTable("character_cards", "character_id", StoredCard, "character card")
FILES_TABLE = "character_card_files"


def insert_card_files(cursor: Cursor, files: Sequence[tuple[str, str, bytes]]) -> None:
    """Insert `(character_id, path, data)` rows, a batch of rows per statement."""
    insert_rows(cursor, FILES_TABLE, ["character_id", "path", "data"], files)


def card_files(cursor: Cursor, character_id: str) -> dict[str, bytes]:
    """The kept files of the character's CHARX, by path ({} when it came another way)."""
    rows = cursor.execute(
        f"SELECT path, data FROM {FILES_TABLE} WHERE character_id = ? ORDER BY path", [character_id]
    ).fetchall()
    return {path: bytes(data) for path, data in rows}


def delete_stored_card(cursor: Cursor, character_id: str) -> None:
    """Forget the character's original card and files (no-op when it has none)."""
    CHARACTER_CARDS.delete(cursor, character_id)
    cursor.execute(f"DELETE FROM {FILES_TABLE} WHERE character_id = ?", [character_id])
