"""Story drafts: `story_draft.*` as plain operations over the store and the Architect
(PROTOCOL §6.14, §14.2–§14.5).

Every operation that writes does it in one transaction: a draft with its two generated
schemas, a continued draft, a finalized draft with its new story. A provider failure, a
bundle still unusable after the repair call, or any rejected check therefore leaves nothing
behind. The operations on an existing draft take its current record and return the new one;
running them one at a time per draft is the DraftOwner's job (`continue_owned_draft` & co.
hand the request to it), so that two `continue` calls never build the same section.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from runtime.agents.architect import (
    DraftStart,
    SectionTask,
    architect_request,
    build_draft_continuation,
    build_draft_start,
    draft_continue_context,
    draft_init_context,
)
from runtime.agents.story_material import StoryMaterial
from runtime.common_variables import validate_common_variables
from runtime.errors import BackendError, InvalidParams, NotFound
from runtime.graph import DRAFT_GRAPH_ERROR_PREFIX, require_valid_draft_graph
from runtime.llm import CallTags
from runtime.model.apis import Agent
from runtime.model.graph import NarrativeNode, StoryGraph
from runtime.model.overview import EngineBinding
from runtime.model.presets import ArchitectMode
from runtime.model.schemas import Schema, StateSchema
from runtime.model.stories import (
    CommonVariableDefinition,
    DraftIdParams,
    DraftStartParams,
    DraftStatus,
    DraftUpdateGraphParams,
    Story,
    StoryDraft,
    StoryDraftDeleted,
    StoryDraftRecord,
    StoryDraftsListed,
    StoryRecord,
)
from runtime.model.story_resources import StoryResourcesRecord
from runtime.outline import outline_sections, planned_text
from runtime.schema_rules import validate_state_fields
from runtime.services._generation_inputs import (
    AgentBinding,
    FieldMap,
    agent_client,
    cast_field_keys,
    read_agent_binding,
    read_material,
    require_generation_ready,
    schema_fields,
)
from runtime.services._services import Services
from runtime.services._story_payloads import (
    BoundFields,
    draft_payload,
    draft_summary,
    read_draft_payload,
    read_story_payload,
    story_payload,
)
from runtime.services.bindings import resolve_binding
from runtime.services.draft_owner import DraftOwner
from runtime.state import DeclaredFields
from runtime.store import Cursor, references
from runtime.store.schemas import SCHEMAS
from runtime.store.stories import DRAFT_ID_PREFIX, GENERATED_SCHEMA_ID_PREFIX, STORIES, STORY_DRAFTS, STORY_ID_PREFIX
from runtime.store.story_resources import STORY_RESOURCES

GENERATED_TAG = "generated"


@attrs.frozen
class DraftChange:
    """A draft as it is stored after an operation, and its payload."""

    record: StoryDraftRecord
    payload: StoryDraft


@attrs.frozen
class DraftFinalized:
    record: StoryDraftRecord
    story: Story


@attrs.frozen
class DraftSetting:
    """What surrounds a draft: its resource's material and its generated schemas' fields."""

    material: StoryMaterial
    world_fields: FieldMap | None
    player_fields: FieldMap | None

    def bound_fields(self) -> BoundFields:
        return BoundFields(
            world=None if self.world_fields is None else frozenset(self.world_fields),
            player=None if self.player_fields is None else frozenset(self.player_fields),
            characters=cast_field_keys(self.material),
        )

    def payload(self, record: StoryDraftRecord) -> StoryDraft:
        return draft_payload(record, self.bound_fields())

    def declared_fields(self) -> DeclaredFields:
        """The variables the draft's next sections may use: its schemas' and the cast's own."""
        return DeclaredFields(self.world_fields or {}, self.player_fields or {}, self.material.cast_fields)


# -- reads ------------------------------------------------------------------------------------


async def get_draft(services: Services, params: DraftIdParams) -> StoryDraft:
    """One story draft: its graph so far and where generation stands."""

    def read(cursor: Cursor) -> StoryDraft:
        return read_draft_payload(cursor, STORY_DRAFTS.require(cursor, params.draft_id))

    return await services.store.read(read)


async def list_drafts(services: Services) -> StoryDraftsListed:
    """Every story draft, sorted by id."""
    records = await services.store.read(STORY_DRAFTS.list)
    return StoryDraftsListed([draft_summary(record) for record in records])


async def load_draft(services: Services, draft_id: str) -> StoryDraftRecord:
    """The stored draft, or NotFound `story draft '{id}' not found`."""
    return await services.store.read(lambda cursor: STORY_DRAFTS.require(cursor, draft_id))


# -- start (§14.3) ----------------------------------------------------------------------------


@attrs.frozen
class _StartInputs:
    resource: StoryResourcesRecord
    planned_text: str
    sections: list[str]
    material: StoryMaterial
    architect: AgentBinding
    planner: AgentBinding
    api_group_id: str
    preset_id: str


async def start_draft(services: Services, params: DraftStartParams) -> StoryDraft:
    """Build the first section with the Architect and save the draft with its two schemas.

    Raises NotFound (resource, characters, schemas, lorebooks, binding), InvalidParams (no
    outline, no characters, blank concept, bad common variables, bad schema fields, bad graph),
    Conflict (nothing to bind to) and ProviderError. Writes nothing unless it succeeds.
    """
    inputs = await services.store.read(lambda cursor: _read_start_inputs(cursor, params))
    # Both profiles are built before the call, so a misconfigured api fails first (§14.3 step 2).
    agent_client(services, inputs.planner.api)
    client = agent_client(services, inputs.architect.api)
    task = SectionTask(inputs.planned_text, inputs.sections, 0)
    request = architect_request(
        inputs.architect.config, ArchitectMode.DRAFT_INIT, draft_init_context(inputs.material, task)
    )
    start = await build_draft_start(client, request, inputs.material.cast_ids, inputs.material.cast_fields)
    variables = list(params.common_variables or [])
    _check_start(start, inputs, variables)
    now = services.clock.now_ms()
    names = _StartNames.of(params.display_name, inputs.resource)

    def insert(cursor: Cursor) -> StoryDraftRecord:
        STORY_RESOURCES.require(cursor, inputs.resource.resource_id)
        draft_id = STORY_DRAFTS.new_id(cursor, DRAFT_ID_PREFIX)
        world_id = _insert_generated_schema(cursor, names.world_schema, "world", draft_id, start.world_state_schema)
        player_id = _insert_generated_schema(cursor, names.player_schema, "player", draft_id, start.player_state_schema)
        record = StoryDraftRecord(
            draft_id=draft_id,
            display_name=names.draft,
            resource_id=inputs.resource.resource_id,
            api_group_id=inputs.api_group_id,
            preset_id=inputs.preset_id,
            planned_story=inputs.planned_text,
            outline_sections=inputs.sections,
            next_section_index=1,
            partial_graph=start.graph,
            world_schema_id=world_id,
            player_schema_id=player_id,
            introduction=start.introduction,
            common_variables=variables,
            section_summaries=[start.section_summary],
            section_node_ids=[[node.id for node in start.nodes]],
            created_at_ms=now,
            updated_at_ms=now,
        )
        STORY_DRAFTS.insert(cursor, draft_id, record)
        return record

    record = await services.store.write(insert)
    setting = DraftSetting(inputs.material, start.world_state_schema.fields, start.player_state_schema.fields)
    return setting.payload(record)


def _read_start_inputs(cursor: Cursor, params: DraftStartParams) -> _StartInputs:
    """§14.3 steps 1–2, in their order: resource, outline, cast and concept, references, binding."""
    resource = STORY_RESOURCES.require(cursor, params.resource_id)
    text = planned_text(resource.planned_story, resource.story_concept)
    sections = outline_sections(text)
    require_generation_ready(resource)
    material = read_material(cursor, resource)
    binding = resolve_binding(cursor, params.api_group_id, params.preset_id)
    return _StartInputs(
        resource=resource,
        planned_text=text,
        sections=sections,
        material=material,
        architect=read_agent_binding(cursor, binding, Agent.ARCHITECT),
        planner=read_agent_binding(cursor, binding, Agent.PLANNER),
        api_group_id=binding.api_group_id,
        preset_id=binding.preset_id,
    )


def _check_start(start: DraftStart, inputs: _StartInputs, variables: Sequence[CommonVariableDefinition]) -> None:
    """§14.3 steps 5–7 before anything is written: common variables, schema fields, graph."""
    validate_common_variables(
        variables,
        world_fields=frozenset(start.world_state_schema.fields),
        player_fields=frozenset(start.player_state_schema.fields),
        character_ids=inputs.resource.character_ids,
        character_fields=cast_field_keys(inputs.material),
    )
    validate_state_fields(start.world_state_schema.fields)
    validate_state_fields(start.player_state_schema.fields)
    require_valid_draft_graph(start.graph, inputs.resource.character_ids)


@attrs.frozen
class _StartNames:
    draft: str
    world_schema: str
    player_schema: str

    @classmethod
    def of(cls, display_name: str | None, resource: StoryResourcesRecord) -> _StartNames:
        given = (display_name or "").strip()
        effective = resource.effective_display_name()
        return cls(
            draft=given or effective,
            world_schema=f"{given or resource.story_concept.strip()} world schema",
            player_schema=f"{given or effective} player schema",
        )


def _insert_generated_schema(cursor: Cursor, display_name: str, kind: str, draft_id: str, schema: StateSchema) -> str:
    schema_id = SCHEMAS.new_id(cursor, GENERATED_SCHEMA_ID_PREFIX)
    tags = [kind, GENERATED_TAG, f"draft:{draft_id}"]
    SCHEMAS.insert(cursor, schema_id, Schema(schema_id, display_name, tags, dict(schema.fields)))
    return schema_id


# -- continue (§14.4) -------------------------------------------------------------------------


async def continue_draft(services: Services, draft: StoryDraftRecord) -> DraftChange:
    """Build the next outline section and merge it into the partial graph.

    Raises InvalidParams when the draft is not building or the merged graph breaks the draft
    rules, NotFound for a vanished binding, ProviderError. Writes nothing unless it succeeds.
    """
    if draft.status is not DraftStatus.BUILDING:
        raise _invalid_draft(f"story draft '{draft.draft_id}' is not in building state")
    setting, architect = await services.store.read(lambda cursor: _read_call_inputs(cursor, draft))
    client = agent_client(services, architect.api, CallTags(draft_id=draft.draft_id))
    task = continue_task(draft, setting)
    request = architect_request(
        architect.config, ArchitectMode.DRAFT_CONTINUE, draft_continue_context(setting.material, task)
    )
    existing = [node.id for node in draft.partial_graph.nodes]
    continuation = await build_draft_continuation(
        client, request, existing, setting.material.cast_ids, setting.declared_fields()
    )
    graph = continuation.merged_into(draft.partial_graph)
    require_valid_draft_graph(graph, setting.material.cast_ids)
    record = attrs.evolve(
        draft,
        partial_graph=graph,
        next_section_index=draft.next_section_index + 1,
        section_summaries=[*draft.section_summaries, continuation.section_summary],
        section_node_ids=[*draft.section_node_ids, [node.id for node in continuation.nodes]],
        updated_at_ms=services.clock.now_ms(),
    )
    await services.store.write(lambda cursor: _save_draft(cursor, record))
    return DraftChange(record, setting.payload(record))


def continue_task(draft: StoryDraftRecord, setting: DraftSetting) -> SectionTask:
    """What the next `draft_continue` call of `draft` works on."""
    return SectionTask(
        planned_text=draft.planned_story,
        outline_sections=draft.outline_sections,
        section_index=draft.next_section_index,
        section_summaries=draft.section_summaries,
        graph=draft.partial_graph,
        recent_nodes=recent_section_nodes(draft),
        world_schema=setting.world_fields,
        player_schema=setting.player_fields,
    )


def recent_section_nodes(draft: StoryDraftRecord) -> list[NarrativeNode]:
    """The nodes the last section produced that are still in the graph, in graph order."""
    if not draft.section_node_ids:
        return []
    last = set(draft.section_node_ids[-1])
    return [node for node in draft.partial_graph.nodes if node.id in last]


def read_draft_setting(cursor: Cursor, draft: StoryDraftRecord) -> DraftSetting:
    resource = STORY_RESOURCES.require(cursor, draft.resource_id)
    return DraftSetting(
        material=read_material(cursor, resource),
        world_fields=schema_fields(cursor, draft.world_schema_id),
        player_fields=schema_fields(cursor, draft.player_schema_id),
    )


def _read_call_inputs(cursor: Cursor, draft: StoryDraftRecord) -> tuple[DraftSetting, AgentBinding]:
    binding = EngineBinding(draft.api_group_id, draft.preset_id)
    return read_draft_setting(cursor, draft), read_agent_binding(cursor, binding, Agent.ARCHITECT)


def _save_draft(cursor: Cursor, record: StoryDraftRecord) -> None:
    if not STORY_DRAFTS.exists(cursor, record.draft_id):
        raise NotFound.record("story draft", record.draft_id)
    STORY_DRAFTS.update(cursor, record.draft_id, record)


# -- update_graph, finalize, delete ------------------------------------------------------------


async def update_draft_graph(services: Services, draft: StoryDraftRecord, graph: StoryGraph) -> DraftChange:
    """Replace the partial graph. Raises InvalidParams for a finalized draft or a graph that
    breaks the draft rules (characters checked against the resource's `character_ids`)."""
    if draft.status is DraftStatus.FINALIZED:
        raise _invalid_draft(f"story draft '{draft.draft_id}' is already finalized")
    setting = await services.store.read(lambda cursor: read_draft_setting(cursor, draft))
    require_valid_draft_graph(graph, setting.material.cast_ids)
    record = attrs.evolve(draft, partial_graph=graph, updated_at_ms=services.clock.now_ms())
    await services.store.write(lambda cursor: _save_draft(cursor, record))
    return DraftChange(record, setting.payload(record))


async def finalize_draft(services: Services, draft: StoryDraftRecord) -> DraftFinalized:
    """Create the story (`story-N`) and mark the draft finalized, in one transaction.

    Idempotent: a finalized draft answers with the story it became. Raises InvalidParams when
    the draft is not ready, NotFound when its resource or a generated schema is gone.
    """
    if draft.final_story_id is not None:
        story_id = draft.final_story_id
        story = await services.store.read(lambda cursor: read_story_payload(cursor, STORIES.require(cursor, story_id)))
        return DraftFinalized(draft, story)
    if draft.status is not DraftStatus.READY_TO_FINALIZE:
        raise _invalid_draft(f"story draft '{draft.draft_id}' is not ready to finalize")
    setting = await services.store.read(lambda cursor: read_draft_setting(cursor, draft))
    require_valid_draft_graph(draft.partial_graph, setting.material.cast_ids)
    now = services.clock.now_ms()

    def finish(cursor: Cursor) -> tuple[StoryRecord, StoryDraftRecord]:
        STORY_RESOURCES.require(cursor, draft.resource_id)
        SCHEMAS.require(cursor, draft.world_schema_id)
        SCHEMAS.require(cursor, draft.player_schema_id)
        story_id = STORIES.new_id(cursor, STORY_ID_PREFIX)
        story = StoryRecord(
            story_id=story_id,
            display_name=draft.display_name,
            resource_id=draft.resource_id,
            graph=draft.partial_graph,
            world_schema_id=draft.world_schema_id,
            player_schema_id=draft.player_schema_id,
            introduction=draft.introduction,
            common_variables=draft.common_variables,
            created_at_ms=now,
            updated_at_ms=now,
        )
        STORIES.insert(cursor, story_id, story)
        finalized = attrs.evolve(draft, final_story_id=story_id, updated_at_ms=now)
        _save_draft(cursor, finalized)
        return story, finalized

    created, record = await services.store.write(finish)
    return DraftFinalized(record, story_payload(created, setting.bound_fields()))


async def delete_draft(services: Services, draft_id: str) -> StoryDraftDeleted:
    """Delete the draft; one that was never finalized takes its two generated schemas along
    (unless something else has come to use them). Raises NotFound."""

    def delete(cursor: Cursor) -> None:
        draft = STORY_DRAFTS.require(cursor, draft_id)
        STORY_DRAFTS.delete(cursor, draft_id)
        if draft.final_story_id is not None:
            return
        for schema_id in dict.fromkeys((draft.world_schema_id, draft.player_schema_id)):
            if not references.schema_in_use(cursor, schema_id):
                SCHEMAS.delete(cursor, schema_id)

    await services.store.write(delete)
    return StoryDraftDeleted(draft_id)


def _invalid_draft(detail: str) -> InvalidParams:
    return InvalidParams(DRAFT_GRAPH_ERROR_PREFIX + detail)


# -- the methods that go through the draft's owner ---------------------------------------------


def draft_owner(services: Services) -> DraftOwner:
    if services.drafts is None:
        raise BackendError("story drafts are not available: no draft owner is running")
    return services.drafts


async def continue_owned_draft(services: Services, params: DraftIdParams) -> StoryDraft:
    """Let the Architect build the next section of a draft's graph."""
    return await draft_owner(services).continue_draft(params.draft_id)


async def update_owned_draft_graph(services: Services, params: DraftUpdateGraphParams) -> StoryDraft:
    """Replace the graph of a draft that is still being built."""
    return await draft_owner(services).update_draft_graph(params.draft_id, params.partial_graph)


async def finalize_owned_draft(services: Services, params: DraftIdParams) -> Story:
    """Turn a fully built draft into a story."""
    return await draft_owner(services).finalize_draft(params.draft_id)


async def delete_owned_draft(services: Services, params: DraftIdParams) -> StoryDraftDeleted:
    """Delete a story draft."""
    return await draft_owner(services).delete_draft(params.draft_id)
