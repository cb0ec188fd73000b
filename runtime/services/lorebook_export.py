"""Exporting lorebooks as community files: SillyTavern World Info and CCv3 `lorebook_v3`, as
downloads (`lorebook:{id}/world_info.json`, `lorebook:{id}/lorebook_v3.json`) and through
`lorebook.export`; and the `character_book` a card export writes back.

An export reads the lorebook and its stored original (if it was imported) in one read, then
writes the file in a worker thread (`runtime.interchange`): the original, read again, with
what changed in Dramaturg overlaid; a lorebook made in Dramaturg is written fresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import trio

from runtime.files import DownloadedFile
from runtime.interchange import (
    BookReading,
    json_card_file,
    reread_book,
    write_card_book,
    write_lorebook_v3,
    write_world_info,
)
from runtime.model.lorebook_files import BookExportFormat, LorebookExported, LorebookExportParams, StoredBook
from runtime.model.lorebooks import Lorebook
from runtime.services._services import Services
from runtime.store import Cursor
from runtime.store.lorebook_sources import LOREBOOK_SOURCES, book_of_character
from runtime.store.lorebooks import LOREBOOKS

WORLD_INFO_FILE_ID = "world_info.json"
LOREBOOK_V3_FILE_ID = "lorebook_v3.json"
JSON_TYPE = "application/json"
FILE_SUFFIXES = {BookExportFormat.WORLD_INFO: ".json", BookExportFormat.LOREBOOK_V3: ".lorebook_v3.json"}

Writer = Callable[[BookReading | None, Lorebook | None, Lorebook], dict[str, Any]]
WRITERS: dict[BookExportFormat, Writer] = {
    BookExportFormat.WORLD_INFO: write_world_info,
    BookExportFormat.LOREBOOK_V3: write_lorebook_v3,
}


@attrs.frozen
class BookSource:
    """What a lorebook export reads: the lorebook as it is, and the book it was imported from."""

    lorebook: Lorebook
    stored: StoredBook | None

    def write(self, writer: Writer) -> dict[str, Any]:
        """The file `writer` makes of it (blocking: reads the original again, which gives the
        lorebook as imported too)."""
        stored = self.stored
        if stored is None:
            return writer(None, None, self.lorebook)
        original = reread_book(stored.book, stored.format, stored.imported_name)
        imported = attrs.evolve(original.lorebook, lorebook_id=stored.lorebook_id)
        return writer(original, imported, self.lorebook)


def _read_source(cursor: Cursor, lorebook_id: str) -> BookSource:
    return BookSource(LOREBOOKS.require(cursor, lorebook_id), LOREBOOK_SOURCES.get(cursor, lorebook_id))


def character_book_source(cursor: Cursor, character_id: str) -> BookSource | None:
    """The lorebook made of the character's card book, if the card had one and it still exists."""
    stored = book_of_character(cursor, character_id)
    if stored is None:
        return None
    lorebook = LOREBOOKS.get(cursor, stored.lorebook_id)
    return None if lorebook is None else BookSource(lorebook, stored)


def card_book(source: BookSource) -> dict[str, Any]:
    """The card's `character_book` as the lorebook is now (blocking)."""
    return source.write(write_card_book)


# -- entry points ------------------------------------------------------------------------


async def export_book(services: Services, params: LorebookExportParams) -> LorebookExported:
    """A lorebook as SillyTavern World Info (the default) or lorebook_v3 JSON.

    `lorebook.export` (a Dramaturg extension).
    """
    source = await services.store.read(lambda cursor: _read_source(cursor, params.lorebook_id))
    book = await trio.to_thread.run_sync(source.write, WRITERS[params.format])
    return LorebookExported(params.lorebook_id, params.format, book)


async def download_world_info(services: Services, lorebook_id: str) -> DownloadedFile:
    return await _download(services, lorebook_id, BookExportFormat.WORLD_INFO)


async def download_lorebook_v3(services: Services, lorebook_id: str) -> DownloadedFile:
    return await _download(services, lorebook_id, BookExportFormat.LOREBOOK_V3)


async def _download(services: Services, lorebook_id: str, book_format: BookExportFormat) -> DownloadedFile:
    source = await services.store.read(lambda cursor: _read_source(cursor, lorebook_id))

    data = await trio.to_thread.run_sync(lambda: json_card_file(source.write(WRITERS[book_format])))
    return DownloadedFile(data, JSON_TYPE, f"{lorebook_id}{FILE_SUFFIXES[book_format]}")
