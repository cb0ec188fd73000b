"""Stories: `story.*` except `story.start_session` (PROTOCOL §6.13, §14.1, §14.6).

Stored stories are checked with the story graph rules against their resource's cast and with
the common-variable rules against their schemas; every write is one transaction. `generate`
drives a draft from start to finalize through the DraftOwner and removes the draft; if any
step fails, the half-built draft and its schemas are removed too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import attrs
import trio

from runtime.agents.planner import planner_context, planner_request, write_plan
from runtime.agents.story_material import StoryMaterial
from runtime.common_variables import validate_common_variables
from runtime.errors import Conflict, DramaturgError, NotFound
from runtime.graph import require_valid_story_graph
from runtime.model.apis import Agent
from runtime.model.graph import StoryGraph
from runtime.model.stories import (
    CommonVariableDefinition,
    DraftStartParams,
    DraftStatus,
    GeneratePlanParams,
    StoriesListed,
    Story,
    StoryCreateParams,
    StoryDeleted,
    StoryGenerateParams,
    StoryIdParams,
    StoryPlanned,
    StoryRecord,
    StoryUpdateGraphParams,
    StoryUpdateParams,
)
from runtime.model.story_resources import StoryResourcesRecord
from runtime.services._generation_inputs import (
    AgentBinding,
    agent_client,
    character_field_keys,
    read_agent_binding,
    read_material,
    require_generation_ready,
)
from runtime.services._services import Services
from runtime.services._story_payloads import read_story_payload, story_summary
from runtime.services.bindings import resolve_binding
from runtime.services.draft_owner import DraftOwner
from runtime.services.drafts import draft_owner, start_draft
from runtime.store import Cursor, references
from runtime.store.schemas import SCHEMAS
from runtime.store.stories import STORIES, STORY_ID_PREFIX
from runtime.store.story_resources import STORY_RESOURCES

# -- plan (§14.1) -----------------------------------------------------------------------------


async def generate_plan(services: Services, params: GeneratePlanParams) -> StoryPlanned:
    """Run the Planner on the resource and answer its text. Saves nothing.

    Raises NotFound, InvalidParams (no characters, blank concept), Conflict (nothing to bind
    to) and ProviderError.
    """

    def read(cursor: Cursor) -> tuple[StoryMaterial, AgentBinding]:
        resource = STORY_RESOURCES.require(cursor, params.resource_id)
        require_generation_ready(resource)
        material = read_material(cursor, resource)
        binding = resolve_binding(cursor, params.api_group_id, params.preset_id)
        return material, read_agent_binding(cursor, binding, Agent.PLANNER)

    material, planner = await services.store.read(read)
    client = agent_client(services, planner.api)
    script = await write_plan(client, planner_request(planner.config, planner_context(material)))
    return StoryPlanned(params.resource_id, script)


# -- stored stories ---------------------------------------------------------------------------


async def create_story(services: Services, params: StoryCreateParams) -> Story:
    """Store a story from a graph written by hand, after checking it with the story rules.

    Checks, in order: resource, world schema, player schema (40404), the graph (story rules,
    R11), the common variables; then stores `story-N`."""
    now = services.clock.now_ms()

    def insert(cursor: Cursor) -> Story:
        resource = STORY_RESOURCES.require(cursor, params.resource_id)
        SCHEMAS.require(cursor, params.world_schema_id)
        SCHEMAS.require(cursor, params.player_schema_id)
        require_valid_story_graph(params.graph, resource.character_ids)
        variables = list(params.common_variables or [])
        _validate_variables(cursor, variables, params.world_schema_id, params.player_schema_id, resource)
        story_id = STORIES.new_id(cursor, STORY_ID_PREFIX)
        record = StoryRecord(
            story_id=story_id,
            display_name=(params.display_name or "").strip() or resource.effective_display_name(),
            resource_id=resource.resource_id,
            graph=params.graph,
            world_schema_id=params.world_schema_id,
            player_schema_id=params.player_schema_id,
            introduction=params.introduction,
            common_variables=variables,
            created_at_ms=now,
            updated_at_ms=now,
        )
        STORIES.insert(cursor, story_id, record)
        return read_story_payload(cursor, record)

    return await services.store.write(insert)


async def get_story(services: Services, params: StoryIdParams) -> Story:
    """One story with its graph."""
    return await services.store.read(
        lambda cursor: read_story_payload(cursor, STORIES.require(cursor, params.story_id))
    )


async def list_stories(services: Services) -> StoriesListed:
    """Every story's summary, sorted by id."""
    records = await services.store.read(STORIES.list)
    return StoriesListed([story_summary(record) for record in records])


async def update_story(services: Services, params: StoryUpdateParams) -> Story:
    """Rename a story or replace its common variables.

    Rename (a blank name keeps the stored one) and/or replace the common variables, which
    are validated; bumps `updated_at_ms`."""
    now = services.clock.now_ms()

    def update(cursor: Cursor) -> Story:
        record = STORIES.require(cursor, params.story_id)
        changes: dict[str, Any] = {"updated_at_ms": now}
        if params.display_name is not None and params.display_name.strip():
            changes["display_name"] = params.display_name.strip()
        if params.common_variables is not None:
            resource = STORY_RESOURCES.require(cursor, record.resource_id)
            _validate_variables(
                cursor, params.common_variables, record.world_schema_id, record.player_schema_id, resource
            )
            changes["common_variables"] = list(params.common_variables)
        record = attrs.evolve(record, **changes)
        STORIES.update(cursor, record.story_id, record)
        return read_story_payload(cursor, record)

    return await services.store.write(update)


MAX_NAMED_SESSIONS = 10  # a stranding conflict names this many sessions, then counts the rest


async def update_story_graph(services: Services, params: StoryUpdateGraphParams) -> Story:
    """Replace the graph after checking it with the story rules; bumps `updated_at_ms`.

    Raises Conflict when the new graph lacks the node a session of the story stands on: that
    session could never play another turn. The message names the sessions and their nodes, so
    the author can keep those nodes or delete the sessions.
    """
    now = services.clock.now_ms()

    def update(cursor: Cursor) -> Story:
        record = STORIES.require(cursor, params.story_id)
        resource = STORY_RESOURCES.require(cursor, record.resource_id)
        require_valid_story_graph(params.graph, resource.character_ids)
        _refuse_stranding(cursor, record.story_id, params.graph)
        record = attrs.evolve(record, graph=params.graph, updated_at_ms=now)
        STORIES.update(cursor, record.story_id, record)
        return read_story_payload(cursor, record)

    return await services.store.write(update)


def _refuse_stranding(cursor: Cursor, story_id: str, graph: StoryGraph) -> None:
    node_ids = {node.id for node in graph.nodes}
    stranded = [
        (session_id, node)
        for session_id, node in references.session_positions(cursor, story_id)
        if node not in node_ids
    ]
    if not stranded:
        return
    named = ", ".join(f"{session_id} (at node '{node}')" for session_id, node in stranded[:MAX_NAMED_SESSIONS])
    more = len(stranded) - MAX_NAMED_SESSIONS
    if more > 0:
        named = f"{named} and {more} more"
    raise Conflict(f"story '{story_id}' graph update removes the node that sessions stand on: {named}")


async def delete_story(services: Services, params: StoryIdParams) -> StoryDeleted:
    """Delete a story (refused while sessions play it).

    40909 while sessions use the story (checked before existence); schemas stay.
    """
    story_id = params.story_id

    def delete(cursor: Cursor) -> None:
        if references.story_in_sessions(cursor, story_id):
            raise Conflict(f"story '{story_id}' still has active sessions")
        if not STORIES.delete(cursor, story_id):
            raise NotFound.record("story", story_id)

    await services.store.write(delete)
    return StoryDeleted(story_id)


def _validate_variables(
    cursor: Cursor,
    variables: Sequence[CommonVariableDefinition],
    world_schema_id: str,
    player_schema_id: str,
    resource: StoryResourcesRecord,
) -> None:
    world = SCHEMAS.get(cursor, world_schema_id)
    player = SCHEMAS.get(cursor, player_schema_id)
    validate_common_variables(
        variables,
        world_fields=frozenset(world.fields) if world is not None else frozenset(),
        player_fields=frozenset(player.fields) if player is not None else frozenset(),
        character_ids=resource.character_ids,
        character_fields=character_field_keys(cursor, resource.character_ids),
    )


# -- whole-story generation (§14.6) -----------------------------------------------------------


async def generate_story(services: Services, params: StoryGenerateParams) -> Story:
    """Generate a whole story in one call: the Architect builds every section of the graph.

    Draft start, continue while building, finalize, then delete the draft (its schemas stay
    with the story). On any failure the draft and its schemas are deleted before re-raising."""
    owner = draft_owner(services)
    draft = await start_draft(
        services,
        DraftStartParams(
            resource_id=params.resource_id,
            display_name=params.display_name,
            api_group_id=params.api_group_id,
            preset_id=params.preset_id,
            common_variables=params.common_variables,
        ),
    )
    finished = False
    try:
        status = draft.status
        while status is DraftStatus.BUILDING:
            status = (await owner.continue_draft(draft.draft_id)).status
        story = await owner.finalize_draft(draft.draft_id)
        finished = True
    finally:
        if not finished:
            with trio.CancelScope(shield=True):
                await _discard_draft(owner, draft.draft_id)
    await owner.delete_draft(draft.draft_id)
    return story


async def _discard_draft(owner: DraftOwner, draft_id: str) -> None:
    # The failure that brought us here is what the caller must see, not a cleanup problem.
    with contextlib.suppress(DramaturgError):
        await owner.delete_draft(draft_id)
