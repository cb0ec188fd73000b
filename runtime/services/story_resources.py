"""Story resources: `story_resources.*` (PROTOCOL §6.12)."""

from __future__ import annotations

import attrs

from runtime.errors import Conflict, InvalidParams, NotFound
from runtime.model.story_resources import (
    StoryResources,
    StoryResourcesCreateParams,
    StoryResourcesDeleted,
    StoryResourcesIdParams,
    StoryResourcesListed,
    StoryResourcesRecord,
    StoryResourcesUpdateParams,
)
from runtime.services._services import Services
from runtime.services._validation import given_changes
from runtime.store import Cursor, references
from runtime.store.characters import CHARACTERS
from runtime.store.lorebooks import LOREBOOKS
from runtime.store.schemas import SCHEMAS
from runtime.store.story_resources import RESOURCE_ID_PREFIX, STORY_RESOURCES


def resources_payload(record: StoryResourcesRecord) -> StoryResources:
    return StoryResources(
        resource_id=record.resource_id,
        display_name=record.effective_display_name(),
        story_concept=record.story_concept,
        character_ids=record.character_ids,
        player_schema_id_seed=record.player_schema_id_seed,
        world_schema_id_seed=record.world_schema_id_seed,
        lorebook_ids=record.lorebook_ids,
        planned_story=record.planned_story,
    )


def _require_characters(character_ids: list[str]) -> None:
    if not character_ids:
        raise InvalidParams("character_ids cannot be empty")


def _require_references(cursor: Cursor, record: StoryResourcesRecord) -> None:
    """Every character, seed schema and lorebook must exist (40404 for the first missing one)."""
    for character_id in record.character_ids:
        CHARACTERS.require(cursor, character_id)
    for schema_id in (record.player_schema_id_seed, record.world_schema_id_seed):
        if schema_id is not None:
            SCHEMAS.require(cursor, schema_id)
    for lorebook_id in record.lorebook_ids:
        LOREBOOKS.require(cursor, lorebook_id)


def _plan_or_none(planned_story: str | None) -> str | None:
    return planned_story if planned_story is not None and planned_story.strip() else None


async def create_story_resources(services: Services, params: StoryResourcesCreateParams) -> StoryResources:
    """Store the inputs of story generation: concept, characters, lorebooks, schema seeds."""
    _require_characters(params.character_ids)

    def insert(cursor: Cursor) -> StoryResourcesRecord:
        resource_id = STORY_RESOURCES.new_id(cursor, RESOURCE_ID_PREFIX)
        record = StoryResourcesRecord(
            resource_id=resource_id,
            story_concept=params.story_concept,
            character_ids=list(params.character_ids),
            player_schema_id_seed=params.player_schema_id_seed,
            world_schema_id_seed=params.world_schema_id_seed,
            lorebook_ids=list(params.lorebook_ids),
            planned_story=_plan_or_none(params.planned_story),
            display_name=params.display_name,
        )
        _require_references(cursor, record)
        STORY_RESOURCES.insert(cursor, resource_id, record)
        return record

    return resources_payload(await services.store.write(insert))


async def get_story_resources(services: Services, params: StoryResourcesIdParams) -> StoryResources:
    """One story-resources bundle."""
    record = await services.store.read(lambda cursor: STORY_RESOURCES.require(cursor, params.resource_id))
    return resources_payload(record)


async def list_story_resources(services: Services) -> StoryResourcesListed:
    """Every story-resources bundle, sorted by id."""
    records = await services.store.read(STORY_RESOURCES.list)
    return StoryResourcesListed([resources_payload(record) for record in records])


async def update_story_resources(services: Services, params: StoryResourcesUpdateParams) -> StoryResources:
    """Change a story-resources bundle.

    Omitted fields keep their stored value; seeds cannot be cleared (§6.1).
    """
    if params.character_ids is not None:
        _require_characters(params.character_ids)
    changes = given_changes(
        params,
        (
            "story_concept",
            "character_ids",
            "display_name",
            "player_schema_id_seed",
            "world_schema_id_seed",
            "lorebook_ids",
        ),
    )
    if params.planned_story is not None:
        changes["planned_story"] = _plan_or_none(params.planned_story)

    def update(cursor: Cursor) -> StoryResourcesRecord:
        record = attrs.evolve(STORY_RESOURCES.require(cursor, params.resource_id), **changes)
        _require_references(cursor, record)
        STORY_RESOURCES.update(cursor, params.resource_id, record)
        return record

    return resources_payload(await services.store.write(update))


async def delete_story_resources(services: Services, params: StoryResourcesIdParams) -> StoryResourcesDeleted:
    """Delete a story-resources bundle (refused while a draft uses it)."""
    resource_id = params.resource_id

    def delete(cursor: Cursor) -> None:
        if references.story_resources_in_stories(cursor, resource_id):
            raise Conflict(f"story resources '{resource_id}' already has generated stories")
        if references.story_resources_in_drafts(cursor, resource_id):
            raise Conflict(f"story resources '{resource_id}' is still referenced by a draft")
        if not STORY_RESOURCES.delete(cursor, resource_id):
            raise NotFound.record("story resources", resource_id)

    await services.store.write(delete)
    return StoryResourcesDeleted(resource_id)
