"""Character cards: `character.*`, covers and `.chr` archives (PROTOCOL §6.11, §5.4, §16.1).

Every change runs in one write transaction and raises before writing anything when the
input is refused, so a failed call leaves characters and blobs exactly as they were.
"""

from __future__ import annotations

import attrs
import trio

from runtime.archives import (
    CHR_MIME,
    CharacterArchive,
    character_archive_file_name,
    read_character_archive,
    write_character_archive,
)
from runtime.errors import Conflict, InvalidParams, NotFound
from runtime.files import DownloadedFile, ResourceFilePayload, UploadHeaders
from runtime.interchange import image_type, what_the_bytes_are
from runtime.model.characters import (
    Character,
    CharacterCardContent,
    CharacterCreated,
    CharacterCreateParams,
    CharacterDeleted,
    CharacterIdParams,
    CharacterRecord,
    CharactersListed,
    CharacterSummary,
    CharacterUpdateParams,
    CoverMimeType,
)
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.store import Cursor, references
from runtime.store.character_cards import delete_stored_card
from runtime.store.characters import (
    CHARACTERS,
    Blob,
    delete_blob,
    get_blob,
    insert_blob,
    new_character,
    schema_exists,
)
from runtime.store.lorebook_sources import forget_character

RESOURCE_KIND = "character"
COVER_FILE_ID = "cover"
ARCHIVE_FILE_ID = "archive"
COVER_ERROR_PREFIX = "invalid character cover payload: "


# -- content rules -----------------------------------------------------------------------


def normalize_tags(tags: list[str]) -> list[str]:
    """Trimmed, blanks dropped, duplicates removed keeping the first occurrence."""
    trimmed = (tag.strip() for tag in tags)
    return list(dict.fromkeys(tag for tag in trimmed if tag))


def normalize_folder(folder: str) -> str:
    """Trimmed, then leading and trailing `/` removed; `""` means unfiled."""
    return folder.strip().strip("/")


def normalize_content(content: CharacterCardContent, character_id: str) -> CharacterCardContent:
    return attrs.evolve(
        content, id=character_id, tags=normalize_tags(content.tags), folder=normalize_folder(content.folder)
    )


def _require_schema(cursor: Cursor, schema_id: str) -> None:
    if not schema_exists(cursor, schema_id):
        raise NotFound.record("schema", schema_id)


def _require_new_character(cursor: Cursor, content: CharacterCardContent) -> None:
    """Both checks of a create, in the order of PROTOCOL §6.11: duplicate, then schema."""
    if CHARACTERS.exists(cursor, content.id):
        raise Conflict.exists(RESOURCE_KIND, content.id)
    _require_schema(cursor, content.schema_id)


def _require_matching_id(character_id: str, content: CharacterCardContent) -> None:
    if content.id != character_id:
        raise InvalidParams(f"character_id '{character_id}' does not match content.id '{content.id}'")


# -- payloads ----------------------------------------------------------------------------


def character_summary(record: CharacterRecord) -> CharacterSummary:
    content = record.content
    return CharacterSummary(
        character_id=content.id,
        name=content.name,
        personality=content.personality,
        style=content.style,
        tags=content.tags,
        folder=content.folder,
        cover_file_name=record.cover_file_name,
        cover_mime_type=record.cover_mime_type,
    )


def character_payload(record: CharacterRecord) -> Character:
    return Character(record.character_id, record.content, record.cover_file_name, record.cover_mime_type)


# -- character.* -------------------------------------------------------------------------


async def create_character(services: Services, params: CharacterCreateParams) -> CharacterCreated:
    """Store a character: its card content (name, personality, style, system prompt) and state schema."""
    character_id = require_id(params.content.id, "character_id")
    record = CharacterRecord(normalize_content(params.content, character_id))

    await services.store.write(new_character(record))
    return CharacterCreated(character_id, character_summary(record))


async def get_character(services: Services, params: CharacterIdParams) -> Character:
    """One character, with the name and type of its cover if it has one."""
    character_id = params.character_id
    return await services.store.read_cached(
        ("character.get", character_id), lambda cursor: character_payload(CHARACTERS.require(cursor, character_id))
    )


async def list_characters(services: Services) -> CharactersListed:
    """Every character, sorted by id."""
    return await services.store.read_cached(("character.list",), _characters_listed)


def _characters_listed(cursor: Cursor) -> CharactersListed:
    return CharactersListed([character_summary(record) for record in CHARACTERS.list(cursor)])


async def update_character(services: Services, params: CharacterUpdateParams) -> Character:
    """Replace a character's card content."""
    character_id = params.character_id
    require_id(character_id, "character_id")
    _require_matching_id(character_id, params.content)
    content = normalize_content(params.content, character_id)

    def update(cursor: Cursor) -> CharacterRecord:
        record = attrs.evolve(CHARACTERS.require(cursor, character_id), content=content)
        _require_schema(cursor, content.schema_id)
        CHARACTERS.update(cursor, character_id, record)
        return record

    return character_payload(await services.store.write(update))


async def delete_character(services: Services, params: CharacterIdParams) -> CharacterDeleted:
    """Delete a character, its cover and its stored card (refused while story resources use it)."""
    character_id = params.character_id

    def delete(cursor: Cursor) -> None:
        if references.character_in_story_resources(cursor, character_id):
            raise Conflict(f"character '{character_id}' is still referenced by story resources")
        record = CHARACTERS.require(cursor, character_id)
        CHARACTERS.delete(cursor, character_id)
        delete_stored_card(cursor, character_id)
        forget_character(cursor, character_id)
        if record.cover_blob_id is not None:
            delete_blob(cursor, record.cover_blob_id)

    await services.store.write(delete)
    return CharacterDeleted(character_id)


# -- binary slots ------------------------------------------------------------------------


def _resource_id(character_id: str) -> str:
    return f"{RESOURCE_KIND}:{character_id}"


def _check_cover_content_type(content_type: str) -> None:
    """A cover type, parameters removed (R10); else the §5.4 unsupported-type error."""
    sent = content_type.strip()
    if CoverMimeType.from_value(sent.split(";", 1)[0].strip()) is None:
        raise InvalidParams(f"{COVER_ERROR_PREFIX}unsupported content type '{sent}'")


async def upload_cover(
    services: Services, character_id: str, headers: UploadHeaders, body: bytes
) -> ResourceFilePayload:
    """Set or replace the cover: a new `blob-N`, the old blob deleted, all in one transaction.

    The content type must name a cover type (§5.4), and the bytes must be a PNG, JPEG or WebP
    picture by their first bytes; the type stored is the one the bytes are, whatever the header
    said (a `.jpg` sent as `image/png` is kept as `image/jpeg`).
    """
    _check_cover_content_type(headers.content_type)
    if not body:
        raise InvalidParams(f"{COVER_ERROR_PREFIX}cover bytes must not be empty")
    cover_type = image_type(body)
    if cover_type is None:
        found = what_the_bytes_are(body)
        raise InvalidParams(f"{COVER_ERROR_PREFIX}the bytes are not a PNG, JPEG or WebP image (found {found})")
    file_name = headers.file_name or cover_type.default_file_name
    now_ms = services.clock.now_ms()

    def replace_cover(cursor: Cursor) -> None:
        record = CHARACTERS.require(cursor, character_id)
        blob = insert_blob(cursor, file_name, cover_type.value, body, now_ms)
        CHARACTERS.update(cursor, character_id, with_cover(record, blob, cover_type))
        if record.cover_blob_id is not None:
            delete_blob(cursor, record.cover_blob_id)

    await services.store.write(replace_cover)
    return ResourceFilePayload(_resource_id(character_id), COVER_FILE_ID, file_name, cover_type.value, len(body))


def with_cover(record: CharacterRecord, blob: Blob, cover_type: CoverMimeType) -> CharacterRecord:
    """The record with `blob` (of `cover_type`) as its cover."""
    return attrs.evolve(record, cover_blob_id=blob.blob_id, cover_file_name=blob.file_name, cover_mime_type=cover_type)


async def import_archive(
    services: Services, character_id: str, headers: UploadHeaders, body: bytes
) -> ResourceFilePayload:
    """Create exactly this character from a `.chr`. The request's content type is ignored."""
    archive: CharacterArchive = await trio.to_thread.run_sync(read_character_archive, body, services.limits.archive)
    _require_matching_id(character_id, archive.content)
    record = CharacterRecord(normalize_content(archive.content, character_id))
    now_ms = services.clock.now_ms()

    def insert(cursor: Cursor) -> None:
        _require_new_character(cursor, record.content)
        blob = insert_blob(cursor, archive.cover_path, archive.cover_mime_type.value, archive.cover, now_ms)
        CHARACTERS.insert(cursor, character_id, with_cover(record, blob, archive.cover_mime_type))

    await services.store.write(insert)
    file_name = headers.file_name or character_archive_file_name(character_id)
    return ResourceFilePayload(_resource_id(character_id), ARCHIVE_FILE_ID, file_name, CHR_MIME, len(body))


def _read_cover(cursor: Cursor, character_id: str) -> tuple[CharacterRecord, Blob, CoverMimeType]:
    """The character and its cover blob: 40404 without the character, 40909 without a cover."""
    record = CHARACTERS.require(cursor, character_id)
    blob = None if record.cover_blob_id is None else get_blob(cursor, record.cover_blob_id)
    if blob is None or record.cover_mime_type is None:
        raise Conflict(f"character '{character_id}' does not have a cover yet")
    return record, blob, record.cover_mime_type


async def download_cover(services: Services, character_id: str) -> DownloadedFile:
    _, blob, _ = await services.store.read(lambda cursor: _read_cover(cursor, character_id))
    return DownloadedFile(blob.data, blob.content_type, blob.file_name)


async def export_archive(services: Services, character_id: str) -> DownloadedFile:
    record, blob, cover_type = await services.store.read(lambda cursor: _read_cover(cursor, character_id))
    data = await trio.to_thread.run_sync(
        write_character_archive, record.content, cover_type, blob.data, services.clock.now_ms()
    )
    return DownloadedFile(data, CHR_MIME, character_archive_file_name(character_id))
