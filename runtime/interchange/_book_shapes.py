"""Which lorebook format a parsed file is, told by its shape (never by its file name), and where
its book-level fields and its entries are.

The markers the formats write come first (`spec: lorebook_v3`, Agnai's `kind: memory`, RisuAI's
`type: risu`, NovelAI's `lorebookVersion`); then `entries`, told apart by its entries' keys
(`keys` for a card book, `key` for World Info, `text` for NovelAI, `entry` for Agnai), as an
array or as an object keyed by uid (World Info's way, which is what such an object is unless
its entries say otherwise). A bare array of entries is Kobold Lite's. Anything else is `NotALorebook`, whose message says what the file
looks like instead (a character card, for one). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from runtime.codec import json_type_name
from runtime.model.lorebook_files import BookFormat

JsonObject = dict[str, Any]

CARD_MARKERS = ("chara_card_v1", "chara_card_v2", "chara_card_v3")
V1_CARD_KEYS = frozenset({"first_mes", "mes_example", "personality", "scenario"})
WORLD_INFO_ENTRY_KEYS = frozenset({"key", "uid", "keysecondary", "disable", "order", "selectiveLogic"})
CARD_BOOK_ENTRY_KEYS = frozenset({"keys", "insertion_order", "secondary_keys", "use_regex"})


class NotALorebook(Exception):
    """The JSON holds no lorebook; the message says what it holds instead, without a prefix."""


@attrs.frozen
class BookLayout:
    """A lorebook file's parts. `book` holds the book-level fields (None for a bare array);
    `entries` are `(key, entry)` pairs: the object key of an entries object, else the index."""

    format: BookFormat
    book: JsonObject | None
    entries: list[tuple[str, Any]]
    keyed: bool  # entries came as an object keyed by uid
    book_path: str  # where the book-level fields are, for report paths ("" at the top level)
    entries_key: str  # the book's key that holds the entries ("" for a bare array)

    @property
    def entries_path(self) -> str:
        return self.path_of(self.entries_key)

    def path_of(self, key: str) -> str:
        """The report path of a book-level key."""
        return f"{self.book_path}.{key}" if self.book_path and key else self.book_path or key

    def entry_path(self, key: str) -> str:
        """The path of one entry: `entries.12` in an object, `entries[3]` in an array."""
        if self.keyed:
            return f"{self.entries_path}.{key}"
        return f"{self.entries_path}[{key}]"

    @property
    def every_entry_path(self) -> str:
        return f"{self.entries_path}.*" if self.keyed else f"{self.entries_path}[*]"


def book_layout(raw: Any) -> BookLayout:
    """The layout of `raw` (a parsed lorebook file). Raises NotALorebook."""
    if isinstance(raw, list):
        return _kobold_list(raw)
    if not isinstance(raw, dict):
        raise NotALorebook(f"no lorebook found: expected a JSON object or array, got {json_type_name(raw)}")
    if raw.get("spec") == BookFormat.LOREBOOK_V3.value:
        data = raw.get("data")
        if not isinstance(data, dict):
            raise NotALorebook(f"a lorebook_v3 file needs a data object, got {json_type_name(data)}")
        return _entries_of(BookFormat.LOREBOOK_V3, data, "data", "entries")
    if raw.get("spec") in CARD_MARKERS or (V1_CARD_KEYS & raw.keys() and "name" in raw):
        raise NotALorebook("this is a character card, not a lorebook (import it as a card)")
    return _marked_or_shaped(raw)


def _marked_or_shaped(raw: JsonObject) -> BookLayout:
    if raw.get("kind") == "memory":
        return _entries_of(BookFormat.AGNAI, raw, "", "entries")
    if raw.get("type") == "risu" or isinstance(raw.get("data"), list):
        return _entries_of(BookFormat.RISUAI, raw, "", "data")
    if "lorebookVersion" in raw:
        return _entries_of(BookFormat.NOVELAI, raw, "", "entries")
    if isinstance(raw.get("worldinfo"), list) and "entries" not in raw:
        return _entries_of(BookFormat.KOBOLD_LITE, raw, "", "worldinfo")
    entries = raw.get("entries")
    if isinstance(entries, dict):
        return _entries_of(_entries_format(entries.values(), BookFormat.WORLD_INFO), raw, "", "entries")
    if isinstance(entries, list):
        return _entries_of(_entries_format(entries, BookFormat.CHARACTER_BOOK), raw, "", "entries")
    raise NotALorebook(
        "no lorebook found: expected World Info (entries keyed by uid), a lorebook_v3 or character_book,"
        " or an Agnai, RisuAI, NovelAI or Kobold Lite lorebook"
    )


def _entries_format(entries: Iterable[Any], default: BookFormat) -> BookFormat:
    """The format of `entries`, from the keys its entries have."""
    keys: set[str] = set()
    for entry in entries:
        if isinstance(entry, dict):
            keys |= entry.keys()
    if keys & CARD_BOOK_ENTRY_KEYS:
        return BookFormat.CHARACTER_BOOK
    if keys & WORLD_INFO_ENTRY_KEYS:
        return BookFormat.WORLD_INFO
    if keys & {"text", "displayName", "contextConfig"}:
        return BookFormat.NOVELAI
    if keys & {"entry", "keywords", "weight"}:
        return BookFormat.AGNAI
    return default


def _kobold_list(raw: list[Any]) -> BookLayout:
    if not all(isinstance(entry, dict) and ("key" in entry or "content" in entry) for entry in raw):
        raise NotALorebook("no lorebook found: an array that is not a list of Kobold Lite world info entries")
    entries = [(str(index), entry) for index, entry in enumerate(raw)]
    return BookLayout(BookFormat.KOBOLD_LITE, None, entries, False, "", "")


def _entries_of(book_format: BookFormat, book: JsonObject, book_path: str, entries_key: str) -> BookLayout:
    container = book.get(entries_key)
    if isinstance(container, dict):
        entries = [(str(key), entry) for key, entry in container.items()]
        return BookLayout(book_format, book, entries, True, book_path, entries_key)
    items = container if isinstance(container, list) else []
    entries = [(str(index), entry) for index, entry in enumerate(items)]
    return BookLayout(book_format, book, entries, False, book_path, entries_key)


def character_book_layout(book: JsonObject, path: str) -> BookLayout:
    """The layout of a card's `character_book` object found at `path` (`data.character_book`)."""
    return _entries_of(BookFormat.CHARACTER_BOOK, book, path, "entries")
