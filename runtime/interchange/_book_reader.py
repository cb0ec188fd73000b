"""Reading a lorebook file, in any format Dramaturg knows, into a Dramaturg lorebook and a report.

`read_book` takes a parsed file (its format told by its shape), `read_card_book` a card's
`character_book`. Both return a `BookReading`: the lorebook (without its id, which is chosen
when it is stored), each entry with what an export needs to write it back, and the report:
a line per book-level key, a line per entry key merged over the entries that read it alike
(`entries[*].keys`, with a count), lines of their own for values that had to be defaulted,
and warnings. Reading is deterministic, so an export can read the stored original again to
learn where each field came from. Pure; raises NotALorebook when there is no lorebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import attrs

from runtime.interchange._book_entries import (
    DRAMATURG_KEY,
    EntryLine,
    EntryReading,
    Fields,
    read_entry,
    read_rule,
)
from runtime.interchange._book_rules import ENTRY_FORMATS, FieldRule
from runtime.interchange._book_shapes import BookLayout, JsonObject, book_layout, character_book_layout
from runtime.interchange._book_values import boolean, integer, text
from runtime.interchange._report import ReportLines
from runtime.lore import keyword_warnings
from runtime.model.cards import CardFieldReport, FieldOutcome, ImportWarningCode
from runtime.model.lorebook_files import BookFormat
from runtime.model.lorebooks import KeyMode, Lorebook, LorebookSettings

UNNAMED_BOOK: Final = "Lorebook"
FORMAT_MARKERS: Final = frozenset({"spec", "spec_version", "kind", "type", "ver", "lorebookVersion"})
TEXT_KEYS: Final = frozenset({None, KeyMode.LITERAL})

_CARD_BOOK_LEVEL: Final = (
    FieldRule("name", "display_name", text),
    FieldRule("scan_depth", "scan_depth", integer(0)),
    FieldRule("token_budget", "token_budget", integer(0)),
    FieldRule("recursive_scanning", "recursive_scanning", boolean),
    *(
        FieldRule(f"extensions.{DRAMATURG_KEY}.{name}", name, read)
        for name, read in (
            ("max_recursion_steps", integer(1)),
            ("case_sensitive", boolean),
            ("match_whole_words", boolean),
            ("use_group_scoring", boolean),
        )
    ),
)
BOOK_LEVEL_RULES: Final[dict[BookFormat, tuple[FieldRule, ...]]] = {
    BookFormat.CHARACTER_BOOK: _CARD_BOOK_LEVEL,
    BookFormat.LOREBOOK_V3: _CARD_BOOK_LEVEL,
    BookFormat.WORLD_INFO: (FieldRule("name", "display_name", text, written=False),),
    BookFormat.AGNAI: (
        FieldRule("name", "display_name", text),
        FieldRule("scanDepth", "scan_depth", integer(0)),
        FieldRule("tokenBudget", "token_budget", integer(0)),
        FieldRule("recursiveScanning", "recursive_scanning", boolean),
    ),
}
"""Book-level keys (the others formats have none that Dramaturg uses)."""
BOOK_EXTENSIONS: Final = frozenset({BookFormat.CHARACTER_BOOK, BookFormat.LOREBOOK_V3, BookFormat.AGNAI})
KEPT_BOOK_NOTES: Final = {
    "description": "not used in prompts; kept",
    "originalData": "the card book this World Info came from (SillyTavern); kept, exported unchanged",
}


@attrs.frozen
class BookReading:
    layout: BookLayout
    raw: Any  # the file's JSON as read: stored as the original
    lorebook: Lorebook  # lorebook_id "" until it is stored
    entries: list[EntryReading]  # one per entry of `lorebook`, in order
    lines: ReportLines

    @property
    def format(self) -> BookFormat:
        return self.layout.format


def read_book(raw: Any, fallback_name: str | None) -> BookReading:
    """The lorebook in `raw`; `fallback_name` names a book without a name (a file name's stem).
    Raises NotALorebook."""
    layout = book_layout(raw)
    lines = ReportLines()
    if layout.format is BookFormat.LOREBOOK_V3:
        _report_v3_root(raw, lines)
    return _read(layout, raw, fallback_name, lines)


def read_card_book(book: JsonObject, path: str, fallback_name: str) -> BookReading:
    """A card's `character_book` (found at `path`, e.g. `data.character_book`), named after the
    character when it has no name of its own."""
    return _read(character_book_layout(book, path), book, fallback_name, ReportLines())


def _report_v3_root(raw: JsonObject, lines: ReportLines) -> None:
    for key in raw:
        if key == "spec":
            lines.ignored(key, "format marker: read as lorebook_v3; an export writes its own")
        elif key != "data":
            lines.kept(key, "top-level field outside the lorebook spec; kept for export")


def _read(layout: BookLayout, raw: Any, fallback_name: str | None, lines: ReportLines) -> BookReading:
    book = layout.book or {}
    fields = Fields()
    for rule in BOOK_LEVEL_RULES.get(layout.format, ()):
        read_rule(rule, book, fields, lambda target: target if target == "display_name" else f"settings.{target}")
    extensions = _book_extensions(layout, book, fields)
    entries = _read_entries(layout, lines)
    _report_book_keys(layout, book, fields, lines, len(entries))
    display_name = (fields.values.pop("display_name", None) or "").strip() or (fallback_name or "").strip()
    settings = LorebookSettings(**fields.values, extensions=extensions or None)
    lorebook = Lorebook(
        lorebook_id="",
        display_name=display_name or UNNAMED_BOOK,
        entries=[reading.entry for reading in entries],
        settings=None if settings == LorebookSettings() else settings,
    )
    _report_entries(layout, entries, lines)
    _warn_invalid_keywords(layout, lorebook, entries, lines)
    return BookReading(layout, raw, lorebook, entries, lines)


def _book_extensions(layout: BookLayout, book: JsonObject, fields: Fields) -> dict[str, Any]:
    value = book.get("extensions")
    if layout.format not in BOOK_EXTENSIONS or "extensions" not in book:
        return {}
    fields.consumed.add("extensions")
    if not isinstance(value, dict):
        fields.lines.append(EntryLine("extensions", FieldOutcome.IGNORED, None, "not an object: no extensions"))
        return {}
    kept = {key: item for key, item in value.items() if key != DRAMATURG_KEY}
    if not value:
        fields.lines.append(EntryLine("extensions", FieldOutcome.IGNORED, None, "empty"))
    for key in kept:
        fields.lines.append(EntryLine(f"extensions.{key}", FieldOutcome.KEPT, "settings.extensions", "kept"))
    return kept


def _report_book_keys(layout: BookLayout, book: JsonObject, fields: Fields, lines: ReportLines, count: int) -> None:
    for line in fields.lines:
        path = layout.path_of(line.key)
        _add_line(lines, path, line)
        if line.warning is not None:
            lines.warn(line.warning, f"{path}: {line.note}")
    for key in book:
        if key in fields.consumed or any(read.startswith(f"{key}.") for read in fields.consumed):
            continue
        path = layout.path_of(key)
        if key == layout.entries_key:
            lines.mapped(path, "entries", entries_text(count))
        elif key in FORMAT_MARKERS and layout.format is not BookFormat.LOREBOOK_V3:
            lines.ignored(path, f"format marker: read as {layout.format.value}")
        else:
            lines.kept(path, KEPT_BOOK_NOTES.get(key, "not used by Dramaturg; kept with the original for export"))


# -- entries -----------------------------------------------------------------------------------


def _read_entries(layout: BookLayout, lines: ReportLines) -> list[EntryReading]:
    entry_format = ENTRY_FORMATS[layout.format]
    readings: list[EntryReading] = []
    taken: set[str] = set()
    for key, raw in layout.entries:
        path = layout.entry_path(key)
        if not isinstance(raw, dict):
            lines.ignored(path, "not an entry object; left out")
            continue
        if layout.format is BookFormat.RISUAI and raw.get("mode") == "folder":
            lines.ignored(path, "a RisuAI folder, not an entry; left out")
            continue
        reading = read_entry(layout, entry_format, key, raw)
        readings.append(_with_unique_id(reading, taken, path, lines))
    return readings


def _with_unique_id(reading: EntryReading, taken: set[str], path: str, lines: ReportLines) -> EntryReading:
    wanted = reading.entry.entry_id
    entry_id, number = wanted, 2
    while entry_id in taken:
        entry_id, number = f"{wanted}-{number}", number + 1
    taken.add(entry_id)
    if entry_id == wanted:
        return reading
    message = f"{path}: the entry id '{wanted}' is used by an earlier entry: imported as '{entry_id}'"
    lines.warn(ImportWarningCode.DUPLICATE_ENTRY_ID, message)
    return attrs.evolve(reading, entry=attrs.evolve(reading.entry, entry_id=entry_id))


def _report_entries(layout: BookLayout, entries: Sequence[EntryReading], lines: ReportLines) -> None:
    """One line per entry key read alike by many entries (with a count); defaulted values per
    entry; an odd value warns per entry, an unused decorator or setting once per book."""
    merged: dict[tuple[str, FieldOutcome, str | None, str | None], int] = {}
    notices: dict[tuple[ImportWarningCode, str, str | None], int] = {}
    for reading in entries:
        path = layout.entry_path(reading.key)
        for line in reading.lines:
            if line.outcome is FieldOutcome.DEFAULTED:
                _add_line(lines, f"{path}.{line.key}", line)
            else:
                merged_key = (line.key, line.outcome, line.target, line.note)
                merged[merged_key] = merged.get(merged_key, 0) + 1
            if line.warning is ImportWarningCode.ODD_FIELD:
                lines.warn(line.warning, f"{path}.{line.key}: {line.note}")
            elif line.warning is not None:
                notice = (line.warning, line.key, line.note)
                notices[notice] = notices.get(notice, 0) + 1
    every = layout.every_entry_path
    for (key, outcome, target, note), count in merged.items():
        lines.fields.append(CardFieldReport(f"{every}.{key}", outcome, target=target, note=note, count=count))
    for (code, key, note), count in notices.items():
        lines.warn(code, f"{every}.{key}: {note} ({entries_text(count)})")


def entries_text(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


def _add_line(lines: ReportLines, path: str, line: EntryLine) -> None:
    if line.outcome is FieldOutcome.DEFAULTED:
        lines.defaulted(path, line.value, line.note or "missing", target=line.target)
    elif line.outcome is FieldOutcome.MAPPED:
        lines.mapped(path, line.target or "", line.note)
    elif line.outcome is FieldOutcome.KEPT:
        lines.kept(path, line.note or "kept")
    else:
        lines.ignored(path, line.note or "not used")


def _warn_invalid_keywords(
    layout: BookLayout, lorebook: Lorebook, entries: Sequence[EntryReading], lines: ReportLines
) -> None:
    if all(entry.activation is None or entry.activation.key_mode in TEXT_KEYS for entry in lorebook.entries):
        return  # keywords that are all text cannot be invalid: no need to compile them
    for warning in keyword_warnings(lorebook):
        where, _, problem = warning.partition(".")
        index = int(where.removeprefix("entries[").removesuffix("]"))
        reading = entries[index]
        lines.warn(
            ImportWarningCode.INVALID_REGEX_KEY,
            f"{layout.entry_path(reading.key)} ('{reading.entry.entry_id}'): {problem}",
        )


def entries_by_id(reading: BookReading) -> dict[str, EntryReading]:
    return {entry.entry.entry_id: entry for entry in reading.entries}
