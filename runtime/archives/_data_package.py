"""The data-package archive (PROTOCOL §16.2): writing an export, reading an upload.

A package is a ZIP of deflated entries: `manifest.json`, one pretty-printed JSON file per
record (`presets/{id}.json`, `schemas/…`, `lorebooks/…`, `player_profiles/…`,
`story_resources/…`, `stories/…`), and per character `characters/{id}/content.json` plus an
optional `characters/{id}/cover.bin`.

Reading goes through the safe ZIP reader, then checks the manifest against the files: every
listed record must be there and hold the listed id, and no other entry may be. It does not
look at references between records or at the store; that is the import's job. Every problem
is an InvalidParams whose message is `invalid data package: …` or one of the codec messages
of PROTOCOL §3.8 (`missing data package archive entry: …`, `unsupported data package …`).

Both functions block (ZIP, deflate, JSON): call them through `trio.to_thread.run_sync`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs

from runtime.archives._safe_zip import UnsafeArchive, ZipLimits, read_zip_entries
from runtime.archives._zip_format import ArchiveEntries, pretty_json, write_zip
from runtime.errors import InvalidParams
from runtime.model.characters import CharacterCardContent, CoverMimeType
from runtime.model.lorebooks import Lorebook
from runtime.model.packages import (
    PACKAGE_KINDS,
    PackageCharacterEntry,
    PackageContents,
    PackageIds,
    PackageManifest,
)
from runtime.model.player_profiles import PlayerProfile
from runtime.model.presets import PresetRecord
from runtime.model.schemas import Schema
from runtime.model.stories import StoryRecord
from runtime.model.story_resources import StoryResourcesRecord

PKG_MIME = "application/x-sillystage-data-package+zip"
PKG_FORMAT = "sillystage_data_package"
PKG_VERSION = 1
MANIFEST_ENTRY = "manifest.json"
CHARACTERS_DIRECTORY = "characters"
ERROR_PREFIX = "invalid data package: "
MISSING_ENTRY = "missing data package archive entry: "


def data_package_file_name(package_id: str) -> str:
    """`PKG_FILE_NAME(id)`: the download name of an export, the default name of an upload."""
    return f"sillystage-data-package-{package_id}.zip"


def invalid_package(detail: str) -> InvalidParams:
    return InvalidParams(f"{ERROR_PREFIX}{detail}")


# -- what a package holds ----------------------------------------------------------------


@attrs.frozen
class PackagedCover:
    """A character's cover as packaged: the original file name and the image type."""

    file_name: str
    content_type: CoverMimeType
    data: bytes = attrs.field(repr=False)


@attrs.frozen
class PackagedCharacter:
    content: CharacterCardContent
    cover: PackagedCover | None = None

    @property
    def character_id(self) -> str:
        return self.content.id


@attrs.frozen(kw_only=True)
class DataPackage:
    """Every record of a package, each kind in id order. Records are stored shapes, not payloads."""

    created_at_ms: int
    presets: list[PresetRecord] = attrs.field(factory=list)
    schemas: list[Schema] = attrs.field(factory=list)
    lorebooks: list[Lorebook] = attrs.field(factory=list)
    player_profiles: list[PlayerProfile] = attrs.field(factory=list)
    characters: list[PackagedCharacter] = attrs.field(factory=list)
    story_resources: list[StoryResourcesRecord] = attrs.field(factory=list)
    stories: list[StoryRecord] = attrs.field(factory=list)

    def ids(self, kind: str) -> list[str]:
        """The ids of one kind (a field name of PackageContents), in package order."""
        return [_RECORD_IDS[kind](record) for record in getattr(self, kind)]

    def contents(self) -> PackageContents:
        return PackageContents(**{kind: PackageIds.of(self.ids(kind)) for kind in PACKAGE_KINDS})

    def is_empty(self) -> bool:
        return not any(getattr(self, kind) for kind in PACKAGE_KINDS)


_RECORD_IDS: dict[str, Callable[[Any], str]] = {
    "presets": lambda record: record.preset_id,
    "schemas": lambda record: record.schema_id,
    "lorebooks": lambda record: record.lorebook_id,
    "player_profiles": lambda record: record.player_profile_id,
    "characters": lambda record: record.character_id,
    "story_resources": lambda record: record.resource_id,
    "stories": lambda record: record.story_id,
}


@attrs.frozen
class _RecordSection:
    """A kind stored as one JSON file per record: `{kind}/{id}.json`."""

    kind: str
    record_type: type
    id_field: str

    def entry_name(self, record_id: str) -> str:
        return f"{self.kind}/{record_id}.json"


_RECORD_SECTIONS: tuple[_RecordSection, ...] = (
    _RecordSection("presets", PresetRecord, "preset_id"),
    _RecordSection("schemas", Schema, "schema_id"),
    _RecordSection("lorebooks", Lorebook, "lorebook_id"),
    _RecordSection("player_profiles", PlayerProfile, "player_profile_id"),
    _RecordSection("story_resources", StoryResourcesRecord, "resource_id"),
    _RecordSection("stories", StoryRecord, "story_id"),
)
_SECTIONS_BY_KIND = {section.kind: section for section in _RECORD_SECTIONS}


def character_content_path(character_id: str) -> str:
    return f"{CHARACTERS_DIRECTORY}/{character_id}/content.json"


def character_cover_path(character_id: str) -> str:
    return f"{CHARACTERS_DIRECTORY}/{character_id}/cover.bin"


# -- writing -----------------------------------------------------------------------------


def write_data_package(package: DataPackage) -> bytes:
    """The ZIP of `package`: the manifest first, then the records kind by kind in id order."""
    return write_zip(_entries_to_write(package), package.created_at_ms)


def _entries_to_write(package: DataPackage) -> list[tuple[str, bytes]]:
    manifest = PackageManifest(
        format=PKG_FORMAT,
        version=PKG_VERSION,
        created_at_ms=package.created_at_ms,
        contents=package.contents(),
        characters=[_character_entry(character) for character in _by_id(package, "characters")],
    )
    entries = [(MANIFEST_ENTRY, pretty_json(manifest))]
    for kind in PACKAGE_KINDS:
        for record in _by_id(package, kind):
            entries += _record_entries(kind, record)
    return entries


def _record_entries(kind: str, record: Any) -> list[tuple[str, bytes]]:
    if kind != "characters":
        return [(_SECTIONS_BY_KIND[kind].entry_name(_RECORD_IDS[kind](record)), pretty_json(record))]
    character: PackagedCharacter = record
    entries = [(character_content_path(character.character_id), pretty_json(character.content))]
    if character.cover is not None:
        entries.append((character_cover_path(character.character_id), character.cover.data))
    return entries


def _by_id(package: DataPackage, kind: str) -> list[Any]:
    return sorted(getattr(package, kind), key=_RECORD_IDS[kind])


def _character_entry(character: PackagedCharacter) -> PackageCharacterEntry:
    character_id = character.character_id
    cover = character.cover
    if cover is None:
        return PackageCharacterEntry(character_id, character_content_path(character_id))
    return PackageCharacterEntry(
        character_id,
        character_content_path(character_id),
        cover_path=character_cover_path(character_id),
        cover_file_name=cover.file_name,
        cover_content_type=cover.content_type.value,
    )


# -- reading -----------------------------------------------------------------------------


def read_data_package(data: bytes, limits: ZipLimits = ZipLimits()) -> DataPackage:
    """Parse and check a package against its manifest. Raises InvalidParams; nothing else for bad input."""
    try:
        entries = ArchiveEntries(read_zip_entries(data, limits), MISSING_ENTRY, ERROR_PREFIX)
    except UnsafeArchive as exc:
        raise invalid_package(str(exc)) from exc
    manifest = entries.structure(MANIFEST_ENTRY, PackageManifest)
    _check_format(manifest)
    listed = {kind: _checked_ids(kind, getattr(manifest.contents, kind)) for kind in PACKAGE_KINDS}
    characters = _checked_character_entries(manifest.characters, listed["characters"])
    expected = _expected_entry_names(listed, characters)
    for name in expected:
        entries.require(name)
    entries.refuse_unexpected(set(expected), "entry {entry} is not listed in the manifest")
    records = {
        section.kind: [_read_record(entries, section, record_id) for record_id in listed[section.kind]]
        for section in _RECORD_SECTIONS
    }
    packaged = [_read_character(entries, entry) for entry in characters]
    return DataPackage(created_at_ms=manifest.created_at_ms, characters=packaged, **records)


def _check_format(manifest: PackageManifest) -> None:
    if manifest.format != PKG_FORMAT:
        raise InvalidParams(f"unsupported data package format: {manifest.format}")
    if manifest.version != PKG_VERSION:
        raise InvalidParams(f"unsupported data package version: {manifest.version}")


def _checked_ids(kind: str, listed: PackageIds) -> list[str]:
    """The manifest's ids of one kind, in id order, after the count and uniqueness checks."""
    if listed.count != len(listed.ids):
        raise invalid_package(
            f"contents.{kind}.count is {listed.count}, but contents.{kind}.ids holds {len(listed.ids)}"
        )
    seen: set[str] = set()
    for record_id in listed.ids:
        if not record_id.strip() or record_id != record_id.strip():
            raise invalid_package(f"contents.{kind}.ids contains the blank or untrimmed id {json.dumps(record_id)}")
        if record_id in seen:
            raise invalid_package(f"contents.{kind}.ids lists '{record_id}' more than once")
        seen.add(record_id)
    return sorted(listed.ids)


def _checked_character_entries(
    items: list[PackageCharacterEntry], character_ids: list[str]
) -> list[PackageCharacterEntry]:
    """The manifest's `characters` list in id order, once it matches `contents.characters`."""
    by_id: dict[str, PackageCharacterEntry] = {}
    for item in items:
        if item.character_id in by_id:
            raise invalid_package(f"manifest characters list '{item.character_id}' more than once")
        by_id[item.character_id] = item
    unlisted = [character_id for character_id in character_ids if character_id not in by_id]
    if unlisted:
        raise invalid_package(f"manifest characters have no entry for '{unlisted[0]}' of contents.characters")
    extra = sorted(set(by_id) - set(character_ids))
    if extra:
        raise invalid_package(f"manifest characters list '{extra[0]}', which contents.characters does not")
    for item in by_id.values():
        _check_character_entry(item)
    return [by_id[character_id] for character_id in character_ids]


def _check_character_entry(item: PackageCharacterEntry) -> None:
    character_id = item.character_id
    if item.content_path != character_content_path(character_id):
        raise invalid_package(
            f"character '{character_id}' content_path must be '{character_content_path(character_id)}',"
            f" got '{item.content_path}'"
        )
    cover_fields = (item.cover_path, item.cover_file_name, item.cover_content_type)
    if all(value is None for value in cover_fields):
        return
    if any(value is None for value in cover_fields):
        raise invalid_package(
            f"character '{character_id}' must give cover_path, cover_file_name and cover_content_type together"
        )
    if item.cover_path != character_cover_path(character_id):
        raise invalid_package(
            f"character '{character_id}' cover_path must be '{character_cover_path(character_id)}',"
            f" got '{item.cover_path}'"
        )
    if not (item.cover_file_name or "").strip():
        raise invalid_package(f"character '{character_id}' cover_file_name must not be blank")
    _cover_type(item)


def _cover_type(item: PackageCharacterEntry) -> CoverMimeType:
    """The cover's image type, parameters removed as for uploads (R10)."""
    sent = (item.cover_content_type or "").strip()
    if not sent:
        raise invalid_package(f"character '{item.character_id}' cover_content_type must not be blank")
    cover_type = CoverMimeType.from_value(sent.split(";", 1)[0].strip())
    if cover_type is None:
        raise invalid_package(f"character '{item.character_id}' has unsupported cover_content_type '{sent}'")
    return cover_type


def _expected_entry_names(listed: dict[str, list[str]], characters: list[PackageCharacterEntry]) -> list[str]:
    names = [MANIFEST_ENTRY]
    for section in _RECORD_SECTIONS:
        names += [section.entry_name(record_id) for record_id in listed[section.kind]]
    for item in characters:
        names.append(item.content_path)
        if item.cover_path is not None:
            names.append(item.cover_path)
    return names


def _read_record(entries: ArchiveEntries, section: _RecordSection, record_id: str) -> Any:
    name = section.entry_name(record_id)
    record: Any = entries.structure(name, section.record_type)
    found = getattr(record, section.id_field)
    if found != record_id:
        raise invalid_package(f"{name} holds {section.id_field} '{found}', expected '{record_id}'")
    return record


def _read_character(entries: ArchiveEntries, item: PackageCharacterEntry) -> PackagedCharacter:
    content = entries.structure(item.content_path, CharacterCardContent)
    if content.id != item.character_id:
        raise invalid_package(f"{item.content_path} holds id '{content.id}', expected '{item.character_id}'")
    if item.cover_path is None or item.cover_file_name is None:
        return PackagedCharacter(content)
    data = entries.require(item.cover_path)
    if not data:
        raise invalid_package(f"cover of character '{item.character_id}' is empty")
    return PackagedCharacter(content, PackagedCover(item.cover_file_name, _cover_type(item), data))
