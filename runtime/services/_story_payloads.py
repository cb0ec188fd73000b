"""The payloads of stories and drafts, with their `graph_warnings` (PROTOCOL §6.13, §6.14, R11).

Warnings are computed every time a payload is produced, against the bound schemas: a story's
world and player schemas, a draft's generated ones, and each resource character's own schema.
`read_*` functions gather those on a cursor; the builders are pure.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from runtime.graph import graph_warnings
from runtime.model.graph import StoryGraph
from runtime.model.stories import (
    DraftSummary,
    Story,
    StoryDraft,
    StoryDraftRecord,
    StoryRecord,
    StorySummary,
)
from runtime.services._generation_inputs import character_field_keys, schema_fields
from runtime.store import Cursor
from runtime.store.story_resources import STORY_RESOURCES


@attrs.frozen
class BoundFields:
    """The field keys a graph's conditions are checked against (None: no such schema)."""

    world: frozenset[str] | None
    player: frozenset[str] | None
    characters: Mapping[str, frozenset[str] | None]

    def warnings(self, graph: StoryGraph) -> list[str]:
        return graph_warnings(graph, self.world or frozenset(), self.player or frozenset(), self.characters)


def read_bound_fields(cursor: Cursor, world_schema_id: str, player_schema_id: str, resource_id: str) -> BoundFields:
    """The keys of the two schemas and of the resource's characters' schemas, as stored now."""
    resource = STORY_RESOURCES.get(cursor, resource_id)
    character_ids = [] if resource is None else resource.character_ids
    return BoundFields(
        world=_keys(schema_fields(cursor, world_schema_id)),
        player=_keys(schema_fields(cursor, player_schema_id)),
        characters=character_field_keys(cursor, character_ids),
    )


def _keys(fields: Mapping[str, object] | None) -> frozenset[str] | None:
    return None if fields is None else frozenset(fields)


# -- stories ----------------------------------------------------------------------------------


def story_payload(record: StoryRecord, bound: BoundFields) -> Story:
    return Story(
        story_id=record.story_id,
        resource_id=record.resource_id,
        display_name=record.display_name,
        graph=record.graph,
        world_schema_id=record.world_schema_id,
        player_schema_id=record.player_schema_id,
        introduction=record.introduction,
        common_variables=record.common_variables,
        graph_warnings=bound.warnings(record.graph),
    )


def read_story_payload(cursor: Cursor, record: StoryRecord) -> Story:
    bound = read_bound_fields(cursor, record.world_schema_id, record.player_schema_id, record.resource_id)
    return story_payload(record, bound)


def story_summary(record: StoryRecord) -> StorySummary:
    return StorySummary(
        story_id=record.story_id,
        resource_id=record.resource_id,
        display_name=record.display_name,
        world_schema_id=record.world_schema_id,
        player_schema_id=record.player_schema_id,
        introduction=record.introduction,
        common_variables=record.common_variables,
    )


# -- drafts -----------------------------------------------------------------------------------


def draft_payload(record: StoryDraftRecord, bound: BoundFields) -> StoryDraft:
    return StoryDraft(
        draft_id=record.draft_id,
        display_name=record.display_name,
        resource_id=record.resource_id,
        api_group_id=record.api_group_id,
        preset_id=record.preset_id,
        planned_story=record.planned_story,
        outline_sections=record.outline_sections,
        next_section_index=record.next_section_index,
        partial_graph=record.partial_graph,
        world_schema_id=record.world_schema_id,
        player_schema_id=record.player_schema_id,
        introduction=record.introduction,
        common_variables=record.common_variables,
        section_summaries=record.section_summaries,
        status=record.status,
        final_story_id=record.final_story_id,
        created_at_ms=record.created_at_ms,
        updated_at_ms=record.updated_at_ms,
        total_sections=len(record.outline_sections),
        graph_warnings=bound.warnings(record.partial_graph),
    )


def read_draft_payload(cursor: Cursor, record: StoryDraftRecord) -> StoryDraft:
    bound = read_bound_fields(cursor, record.world_schema_id, record.player_schema_id, record.resource_id)
    return draft_payload(record, bound)


def draft_summary(record: StoryDraftRecord) -> DraftSummary:
    return DraftSummary(
        draft_id=record.draft_id,
        display_name=record.display_name,
        resource_id=record.resource_id,
        api_group_id=record.api_group_id,
        preset_id=record.preset_id,
        status=record.status,
        next_section_index=record.next_section_index,
        total_sections=len(record.outline_sections),
        partial_node_count=len(record.partial_graph.nodes),
        final_story_id=record.final_story_id,
        created_at_ms=record.created_at_ms,
        updated_at_ms=record.updated_at_ms,
    )
