"""Community lorebook files (INTERCHANGE.md §1, §4, §5): the formats Dramaturg reads and writes,
the import report of a lorebook, the stored original book, and the params and payloads of
`lorebook.import` / `lorebook.export` and the lorebook slots. Report lines and warnings are
the card import's (`runtime.model.cards`), so one reader serves both."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from runtime.files import ResourceFilePayload
from runtime.model._fields import omittable
from runtime.model.cards import CardFieldReport, CreatedIds, ImportWarning


class BookFormat(enum.Enum):
    """The format a lorebook file was read as (recognised by its shape, never by its name)."""

    WORLD_INFO = "world_info"  # SillyTavern: {"entries": {uid: entry}, "originalData"?}
    LOREBOOK_V3 = "lorebook_v3"  # CCv3: {"spec": "lorebook_v3", "data": <Lorebook>}
    CHARACTER_BOOK = "character_book"  # a V2/V3 card's book, alone or embedded in the card
    AGNAI = "agnai"  # {"kind": "memory", "entries": [{name, entry, keywords, …}]}
    RISUAI = "risuai"  # {"type": "risu", "data": [{key: "a, b", …}]}
    NOVELAI = "novelai"  # {"lorebookVersion", "entries": [{keys, text, …}]}
    KOBOLD_LITE = "kobold_lite"  # [{key: "a, b", keysecondary, keyanti, …}]


class BookExportFormat(enum.Enum):
    """The lorebook files Dramaturg writes."""

    WORLD_INFO = "world_info"
    LOREBOOK_V3 = "lorebook_v3"


@attrs.frozen
class LorebookImportReport:
    """What one lorebook import did: the lorebook it created, one line per field of the file
    (entry fields aggregated over the entries, with `count`), and warnings."""

    file_name: str | None
    format: BookFormat
    lorebook_id: str
    display_name: str
    entries: int
    created: CreatedIds
    fields: list[CardFieldReport]
    warnings: list[ImportWarning]


@attrs.frozen
class StoredBook:
    """The book a lorebook was imported from, kept so that an export loses nothing.

    Reading `book` again (as `format`, a nameless book named `imported_name`) gives the lorebook
    as the import made it: reading is deterministic, which an export relies on anyway to pair
    the file's entries with the lorebook's. An export overlays only what changed in Dramaturg
    since, so everything else comes back as the file had it. `character_id` names the character
    whose card carried the book (its card export writes the book back), if any.
    """

    lorebook_id: str
    format: BookFormat
    file_name: str | None
    imported_at_ms: int
    imported_name: str  # the display name the import gave the lorebook
    book: Any  # the book JSON as read (for a card's book: its character_book object)
    character_id: str | None = omittable()


# -- params and payloads ------------------------------------------------------------------


@attrs.frozen
class LorebookImportParams:
    book: Any
    """The lorebook file's JSON, in any format Dramaturg reads (World Info, lorebook_v3, a card's book, …)."""
    lorebook_id: str | None = None
    """The new lorebook's id; omitted: a slug of the book's name or the file name, made unique."""
    file_name: str | None = None
    """The file's name, which names a book without a name (World Info files have none)."""


@attrs.frozen
class LorebookImported:
    lorebook_id: str
    report: LorebookImportReport


@attrs.frozen
class LorebookExportParams:
    lorebook_id: str
    """The lorebook to write."""
    format: BookExportFormat = BookExportFormat.WORLD_INFO
    """`world_info` (SillyTavern's World Info file) or `lorebook_v3` (the CCv3 lorebook)."""


@attrs.frozen
class LorebookExported:
    lorebook_id: str
    format: BookExportFormat
    book: Any


@attrs.frozen
class LorebookImportPayload(ResourceFilePayload):
    """The answer of a lorebook upload: the upload payload of PROTOCOL §5.3, with the import report."""

    lorebook_id: str
    report: LorebookImportReport
