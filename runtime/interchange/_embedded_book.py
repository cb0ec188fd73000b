"""The card's embedded `character_book`, as this version of the import treats it: kept with the
original card and reported, not yet turned into a Dramaturg lorebook.

`report_kept_book` writes its report line and warnings (the book is kept; decorators the CCv3
specification does not define are named). `book_entries` and `without_decorators` read and
rewrite the entries whether they come as an array or as an object keyed by uid (SillyTavern's
World Info form). Pure.
"""

from __future__ import annotations

from typing import Any

from runtime.interchange._card_reader import NormalizedCard, ReadState
from runtime.interchange._decorators import CCV3_DECORATORS, decorator_names, strip_decorators
from runtime.interchange._report import ReportLines
from runtime.model.cards import ImportWarningCode

BOOK_FIELD = "character_book"


def book_entries(book: dict[str, Any]) -> list[Any]:
    """The entries of a book, as an array or as the values of an object keyed by uid."""
    entries = book.get("entries")
    if isinstance(entries, dict):
        return list(entries.values())
    return entries if isinstance(entries, list) else []


def report_kept_book(card: NormalizedCard, lines: ReportLines) -> None:
    """The report line of `character_book`, if the card had one, and its warnings."""
    reading = card.readings.get(BOOK_FIELD)
    if reading is None:
        return
    book = card.data.get(BOOK_FIELD)
    if book is None or reading.state is ReadState.DEFAULTED:
        lines.ignored(reading.path, reading.note or "no book")
        return
    entries = book_entries(book)
    moved = " (found at the top level, kept under data)" if reading.path == BOOK_FIELD else ""
    lines.kept(reading.path, f"{len(entries)} entries kept with the card{moved}; not yet imported as a lorebook")
    lines.warn(
        ImportWarningCode.LOREBOOK_NOT_IMPORTED,
        f"the embedded lorebook ({len(entries)} entries) is kept with the card but not yet imported as a lorebook",
    )
    for name in _unknown_decorators(entries):
        lines.warn(ImportWarningCode.UNKNOWN_DECORATOR, f"lorebook entries use the decorator @@{name}, not in CCv3")


def _unknown_decorators(entries: list[Any]) -> list[str]:
    names = (
        name
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("content"), str)
        for name in decorator_names(entry["content"])
    )
    return [name for name in dict.fromkeys(names) if name not in CCV3_DECORATORS]


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
