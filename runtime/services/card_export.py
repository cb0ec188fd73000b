"""Exporting characters as community cards: PNG, JSON (V3 or V2) and CHARX downloads, and
`character.export_card`.

An export reads the character, its stored original card (if it was imported), its cover, the
lorebook made of the card's embedded book (if it had one and the lorebook still exists), and for
a CHARX the kept files, in one read; then builds the card in a worker thread
(`runtime.interchange.write_card`): the original with Dramaturg's changed fields overlaid, and
the book as the lorebook is now, overlaid on the original book.

A PNG card needs a PNG picture: a character without a cover, or with a JPEG or WebP cover
(which cannot carry text chunks), is written into a generated placeholder picture instead of
being refused; the CHARX export keeps a JPEG or WebP cover as it is.
"""

from __future__ import annotations

import attrs
import trio

from runtime.files import DownloadedFile
from runtime.interchange import (
    JsonObject,
    Picture,
    UnsafePng,
    charx_card_file,
    json_card_file,
    placeholder_png,
    png_card_file,
    reread_card,
    write_card,
)
from runtime.model.cards import CardExportSpec, CharacterCardExported, CharacterExportCardParams, StoredCard
from runtime.model.characters import CharacterRecord, CoverMimeType
from runtime.services._services import Services
from runtime.services.lorebook_export import BookSource, card_book, character_book_source
from runtime.store import Cursor
from runtime.store.character_cards import CHARACTER_CARDS, card_files
from runtime.store.characters import CHARACTERS, get_blob

PNG_CARD_FILE_ID = "card.png"
JSON_CARD_FILE_ID = "card.json"
JSON_V2_CARD_FILE_ID = "card_v2.json"
CHARX_FILE_ID = "card.charx"
JSON_TYPE = "application/json"
CHARX_TYPE = "application/zip"
MS_PER_S = 1000


@attrs.frozen
class _Source:
    """What an export reads: the character, its original card, its cover, a CHARX's kept files,
    the lorebook of its card's book."""

    record: CharacterRecord
    stored: StoredCard | None
    cover: Picture | None  # only read for a PNG or CHARX: a JSON card does not hold it
    files: dict[str, bytes]
    book: BookSource | None


def _read_source(cursor: Cursor, character_id: str, with_cover: bool, with_files: bool) -> _Source:
    record = CHARACTERS.require(cursor, character_id)
    stored = CHARACTER_CARDS.get(cursor, character_id)
    blob = None if record.cover_blob_id is None or not with_cover else get_blob(cursor, record.cover_blob_id)
    cover = None
    if blob is not None and record.cover_mime_type is not None and blob.data:
        cover = Picture(blob.data, record.cover_mime_type, blob.file_name or record.cover_mime_type.default_file_name)
    files = card_files(cursor, character_id) if with_files else {}
    book = character_book_source(cursor, character_id) if stored is not None else None
    return _Source(record, stored, cover, files, book)


async def _source(
    services: Services, character_id: str, *, with_cover: bool = False, with_files: bool = False
) -> _Source:
    """What the export reads; the cover's bytes and a CHARX's files only when the file holds them."""
    return await services.store.read(lambda cursor: _read_source(cursor, character_id, with_cover, with_files))


def _card(source: _Source, spec: CardExportSpec, now_ms: int) -> JsonObject:
    return _cards(source, (spec,), now_ms)[0]


def _cards(source: _Source, specs: tuple[CardExportSpec, ...], now_ms: int) -> list[JsonObject]:
    """The card in each spec; the original card and its book are read again once for all of them."""
    stored = source.stored
    base = None if stored is None else reread_card(stored.card, stored.file_name)
    imported = None if stored is None else stored.imported
    book = None if source.book is None else card_book(source.book)
    return [write_card(base, imported, source.record.content, spec, now_ms // MS_PER_S, book) for spec in specs]


# -- entry points ------------------------------------------------------------------------


async def export_card(services: Services, params: CharacterExportCardParams) -> CharacterCardExported:
    """A character as a character card (V3, or V2 when asked), as JSON.

    `character.export_card`: the card JSON (V3 unless V2 is asked for).
    """
    source = await _source(services, params.character_id)
    card = await trio.to_thread.run_sync(_card, source, params.spec, services.clock.now_ms())
    return CharacterCardExported(params.character_id, card)


async def download_json_card(services: Services, character_id: str) -> DownloadedFile:
    return await _json_download(services, character_id, CardExportSpec.V3, f"{character_id}.json")


async def download_json_v2_card(services: Services, character_id: str) -> DownloadedFile:
    return await _json_download(services, character_id, CardExportSpec.V2, f"{character_id}.v2.json")


async def _json_download(services: Services, character_id: str, spec: CardExportSpec, name: str) -> DownloadedFile:
    source = await _source(services, character_id)
    now_ms = services.clock.now_ms()
    data = await trio.to_thread.run_sync(lambda: json_card_file(_card(source, spec, now_ms)))
    return DownloadedFile(data, JSON_TYPE, name)


async def download_png_card(services: Services, character_id: str) -> DownloadedFile:
    """The PNG card: both `chara` (V2) and `ccv3` (V3) chunks, in the cover or a placeholder."""
    source = await _source(services, character_id, with_cover=True)
    data = await trio.to_thread.run_sync(_png_card, source, services.clock.now_ms())
    return DownloadedFile(data, CoverMimeType.PNG.value, f"{character_id}.png")


def _png_card(source: _Source, now_ms: int) -> bytes:
    v2, v3 = _cards(source, (CardExportSpec.V2, CardExportSpec.V3), now_ms)
    cover = source.cover
    if cover is not None and cover.mime_type is CoverMimeType.PNG:
        try:
            return png_card_file(cover.data, v2, v3)
        except UnsafePng:
            pass  # a cover uploaded through the cover slot is not checked to be a sound PNG
    return png_card_file(placeholder_png(source.record.character_id), v2, v3)


async def download_charx_card(services: Services, character_id: str) -> DownloadedFile:
    """The CHARX: `card.json` (V3), the imported CHARX's kept files, and the cover as the main icon."""
    source = await _source(services, character_id, with_cover=True, with_files=True)
    data = await trio.to_thread.run_sync(_charx_card, source, services.clock.now_ms())
    return DownloadedFile(data, CHARX_TYPE, f"{character_id}.charx")


def _charx_card(source: _Source, now_ms: int) -> bytes:
    return charx_card_file(_card(source, CardExportSpec.V3, now_ms), source.files, source.cover, now_ms)
