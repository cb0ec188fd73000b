"""What a data-package export holds (PROTOCOL §6.19 export steps 1–3): the selection, its
dependency closure, and every record and cover read in one snapshot of the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import attrs

from runtime.archives import DataPackage, PackagedCharacter, PackagedCover
from runtime.errors import NotFound
from runtime.model.characters import CharacterRecord
from runtime.model.packages import ExportPrepareParams
from runtime.model.story_resources import StoryResourcesRecord
from runtime.store import Cursor, DocumentTable
from runtime.store.characters import CHARACTERS, Blob
from runtime.store.lorebooks import LOREBOOKS
from runtime.store.packages import read_blobs, records_by_id, snapshot
from runtime.store.player_profiles import PLAYER_PROFILES
from runtime.store.presets import PRESETS
from runtime.store.schemas import SCHEMAS
from runtime.store.stories import STORIES
from runtime.store.story_resources import STORY_RESOURCES

R = TypeVar("R")


def _cleaned(ids: Iterable[str]) -> tuple[str, ...]:
    """Trimmed, blanks dropped, duplicates removed."""
    return tuple(dict.fromkeys(trimmed for record_id in ids if (trimmed := record_id.strip())))


@attrs.frozen(kw_only=True)
class ExportSelection:
    """The ids a client asked for, cleaned (§6.19 export step 1)."""

    preset_ids: tuple[str, ...] = ()
    schema_ids: tuple[str, ...] = ()
    lorebook_ids: tuple[str, ...] = ()
    player_profile_ids: tuple[str, ...] = ()
    character_ids: tuple[str, ...] = ()
    story_resource_ids: tuple[str, ...] = ()
    story_ids: tuple[str, ...] = ()
    include_dependencies: bool = True

    @classmethod
    def from_params(cls, params: ExportPrepareParams) -> ExportSelection:
        return cls(
            preset_ids=_cleaned(params.preset_ids),
            schema_ids=_cleaned(params.schema_ids),
            lorebook_ids=_cleaned(params.lorebook_ids),
            player_profile_ids=_cleaned(params.player_profile_ids),
            character_ids=_cleaned(params.character_ids),
            story_resource_ids=_cleaned(params.story_resource_ids),
            story_ids=_cleaned(params.story_ids),
            include_dependencies=params.include_dependencies,
        )

    def is_empty(self) -> bool:
        return not (
            self.preset_ids
            or self.schema_ids
            or self.lorebook_ids
            or self.player_profile_ids
            or self.character_ids
            or self.story_resource_ids
            or self.story_ids
        )


def read_export_package(cursor: Cursor, selection: ExportSelection, created_at_ms: int) -> DataPackage:
    """Every selected record plus, with `include_dependencies`, what it needs (§6.19 step 2),
    all read in one snapshot, so a concurrent write cannot tear the package.

    Raises NotFound for the first missing record: stories, story resources, characters,
    schemas, lorebooks, presets, player profiles, each kind in id order.
    """
    deps = selection.include_dependencies
    with snapshot(cursor):
        stories = _require_all(cursor, STORIES, selection.story_ids)
        resource_ids = [*selection.story_resource_ids, *(s.resource_id for s in stories if deps)]
        resources = _require_all(cursor, STORY_RESOURCES, resource_ids)
        character_ids = [*selection.character_ids, *(c for r in resources if deps for c in r.character_ids)]
        characters = _require_all(cursor, CHARACTERS, character_ids)
        schema_ids = [*selection.schema_ids]
        lorebook_ids = [*selection.lorebook_ids]
        if deps:
            schema_ids += [schema_id for s in stories for schema_id in (s.world_schema_id, s.player_schema_id)]
            schema_ids += [seed for r in resources for seed in _seeds(r)]
            schema_ids += [c.content.schema_id for c in characters]
            lorebook_ids += [lorebook_id for r in resources for lorebook_id in r.lorebook_ids]
        schemas = _require_all(cursor, SCHEMAS, schema_ids)
        lorebooks = _require_all(cursor, LOREBOOKS, lorebook_ids)
        presets = _require_all(cursor, PRESETS, selection.preset_ids)
        player_profiles = _require_all(cursor, PLAYER_PROFILES, selection.player_profile_ids)
        covers = read_blobs(cursor, [c.cover_blob_id for c in characters if c.cover_blob_id is not None])
    return DataPackage(
        created_at_ms=created_at_ms,
        presets=presets,
        schemas=schemas,
        lorebooks=lorebooks,
        player_profiles=player_profiles,
        characters=[_packaged_character(record, covers) for record in characters],
        story_resources=resources,
        stories=stories,
    )


def _seeds(resources: StoryResourcesRecord) -> list[str]:
    return [seed for seed in (resources.world_schema_id_seed, resources.player_schema_id_seed) if seed is not None]


def _require_all(cursor: Cursor, table: DocumentTable[R], ids: Iterable[str]) -> list[R]:
    """The records of `ids` in id order; NotFound for the first one (in id order) that is missing."""
    wanted = sorted(set(ids))
    found = records_by_id(cursor, table, wanted)
    missing = next((record_id for record_id in wanted if record_id not in found), None)
    if missing is not None:
        raise NotFound.record(table.thing, missing)
    return [found[record_id] for record_id in wanted]


def _packaged_character(record: CharacterRecord, covers: dict[str, Blob]) -> PackagedCharacter:
    blob = None if record.cover_blob_id is None else covers.get(record.cover_blob_id)
    mime_type = record.cover_mime_type
    if blob is None or mime_type is None or not blob.data:
        return PackagedCharacter(record.content)
    file_name = record.cover_file_name or blob.file_name or mime_type.default_file_name
    return PackagedCharacter(record.content, PackagedCover(file_name, mime_type, blob.data))
