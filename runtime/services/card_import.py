"""Importing community character cards (INTERCHANGE.md) as characters: one transaction per file.

A card arrives as an upload (`character_import:{id|new}` / `card`, PNG, JSON or CHARX bytes) or
as the JSON body of `character.import_card`. It is read and mapped in a worker thread; then ONE
write stores everything it yields, or nothing: the character (id chosen by the caller, else a
slug of the name made unique with `-2`, `-3`…), its cover, the built-in `character-card` schema
when no schema was chosen and it does not exist yet, the original card (for lossless export),
a CHARX's other files, and the extra records the card's parts produce.

Extra records are the seam for the parts of a card that become records of their own (the
embedded `character_book` will become a lorebook): each `ExtraRecordMapper` reads the card,
adds its report lines, and returns the records to create; they are written inside the same
transaction, and their ids are reported under their kind. Today the book is only kept.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable
from typing import Protocol

import attrs
import trio

from runtime.errors import Conflict, InvalidParams, NotFound
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
    report_kept_book,
)
from runtime.model.cards import (
    CardContainer,
    CardImportPayload,
    CardImportReport,
    CardPicture,
    CharacterCardImported,
    CharacterImportCardParams,
    CreatedIds,
    ImportWarning,
    ImportWarningCode,
    StoredCard,
)
from runtime.model.characters import CharacterCardContent, CharacterRecord
from runtime.model.schemas import Schema
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.services.characters import normalize_content, with_cover
from runtime.store import Cursor
from runtime.store.character_cards import CHARACTER_CARDS, insert_card_files
from runtime.store.characters import CHARACTERS, insert_blob, schema_exists
from runtime.store.schemas import SCHEMAS

UPLOAD_KIND = "character_import"
UPLOAD_FILE_ID = "card"
DERIVED_ID = "new"  # `character_import:new`: the id is derived from the card's name
ERROR_PREFIX = "invalid character card: "
DEFAULT_SCHEMA = Schema(
    "character-card", "Character card", ["character"], {}
)  # created on the first import that names no schema
SLUG_FALLBACK = "character"
MAX_SLUG_CHARS = 64
CONTAINER_TYPES = {
    CardContainer.PNG: "image/png",
    CardContainer.JSON: "application/json",
    CardContainer.CHARX: "application/zip",
}


class ExtraRecord(Protocol):
    """A record a card's part creates beside the character, inside the import's transaction."""

    @property
    def kind(self) -> str:
        """The `CreatedIds` field its id is reported under (`lorebooks`)."""

    def write(self, cursor: Cursor, character_id: str) -> str:
        """Insert the record; return its id. Raise to refuse the whole import."""


ExtraRecordMapper = Callable[[CardReading, ReportLines], list[ExtraRecord]]


def keep_character_book(reading: CardReading, lines: ReportLines) -> list[ExtraRecord]:
    """The embedded book stays with the stored card for now: reported, no record created."""
    report_kept_book(reading.card, lines)
    return []


EXTRA_RECORD_MAPPERS: tuple[ExtraRecordMapper, ...] = (keep_character_book,)


# -- entry points ------------------------------------------------------------------------


async def upload_card(services: Services, record_id: str, headers: UploadHeaders, body: bytes) -> CardImportPayload:
    """`POST /upload/character_import:{id|new}/card`: import the card file in `body`."""
    target = None if record_id == DERIVED_ID else record_id
    limits = CardLimits(zip=services.limits.archive)
    reading = await trio.to_thread.run_sync(_read_upload, body, headers.file_name, limits)
    report = await _store(services, reading, target, headers.schema_id)
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
    """`character.import_card`: import a card sent as JSON, with an optional picture."""
    picture = None if params.picture is None else _picture(params.picture)
    limits = CardLimits(zip=services.limits.archive)
    try:
        reading = await trio.to_thread.run_sync(read_card_value, params.card, params.file_name, picture, limits)
    except UnreadableCard as exc:
        raise InvalidParams(f"{ERROR_PREFIX}{exc}") from exc
    report = await _store(services, reading, params.character_id, params.schema_id)
    return CharacterCardImported(report.character_id, report)


def _read_upload(body: bytes, file_name: str | None, limits: CardLimits) -> CardReading:
    try:
        return read_card_upload(body, file_name, limits)
    except UnreadableCard as exc:
        raise InvalidParams(f"{ERROR_PREFIX}{exc}") from exc


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
    services: Services, reading: CardReading, target: str | None, schema_id: str | None
) -> CardImportReport:
    lines = ReportLines(list(reading.lines.fields), list(reading.lines.warnings))
    extras = [record for mapper in EXTRA_RECORD_MAPPERS for record in mapper(reading, lines)]
    write = _CardWrite(
        reading,
        target=None if target is None else require_id(target, "character_id"),
        schema_id=schema_id,
        extras=extras,
        now_ms=services.clock.now_ms(),
    )
    written = await services.store.write(write)
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


@attrs.frozen
class _Written:
    character_id: str
    schema_id: str
    created: CreatedIds
    warnings: list[ImportWarning]


@attrs.frozen(eq=False)
class _CardWrite:
    """The import's one transaction. A function of the database alone (the writer may run it twice)."""

    reading: CardReading
    target: str | None
    schema_id: str | None
    extras: list[ExtraRecord]
    now_ms: int

    def __call__(self, cursor: Cursor) -> _Written:
        created: dict[str, list[str]] = {field.name: [] for field in attrs.fields(CreatedIds)}
        warnings: list[ImportWarning] = []
        character_id = self._character_id(cursor, warnings)
        schema_id = self._schema_id(cursor, created)
        content = self._content(character_id, schema_id)
        record = CharacterRecord(content)
        picture = self.reading.picture
        if picture is not None:
            blob = insert_blob(cursor, picture.file_name, picture.mime_type.value, picture.data, self.now_ms)
            record = with_cover(record, blob, picture.mime_type)
            created["blobs"].append(blob.blob_id)
        CHARACTERS.insert(cursor, character_id, record)
        created["characters"].append(character_id)
        CHARACTER_CARDS.insert(cursor, character_id, self._stored(character_id, content))
        insert_card_files(cursor, character_id, self.reading.files)
        for extra in self.extras:
            created[extra.kind].append(extra.write(cursor, character_id))
        return _Written(character_id, schema_id, CreatedIds(**created), warnings)

    def _character_id(self, cursor: Cursor, warnings: list[ImportWarning]) -> str:
        if self.target is not None:
            if CHARACTERS.exists(cursor, self.target):
                raise Conflict.exists("character", self.target)
            return self.target
        wanted = slug(self.reading.character.name)
        character_id = free_character_id(cursor, wanted)
        if character_id != wanted:
            warnings.append(
                ImportWarning(ImportWarningCode.RENAMED_ID, f"the id '{wanted}' is taken: imported as '{character_id}'")
            )
        return character_id

    def _schema_id(self, cursor: Cursor, created: dict[str, list[str]]) -> str:
        if self.schema_id is not None:
            if not schema_exists(cursor, self.schema_id):
                raise NotFound.record("schema", self.schema_id)
            return self.schema_id
        if not schema_exists(cursor, DEFAULT_SCHEMA.schema_id):
            SCHEMAS.insert(cursor, DEFAULT_SCHEMA.schema_id, DEFAULT_SCHEMA)
            created["schemas"].append(DEFAULT_SCHEMA.schema_id)
        return DEFAULT_SCHEMA.schema_id

    def _content(self, character_id: str, schema_id: str) -> CharacterCardContent:
        character = self.reading.character
        content = CharacterCardContent(
            id=character_id,
            name=character.name,
            personality=character.personality,
            style=character.style,
            schema_id=schema_id,
            system_prompt=character.system_prompt,
            tags=character.tags,
        )
        return normalize_content(content, character_id)

    def _stored(self, character_id: str, content: CharacterCardContent) -> StoredCard:
        reading = self.reading
        return StoredCard(
            character_id=character_id,
            container=reading.container,
            spec=reading.card.spec,
            file_name=reading.file_name,
            imported_at_ms=self.now_ms,
            imported=content,
            card=reading.raw,
        )


# -- ids ---------------------------------------------------------------------------------

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """A lower-case id from a name: ASCII letters and digits joined by `-` (accents dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")
    return text[:MAX_SLUG_CHARS].rstrip("-") or SLUG_FALLBACK


def free_character_id(cursor: Cursor, wanted: str) -> str:
    """`wanted`, else the first of `wanted-2`, `wanted-3`… that no character has (one query)."""
    rows = cursor.execute(
        "SELECT character_id FROM characters WHERE character_id = ? OR starts_with(character_id, ?)",
        [wanted, f"{wanted}-"],
    ).fetchall()
    taken = {row[0] for row in rows}
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted}-{number}" in taken:
        number += 1
    return f"{wanted}-{number}"
