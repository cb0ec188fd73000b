"""The character card archive, `.chr` (PROTOCOL §16.1): reading an upload, writing an export.

A `.chr` is a ZIP of exactly three deflated entries: `manifest.json`, `content.json` and the
cover image `cover.<ext>`. Reading goes through the safe ZIP reader first; every problem is
an InvalidParams whose message is either `invalid character archive: …` or one of the codec
messages of PROTOCOL §3.8. Both functions block: call them through `trio.to_thread.run_sync`.
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from runtime.archives._safe_zip import UnsafeArchive, ZipLimits, read_zip_entries
from runtime.archives._zip_format import ArchiveEntries, pretty_json, write_zip
from runtime.errors import Conflict, InvalidParams
from runtime.model.characters import CharacterCardContent, CoverMimeType

CHR_MIME = "application/x-sillystage-character-card"
CHR_FORMAT = "sillystage_character_card"
CHR_VERSION = 1
MANIFEST_ENTRY = "manifest.json"
CONTENT_ENTRY = "content.json"
COVER_ENTRY_PREFIX = "cover."
ERROR_PREFIX = "invalid character archive: "
MISSING_ENTRY = "missing character archive entry: "


@attrs.frozen
class CharacterArchiveManifest:
    """`manifest.json`. Like the reference, unknown keys are ignored; the values are checked."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    format: str
    version: int
    character_id: str
    content_path: str
    cover_path: str
    cover_mime_type: CoverMimeType


@attrs.frozen
class CharacterArchive:
    """What a `.chr` holds: the card, and the cover with the name and type the manifest gives it."""

    content: CharacterCardContent
    cover_path: str
    cover_mime_type: CoverMimeType
    cover: bytes = attrs.field(repr=False)


def character_archive_file_name(character_id: str) -> str:
    """`{id}.chr`: the download name of an export and the default name of an upload."""
    return f"{character_id}.chr"


# -- reading -----------------------------------------------------------------------------


def read_character_archive(data: bytes, limits: ZipLimits = ZipLimits()) -> CharacterArchive:
    """Parse and check a `.chr`. Raises InvalidParams; nothing else for bad input."""
    try:
        entries = ArchiveEntries(read_zip_entries(data, limits), MISSING_ENTRY, ERROR_PREFIX)
    except UnsafeArchive as exc:
        raise InvalidParams(f"{ERROR_PREFIX}{exc}") from exc
    manifest = entries.structure(MANIFEST_ENTRY, CharacterArchiveManifest)
    _check_manifest(manifest)
    entries.refuse_unexpected({MANIFEST_ENTRY, manifest.content_path, manifest.cover_path}, "unexpected entry {entry}")
    content = entries.structure(manifest.content_path, CharacterCardContent)
    if content.id != manifest.character_id:
        raise InvalidParams(
            f"character id mismatch between manifest ({manifest.character_id}) and content ({content.id})"
        )
    cover = entries.require(manifest.cover_path)
    return CharacterArchive(content, manifest.cover_path, manifest.cover_mime_type, cover)


def _check_manifest(manifest: CharacterArchiveManifest) -> None:
    if manifest.format != CHR_FORMAT:
        raise InvalidParams(f"unsupported character archive format: {manifest.format}")
    if manifest.version != CHR_VERSION:
        raise InvalidParams(f"unsupported character archive version: {manifest.version}")
    if manifest.content_path != CONTENT_ENTRY:
        raise InvalidParams(f"character archive content path must be {CONTENT_ENTRY}, got {manifest.content_path}")
    if not manifest.cover_path.startswith(COVER_ENTRY_PREFIX):
        raise InvalidParams(
            f"character archive cover path must start with {COVER_ENTRY_PREFIX}, got {manifest.cover_path}"
        )


# -- writing -----------------------------------------------------------------------------


def write_character_archive(
    content: CharacterCardContent, cover_mime_type: CoverMimeType, cover: bytes, modified_at_ms: int
) -> bytes:
    """A fresh `.chr` whose cover is named `cover.<ext>` from its type (R10).

    Raises Conflict `character '{id}' does not have a cover yet` when the cover is empty.
    """
    if not cover:
        raise Conflict(f"character '{content.id}' does not have a cover yet")
    cover_path = cover_mime_type.default_file_name
    manifest = CharacterArchiveManifest(
        format=CHR_FORMAT,
        version=CHR_VERSION,
        character_id=content.id,
        content_path=CONTENT_ENTRY,
        cover_path=cover_path,
        cover_mime_type=cover_mime_type,
    )
    entries = [(MANIFEST_ENTRY, pretty_json(manifest)), (CONTENT_ENTRY, pretty_json(content)), (cover_path, cover)]
    return write_zip(entries, modified_at_ms)
