"""Writing a parsed data package into the store (PROTOCOL §6.19 import steps 4–6).

`write_package` runs inside ONE write transaction: it refuses the first id that already
exists (40909), checks every record and every reference (-32602 `invalid data package: …`),
and only then inserts everything. Any raise rolls the whole transaction back, so an import
is all or nothing. Ids are never remapped and nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet

import attrs

from runtime.archives import DataPackage, PackagedCharacter, invalid_package
from runtime.common_variables import validate_common_variables
from runtime.errors import Conflict, InvalidParams
from runtime.graph import validate_story_graph
from runtime.lore import normal_lorebook
from runtime.model.characters import CharacterRecord
from runtime.model.lorebooks import Lorebook
from runtime.model.presets import PresetRecord
from runtime.model.stories import StoryRecord
from runtime.model.story_resources import StoryResourcesRecord
from runtime.schema_rules import state_fields_error
from runtime.services.characters import normalize_content
from runtime.store import Cursor, DocumentTable, allocate_ids
from runtime.store.characters import BLOB_ID_PREFIX, CHARACTERS, Blob
from runtime.store.lorebooks import LOREBOOKS
from runtime.store.packages import (
    existing_ids,
    first_existing_id,
    insert_blobs,
    insert_documents,
    records_by_id,
    stored_blob_ids,
)
from runtime.store.player_profiles import PLAYER_PROFILES
from runtime.store.presets import PRESETS, compact_preset, expand_preset
from runtime.store.schemas import SCHEMAS
from runtime.store.stories import STORIES
from runtime.store.story_resources import STORY_RESOURCES

CONFLICT_ORDER: tuple[tuple[str, DocumentTable], ...] = (
    ("presets", PRESETS),
    ("schemas", SCHEMAS),
    ("lorebooks", LOREBOOKS),
    ("player_profiles", PLAYER_PROFILES),
    ("characters", CHARACTERS),
    ("story_resources", STORY_RESOURCES),
    ("stories", STORIES),
)
"""Step 4: the first id found in this order, each kind in id order, is the conflict reported."""


def write_package(cursor: Cursor, package: DataPackage, now_ms: int) -> None:
    """Check and insert every record of `package` on `cursor`, inside the caller's transaction.

    Raises Conflict `{thing} '{id}' already exists` or InvalidParams; writes nothing then,
    provided the caller rolls back on raise (`Store.write` does).
    """
    _refuse_existing_ids(cursor, package)
    presets = [_recompacted(record) for record in package.presets]
    _check_records(package)
    known = _KnownRecords.load(cursor, package)
    _check_references(known, package)
    _check_stories(known, package)
    _insert_package(cursor, package, presets, now_ms)


def _refuse_existing_ids(cursor: Cursor, package: DataPackage) -> None:
    for kind, table in CONFLICT_ORDER:
        existing = first_existing_id(cursor, table, package.ids(kind))
        if existing is not None:
            raise Conflict.exists(table.thing, existing)


# -- the records themselves ---------------------------------------------------------------


def _recompacted(record: PresetRecord) -> PresetRecord:
    """Normalized (which validates it) and compacted again, as a preset is stored."""
    try:
        return compact_preset(expand_preset(record))
    except InvalidParams as exc:
        raise invalid_package(f"preset '{record.preset_id}': {exc.message}") from exc


def _check_records(package: DataPackage) -> None:
    for schema in package.schemas:
        error = state_fields_error(schema.fields)
        if error is not None:
            raise invalid_package(f"schema '{schema.schema_id}': {error}")
    for lorebook in package.lorebooks:
        _check_lorebook_entries(lorebook)


def _check_lorebook_entries(lorebook: Lorebook) -> None:
    seen: set[str] = set()
    for entry in lorebook.entries:
        if not entry.entry_id.strip():
            raise invalid_package(f"lorebook '{lorebook.lorebook_id}' has an entry with a blank entry_id")
        if entry.entry_id in seen:
            raise invalid_package(f"lorebook '{lorebook.lorebook_id}' contains entry '{entry.entry_id}' more than once")
        seen.add(entry.entry_id)
    try:
        normal_lorebook(lorebook, "lorebook")  # the settings' ranges; the record is stored as packaged
    except InvalidParams as exc:
        raise invalid_package(f"lorebook '{lorebook.lorebook_id}': {exc.message}") from exc


# -- references: to the package or to what is stored already ----------------------------


@attrs.frozen
class _KnownRecords:
    """What the package's references may point to: its own records, then the stored ones."""

    schema_fields: Mapping[str, AbstractSet[str]]
    character_schemas: dict[str, str]
    resources: dict[str, StoryResourcesRecord]
    lorebook_ids: AbstractSet[str]

    @classmethod
    def load(cls, cursor: Cursor, package: DataPackage) -> _KnownRecords:
        resources = {r.resource_id: r for r in package.story_resources}
        wanted_resources = _absent(resources, (story.resource_id for story in package.stories))
        resources |= records_by_id(cursor, STORY_RESOURCES, wanted_resources)
        character_schemas = {c.character_id: c.content.schema_id for c in package.characters}
        wanted_characters = _absent(character_schemas, (c for r in resources.values() for c in r.character_ids))
        for character_id, record in records_by_id(cursor, CHARACTERS, wanted_characters).items():
            character_schemas[character_id] = record.content.schema_id
        schema_fields = {s.schema_id: frozenset(s.fields) for s in package.schemas}
        wanted_schemas = _absent(schema_fields, [*character_schemas.values(), *_schema_references(package)])
        for schema_id, schema in records_by_id(cursor, SCHEMAS, wanted_schemas).items():
            schema_fields[schema_id] = frozenset(schema.fields)
        lorebook_ids = set(package.ids("lorebooks"))
        wanted_lorebooks = _absent(lorebook_ids, (b for r in package.story_resources for b in r.lorebook_ids))
        lorebook_ids |= existing_ids(cursor, LOREBOOKS, wanted_lorebooks)
        return cls(schema_fields, character_schemas, resources, lorebook_ids)

    def character_fields(self, character_id: str) -> AbstractSet[str] | None:
        schema_id = self.character_schemas.get(character_id)
        return None if schema_id is None else self.schema_fields.get(schema_id)


def _absent(known: Collection[str], ids: Iterable[str]) -> set[str]:
    return {record_id for record_id in ids if record_id not in known}


def _schema_references(package: DataPackage) -> list[str]:
    seeds = [seed for r in package.story_resources for seed in (r.world_schema_id_seed, r.player_schema_id_seed)]
    story_schemas = [schema_id for s in package.stories for schema_id in (s.world_schema_id, s.player_schema_id)]
    return [*(seed for seed in seeds if seed is not None), *story_schemas]


def _check_references(known: _KnownRecords, package: DataPackage) -> None:
    """Step 5, in the spec's order: characters, story resources, stories, then non-empty casts."""
    for character in package.characters:
        if character.content.schema_id not in known.schema_fields:
            raise invalid_package(
                f"character '{character.character_id}' references missing schema '{character.content.schema_id}'"
            )
    for resources in package.story_resources:
        _check_resources_references(known, resources)
    for story in package.stories:
        if story.resource_id not in known.resources:
            raise invalid_package(f"story '{story.story_id}' references missing story resources '{story.resource_id}'")
        for role, schema_id in (("world", story.world_schema_id), ("player", story.player_schema_id)):
            if schema_id not in known.schema_fields:
                raise invalid_package(f"story '{story.story_id}' references missing {role} schema '{schema_id}'")
    for resources in package.story_resources:
        if not resources.character_ids:
            raise invalid_package(f"story resources '{resources.resource_id}' character_ids cannot be empty")


def _check_resources_references(known: _KnownRecords, resources: StoryResourcesRecord) -> None:
    resource_id = resources.resource_id
    for character_id in resources.character_ids:
        if character_id not in known.character_schemas:
            raise invalid_package(f"story resources '{resource_id}' references missing character '{character_id}'")
    for lorebook_id in resources.lorebook_ids:
        if lorebook_id not in known.lorebook_ids:
            raise invalid_package(f"story resources '{resource_id}' references missing lorebook '{lorebook_id}'")
    for role, seed in (("player", resources.player_schema_id_seed), ("world", resources.world_schema_id_seed)):
        if seed is not None and seed not in known.schema_fields:
            raise invalid_package(f"story resources '{resource_id}' references missing {role} schema seed '{seed}'")


def _check_stories(known: _KnownRecords, package: DataPackage) -> None:
    """Story graphs with the story rules of §7.2 (R11 included), then common variables (§7.7)."""
    for story in package.stories:
        errors = validate_story_graph(story.graph, known.resources[story.resource_id].character_ids)
        if errors:
            raise invalid_package(f"story graph of story '{story.story_id}': {errors[0]}")
    for story in package.stories:
        _check_common_variables(known, story)


def _check_common_variables(known: _KnownRecords, story: StoryRecord) -> None:
    character_ids = known.resources[story.resource_id].character_ids
    try:
        validate_common_variables(
            story.common_variables,
            world_fields=known.schema_fields[story.world_schema_id],
            player_fields=known.schema_fields[story.player_schema_id],
            character_ids=character_ids,
            character_fields={character_id: known.character_fields(character_id) for character_id in character_ids},
        )
    except InvalidParams as exc:
        raise invalid_package(f"story '{story.story_id}': {exc.message}") from exc


# -- writing (step 6) --------------------------------------------------------------------


def _insert_package(cursor: Cursor, package: DataPackage, presets: list[PresetRecord], now_ms: int) -> None:
    """Schemas, presets, lorebooks, player profiles, characters with covers, story resources, stories."""
    insert_documents(cursor, SCHEMAS, [(s.schema_id, s) for s in package.schemas])
    insert_documents(cursor, PRESETS, [(p.preset_id, p) for p in presets])
    insert_documents(cursor, LOREBOOKS, [(b.lorebook_id, b) for b in package.lorebooks])
    insert_documents(cursor, PLAYER_PROFILES, [(p.player_profile_id, p) for p in package.player_profiles])
    _insert_characters(cursor, package.characters, now_ms)
    insert_documents(cursor, STORY_RESOURCES, [(r.resource_id, r) for r in package.story_resources])
    insert_documents(cursor, STORIES, [(s.story_id, s) for s in package.stories])


def _insert_characters(cursor: Cursor, characters: list[PackagedCharacter], now_ms: int) -> None:
    """Each cover becomes a fresh `blob-N` (R1) with the packaged file name and type."""
    with_cover = [character for character in characters if character.cover is not None]
    taken = stored_blob_ids(cursor) if with_cover else set()
    blob_ids = iter(allocate_ids(cursor, BLOB_ID_PREFIX, len(with_cover), taken.__contains__))
    blobs: list[Blob] = []
    records: list[tuple[str, CharacterRecord]] = []
    for character in characters:
        record = CharacterRecord(normalize_content(character.content, character.character_id))
        cover = character.cover
        if cover is not None:
            blob = Blob(next(blob_ids), cover.file_name, cover.content_type.value, cover.data, now_ms)
            blobs.append(blob)
            record = attrs.evolve(
                record, cover_blob_id=blob.blob_id, cover_file_name=cover.file_name, cover_mime_type=cover.content_type
            )
        records.append((character.character_id, record))
    insert_blobs(cursor, blobs)
    insert_documents(cursor, CHARACTERS, records)
