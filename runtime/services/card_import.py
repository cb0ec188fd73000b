"""Importing community character cards (INTERCHANGE.md) as characters: one transaction per file.

A card arrives as an upload (`character_import:{id|new}` / `card`, PNG, JSON or CHARX bytes) or
as the JSON body of `character.import_card`. It is read and mapped in a worker thread; then ONE
write stores everything it yields, or nothing: the character (id chosen by the caller, else a
slug of the name made unique with `-2`, `-3`…), its cover, the built-in `character-card` schema
(`_card_writes.DEFAULT_SCHEMA`) when no schema was chosen and it does not exist yet, the original card (for lossless export),
a CHARX's other files, and the extra records the card's parts produce.

Extra records are the seam for the parts of a card that become records of their own: each
`ExtraRecordMapper` reads the card, adds its report lines, and returns the records to create;
they are written inside the same transaction, and their ids are reported under their kind. The
embedded `character_book` becomes a lorebook this way (`lorebook_import.card_book_records`); the
book also stays with the stored card.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

import attrs
import trio

from runtime.errors import InvalidParams
from runtime.files import UploadHeaders
from runtime.interchange import (
    CardLimits,
    CardReading,
    Picture,
    ReportLines,
    UnreadableCard,
    picture_from_bytes,
    read_card_upload,
    read_card_value,
)
from runtime.model.cards import (
    CardContainer,
    CardImportPayload,
    CardImportReport,
    CardPicture,
    CharacterCardImported,
    CharacterImportCardParams,
)
from runtime.services._card_writes import CardWrite, ExtraRecord, Written
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.services.lorebook_import import card_book_records

UPLOAD_KIND = "character_import"
UPLOAD_FILE_ID = "card"
DERIVED_ID = "new"  # `character_import:new`: the id is derived from the card's name
ERROR_PREFIX = "invalid character card: "
CONTAINER_TYPES = {
    CardContainer.PNG: "image/png",
    CardContainer.JSON: "application/json",
    CardContainer.CHARX: "application/zip",
}

ExtraRecordMapper = Callable[[CardReading, ReportLines, int], list[ExtraRecord]]
"""Reads a card's part, adds its report lines, and returns the records it creates (written by
`CardWrite`); the int is the import's time, epoch ms."""

EXTRA_RECORD_MAPPERS: tuple[ExtraRecordMapper, ...] = (card_book_records,)


# -- entry points ------------------------------------------------------------------------


async def upload_card(services: Services, record_id: str, headers: UploadHeaders, body: bytes) -> CardImportPayload:
    """`POST /upload/character_import:{id|new}/card`: import the card file in `body`."""
    target = None if record_id == DERIVED_ID else record_id
    limits = CardLimits(zip=services.limits.archive)
    now_ms = services.clock.now_ms()
    prepared = await trio.to_thread.run_sync(_prepare_upload, body, headers.file_name, limits, now_ms)
    reading = prepared.reading
    report = await _store(services, prepared, target, headers.schema_id)
    return CardImportPayload(
        resource_id=f"{UPLOAD_KIND}:{record_id}",
        file_id=UPLOAD_FILE_ID,
        file_name=headers.file_name,
        content_type=CONTAINER_TYPES[reading.container],
        size_bytes=len(body),
        character_id=report.character_id,
        report=report,
    )


async def import_card(services: Services, params: CharacterImportCardParams) -> CharacterCardImported:
    """Import a V1, V2 or V3 character card sent as JSON; answers with the import report.

    `character.import_card`: import a card sent as JSON, with an optional picture.
    """
    picture = None if params.picture is None else _picture(params.picture)
    limits = CardLimits(zip=services.limits.archive)
    now_ms = services.clock.now_ms()

    def prepare() -> _Prepared:
        try:
            reading = read_card_value(params.card, params.file_name, picture, limits)
        except UnreadableCard as exc:
            raise InvalidParams(f"{ERROR_PREFIX}{exc}") from exc
        return _prepared(reading, now_ms)

    report = await _store(services, await trio.to_thread.run_sync(prepare), params.character_id, params.schema_id)
    return CharacterCardImported(report.character_id, report)


@attrs.frozen
class _Prepared:
    """A card read, with the records its parts make and the report lines so far."""

    reading: CardReading
    lines: ReportLines
    extras: list[ExtraRecord]
    now_ms: int


def _prepared(reading: CardReading, now_ms: int) -> _Prepared:
    """Run the extra-record mappers (blocking: an embedded book's regex keywords are compiled)."""
    lines = ReportLines(list(reading.lines.fields), list(reading.lines.warnings))
    extras = [record for mapper in EXTRA_RECORD_MAPPERS for record in mapper(reading, lines, now_ms)]
    return _Prepared(reading, lines, extras, now_ms)


def _prepare_upload(body: bytes, file_name: str | None, limits: CardLimits, now_ms: int) -> _Prepared:
    try:
        reading = read_card_upload(body, file_name, limits)
    except UnreadableCard as exc:
        raise InvalidParams(f"{ERROR_PREFIX}{exc}") from exc
    return _prepared(reading, now_ms)


def _picture(sent: CardPicture) -> Picture:
    try:
        data = base64.b64decode(sent.data_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParams("params.picture.data_base64: expected base64") from exc
    try:
        picture = picture_from_bytes(data)
    except UnreadableCard as exc:
        raise InvalidParams(f"params.picture.data_base64: {exc}") from exc
    declared = sent.content_type.split(";", 1)[0].strip()
    if declared != picture.mime_type.value:
        raise InvalidParams(
            f"params.picture.content_type: '{declared}' does not match the picture ({picture.mime_type.value})"
        )
    return picture


# -- the write ---------------------------------------------------------------------------


async def _store(
    services: Services, prepared: _Prepared, target: str | None, schema_id: str | None
) -> CardImportReport:
    reading, lines = prepared.reading, prepared.lines
    write = CardWrite(
        reading,
        target=None if target is None else require_id(target, "character_id"),
        schema_id=schema_id,
        extras=prepared.extras,
        now_ms=prepared.now_ms,
    )
    written: Written = await services.store.write(write)
    return CardImportReport(
        file_name=reading.file_name,
        container=reading.container,
        spec=reading.card.spec,
        spec_version=reading.card.spec_version,
        character_id=written.character_id,
        schema_id=written.schema_id,
        created=written.created,
        fields=lines.fields,
        warnings=[*lines.warnings, *written.warnings],
    )
