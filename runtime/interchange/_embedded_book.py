"""The card's embedded `character_book`: read as a lorebook of its own, and stripped of
decorators for a V2 card.

`read_embedded_book` gives the book's reading (named after the character when it has no name)
and writes the card report's line for it; the book's own lines follow under its path
(`data.character_book.entries[*].keys`). `without_decorators` rewrites the entries whether
they come as an array or as an object keyed by uid (SillyTavern's World Info form). Pure.
"""

from __future__ import annotations

from typing import Any

from runtime.interchange._book_reader import BookReading, entries_text, read_card_book
from runtime.interchange._card_reader import NormalizedCard, ReadState
from runtime.interchange._decorators import strip_decorators
from runtime.interchange._report import ReportLines

BOOK_FIELD = "character_book"
BOOK_TARGET = "lorebook"


def read_embedded_book(card: NormalizedCard, lines: ReportLines) -> BookReading | None:
    """The card's book read as a lorebook (None when it has none), with its report lines."""
    reading = card.readings.get(BOOK_FIELD)
    if reading is None:
        return None
    book = card.data.get(BOOK_FIELD)
    if book is None or reading.state is ReadState.DEFAULTED:
        lines.ignored(reading.path, reading.note or "no book")
        return None
    book_reading = read_card_book(book, reading.path, card.data["name"])
    count = entries_text(len(book_reading.lorebook.entries))
    moved = "; found at the top level, an export writes it under data" if reading.path == BOOK_FIELD else ""
    note = f"a lorebook of {count} (its id is in created.lorebooks); the book is kept with the card{moved}"
    lines.mapped(reading.path, BOOK_TARGET, note)
    lines.extend(book_reading.lines)
    return book_reading


def without_decorators(book: dict[str, Any]) -> dict[str, Any]:
    """A copy of the book whose entries' content has no decorator lines (for a V2 card)."""
    entries = book.get("entries")
    if isinstance(entries, dict):
        return {**book, "entries": {key: _entry_without(entry) for key, entry in entries.items()}}
    if isinstance(entries, list):
        return {**book, "entries": [_entry_without(entry) for entry in entries]}
    return book


def _entry_without(entry: Any) -> Any:
    if isinstance(entry, dict) and isinstance(entry.get("content"), str):
        return {**entry, "content": strip_decorators(entry["content"])}
    return entry
