"""The character card archive, `.chr` (PROTOCOL §16.1): reading an upload, writing an export.

A `.chr` is a ZIP of exactly three deflated entries: `manifest.json`, `content.json` and the
cover image `cover.<ext>`. Reading goes through the safe ZIP reader first; every problem is
an InvalidParams whose message is either `invalid character archive: …` or one of the codec
messages of PROTOCOL §3.8. Both functions block: call them through `trio.to_thread.run_sync`.
"""

from __future__ import annotations

import datetime
import io
import json
import stat
import zipfile
from typing import ClassVar, TypeVar

import attrs

from runtime.archives._safe_zip import UnsafeArchive, ZipLimits, describe_entry_name, read_zip_entries
from runtime.codec import CODEC
from runtime.errors import Conflict, InvalidParams
from runtime.model.characters import CharacterCardContent, CoverMimeType

T = TypeVar("T")

CHR_MIME = "application/x-sillystage-character-card"
CHR_FORMAT = "sillystage_character_card"
CHR_VERSION = 1
MANIFEST_ENTRY = "manifest.json"
CONTENT_ENTRY = "content.json"
COVER_ENTRY_PREFIX = "cover."
ERROR_PREFIX = "invalid character archive: "
ENTRY_MODE = 0o644
UNIX_CREATOR = 3  # ZIP "version made by" host: the external attributes hold a Unix mode
EARLIEST_ZIP_TIME = datetime.datetime(1980, 1, 1, tzinfo=datetime.timezone.utc)  # DOS dates start here


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
        entries = read_zip_entries(data, limits)
    except UnsafeArchive as exc:
        raise InvalidParams(f"{ERROR_PREFIX}{exc}") from exc
    manifest = _structure_entry(entries, MANIFEST_ENTRY, CharacterArchiveManifest)
    _check_manifest(manifest)
    _refuse_unexpected_entries(entries, {MANIFEST_ENTRY, manifest.content_path, manifest.cover_path})
    content = _structure_entry(entries, manifest.content_path, CharacterCardContent)
    if content.id != manifest.character_id:
        raise InvalidParams(
            f"character id mismatch between manifest ({manifest.character_id}) and content ({content.id})"
        )
    cover = _require_entry(entries, manifest.cover_path)
    return CharacterArchive(content, manifest.cover_path, manifest.cover_mime_type, cover)


def _require_entry(entries: dict[str, bytes], name: str) -> bytes:
    if name not in entries:
        raise InvalidParams(f"missing character archive entry: {name}")
    return entries[name]


def _structure_entry(entries: dict[str, bytes], name: str, record_type: type[T]) -> T:
    raw = _require_entry(entries, name)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidParams(f"{ERROR_PREFIX}{name} is not valid JSON ({exc})") from exc
    try:
        return CODEC.structure(value, record_type, path=name)
    except InvalidParams as exc:
        raise InvalidParams(f"{ERROR_PREFIX}{exc.message}") from exc


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


def _refuse_unexpected_entries(entries: dict[str, bytes], expected: set[str]) -> None:
    unexpected = [name for name in entries if name not in expected]
    if unexpected:
        raise InvalidParams(f"{ERROR_PREFIX}unexpected entry {describe_entry_name(unexpected[0])}")


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
    entries = [(MANIFEST_ENTRY, _pretty_json(manifest)), (CONTENT_ENTRY, _pretty_json(content)), (cover_path, cover)]
    date_time = _zip_date_time(modified_at_ms)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in entries:
            archive.writestr(_entry_info(name, date_time), payload)
    return buffer.getvalue()


def _pretty_json(record: object) -> bytes:
    return json.dumps(CODEC.unstructure(record), indent=2, ensure_ascii=False).encode("utf-8")


def _entry_info(name: str, date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = UNIX_CREATOR
    info.external_attr = (stat.S_IFREG | ENTRY_MODE) << 16
    return info


def _zip_date_time(epoch_ms: int) -> tuple[int, int, int, int, int, int]:
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.timezone.utc)
    moment = max(moment, EARLIEST_ZIP_TIME)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
