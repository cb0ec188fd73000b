"""The write of a lorebook import: the lorebook and its original file, in one transaction.

A `BookWrite` stores the lorebook (id chosen, or a slug of its name made unique) and the
`StoredBook` an export starts from. Writes the store's writer groups together run as one batch
(`combine_key`, `run_together`): one query for the taken ids and one multi-row insert per
table, with exactly the results of running them one after the other (if any would fail, the
writer runs each alone, so each gets its own error). A card's embedded book is a `BookWrite`
too, written as an extra record of the card's write (`write_together`), beside its character.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import attrs

from runtime.interchange import BookReading
from runtime.model.cards import ImportWarning
from runtime.model.lorebook_files import StoredBook
from runtime.model.lorebooks import Lorebook
from runtime.services._card_writes import CreatedRecord, ExtraRecord
from runtime.services._import_ids import slug, unique_ids
from runtime.store import Cursor
from runtime.store.lorebook_sources import LOREBOOK_SOURCES
from runtime.store.lorebooks import LOREBOOKS
from runtime.store.packages import insert_documents

SLUG_FALLBACK = "lorebook"


@attrs.frozen
class WrittenBook:
    lorebook: Lorebook
    warnings: list[ImportWarning]


@attrs.frozen(eq=False)
class BookWrite:
    """One book's import. A function of the database alone: the writer may run it twice."""

    combine_key: ClassVar[str] = "lorebook_import"
    kind: ClassVar[str] = "lorebooks"

    reading: BookReading
    target: str | None  # the lorebook id the caller chose; None: derived from the name
    file_name: str | None
    now_ms: int
    character_id: str | None = None  # the character whose card carried the book

    @property
    def wanted_id(self) -> str:
        return self.target if self.target is not None else slug(self.reading.lorebook.display_name, SLUG_FALLBACK)

    def __call__(self, cursor: Cursor) -> WrittenBook:
        return self.run_together(cursor, [self])[0]

    def run_together(self, cursor: Cursor, writes: Sequence[BookWrite]) -> list[WrittenBook]:
        """Store every write of `writes` (this one first), as running them in order would."""
        ids = unique_ids(cursor, LOREBOOKS, [(write.wanted_id, write.target is not None) for write in writes])
        lorebooks: list[tuple[str, Lorebook]] = []
        sources: list[tuple[str, StoredBook]] = []
        for write, (lorebook_id, _) in zip(writes, ids, strict=True):
            lorebook = attrs.evolve(write.reading.lorebook, lorebook_id=lorebook_id)
            lorebooks.append((lorebook_id, lorebook))
            sources.append((lorebook_id, write.stored(lorebook)))
        insert_documents(cursor, LOREBOOKS, lorebooks)
        insert_documents(cursor, LOREBOOK_SOURCES, sources)
        return [WrittenBook(lorebook, warnings) for (_, lorebook), (_, warnings) in zip(lorebooks, ids, strict=True)]

    def stored(self, lorebook: Lorebook) -> StoredBook:
        reading = self.reading
        return StoredBook(
            lorebook.lorebook_id,
            reading.format,
            self.file_name,
            self.now_ms,
            lorebook.display_name,
            reading.raw,
            self.character_id,
        )

    def write_together(self, cursor: Cursor, owned: Sequence[tuple[ExtraRecord, str]]) -> list[CreatedRecord]:
        """As a card's extra record: the books of a batch of cards, each beside its character."""
        writes = [
            attrs.evolve(book, character_id=character_id) for book, character_id in owned if isinstance(book, BookWrite)
        ]
        written = self.run_together(cursor, writes)
        return [CreatedRecord(book.lorebook.lorebook_id, book.warnings) for book in written]
