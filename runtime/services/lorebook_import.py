"""Importing community lorebooks (INTERCHANGE.md §4, §5) as Dramaturg lorebooks: one transaction per file.

A lorebook arrives as an upload (`lorebook_import:{id|new}` / `book`, the file's JSON bytes) or
as the JSON body of `lorebook.import`; a card's embedded `character_book` arrives with its card
(`card_book_records`, one of the card import's extra-record mappers). It is read in a worker
thread; then one write stores the lorebook (id chosen by the caller, else a slug of the book's
name, or of the file name, made unique) and its original, or nothing.
"""

from __future__ import annotations

import trio

from runtime.errors import InvalidParams
from runtime.files import UploadHeaders
from runtime.interchange import (
    BookReading,
    CardReading,
    ReportLines,
    UnreadableBook,
    read_book_upload,
    read_book_value,
    read_embedded_book,
)
from runtime.model.cards import CreatedIds
from runtime.model.lorebook_files import (
    LorebookImported,
    LorebookImportParams,
    LorebookImportPayload,
    LorebookImportReport,
)
from runtime.services._book_writes import BookWrite, WrittenBook
from runtime.services._card_writes import ExtraRecord
from runtime.services._services import Services
from runtime.services._validation import require_id

UPLOAD_KIND = "lorebook_import"
UPLOAD_FILE_ID = "book"
DERIVED_ID = "new"  # `lorebook_import:new`: the id is derived from the book's name
ERROR_PREFIX = "invalid lorebook: "
JSON_TYPE = "application/json"


async def upload_book(services: Services, record_id: str, headers: UploadHeaders, body: bytes) -> LorebookImportPayload:
    """`POST /upload/lorebook_import:{id|new}/book`: import the lorebook file in `body`."""
    target = None if record_id == DERIVED_ID else record_id
    reading = await trio.to_thread.run_sync(_read_upload, body, headers.file_name)
    report = await _store(services, reading, target, headers.file_name)
    return LorebookImportPayload(
        resource_id=f"{UPLOAD_KIND}:{record_id}",
        file_id=UPLOAD_FILE_ID,
        file_name=headers.file_name,
        content_type=JSON_TYPE,
        size_bytes=len(body),
        lorebook_id=report.lorebook_id,
        report=report,
    )


async def import_book(services: Services, params: LorebookImportParams) -> LorebookImported:
    """Import a lorebook file sent as JSON (a Dramaturg extension); answers with the import report.

    `lorebook.import` reads SillyTavern World Info, lorebook_v3, a card's character_book, Agnai,
    RisuAI, NovelAI and Kobold Lite files.
    """
    try:
        reading = await trio.to_thread.run_sync(read_book_value, params.book, params.file_name)
    except UnreadableBook as exc:
        raise InvalidParams(f"{ERROR_PREFIX}{exc}") from exc
    report = await _store(services, reading, params.lorebook_id, params.file_name)
    return LorebookImported(report.lorebook_id, report)


def _read_upload(body: bytes, file_name: str | None) -> BookReading:
    try:
        return read_book_upload(body, file_name)
    except UnreadableBook as exc:
        raise InvalidParams(f"{ERROR_PREFIX}{exc}") from exc


async def _store(
    services: Services, reading: BookReading, target: str | None, file_name: str | None
) -> LorebookImportReport:
    chosen = None if target is None else require_id(target, "lorebook_id")
    write = BookWrite(reading, chosen, file_name, services.clock.now_ms())
    written: WrittenBook = await services.store.write(write)
    lorebook = written.lorebook
    return LorebookImportReport(
        file_name=file_name,
        format=reading.format,
        lorebook_id=lorebook.lorebook_id,
        display_name=lorebook.display_name,
        entries=len(lorebook.entries),
        created=CreatedIds(lorebooks=[lorebook.lorebook_id]),
        fields=reading.lines.fields,
        warnings=[*reading.lines.warnings, *written.warnings],
    )


def card_book_records(reading: CardReading, lines: ReportLines, now_ms: int) -> list[ExtraRecord]:
    """The card import's mapper for an embedded `character_book`: a lorebook beside the character."""
    book = read_embedded_book(reading.card, lines)
    if book is None:
        return []
    return [BookWrite(book, None, reading.file_name, now_ms)]
