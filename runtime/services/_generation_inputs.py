"""What story generation reads from the store: a resource's material for the Planner and the
Architect, schema fields, and the preset settings and api an agent is bound to (PROTOCOL §6.17,
§14.3 step 2). Functions taking a cursor run inside `Store.read` / `Store.write`.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from runtime.agents.story_material import StoryMaterial
from runtime.errors import BackendError, InvalidParams, NotFound
from runtime.llm import NO_TAGS, CallTags, ChatClient
from runtime.model.apis import Agent, ApiRecord
from runtime.model.cast import CastMember
from runtime.model.overview import EngineBinding
from runtime.model.presets import AgentConfig
from runtime.model.schemas import StateFieldSchema
from runtime.model.story_resources import StoryResourcesRecord
from runtime.presets import normalize_agent
from runtime.services._services import Services
from runtime.store import Cursor
from runtime.store.apis import API_GROUPS, APIS
from runtime.store.characters import CHARACTERS
from runtime.store.lorebooks import read_story_lore
from runtime.store.presets import PRESETS
from runtime.store.schemas import SCHEMAS

FieldMap = dict[str, StateFieldSchema]


def require_generation_ready(resource: StoryResourcesRecord) -> None:
    """A resource generation can start from: some characters and a non-blank concept (-32602)."""
    if not resource.character_ids:
        raise InvalidParams("character_ids cannot be empty")
    if not resource.story_concept.strip():
        raise InvalidParams("story_concept cannot be empty")


def read_material(cursor: Cursor, resource: StoryResourcesRecord) -> StoryMaterial:
    """The resource's characters with their schemas, its seed schemas and its lorebooks.

    Raises NotFound for the first of them that does not exist.
    """
    cast = tuple(read_cast_member(cursor, character_id) for character_id in resource.character_ids)
    world_seed = _required_fields(cursor, resource.world_schema_id_seed)
    player_seed = _required_fields(cursor, resource.player_schema_id_seed)
    lore = read_story_lore(cursor, resource.lorebook_ids)
    plan = resource.planned_story if resource.planned_story is not None and resource.planned_story.strip() else None
    return StoryMaterial(resource.story_concept, plan, cast, lore, world_seed, player_seed)


def read_cast_member(cursor: Cursor, character_id: str) -> CastMember:
    """A story character as prompts see it, with its schema's fields (NotFound for either)."""
    content = CHARACTERS.require(cursor, character_id).content
    schema = SCHEMAS.require(cursor, content.schema_id)
    return CastMember(
        character_id=content.id,
        name=content.name,
        personality=content.personality,
        style=content.style,
        system_prompt=content.system_prompt,
        schema_fields=dict(schema.fields),
    )


def schema_fields(cursor: Cursor, schema_id: str) -> FieldMap | None:
    """The schema's fields, or None when it is not stored (anymore)."""
    schema = SCHEMAS.get(cursor, schema_id)
    return None if schema is None else dict(schema.fields)


def character_field_keys(cursor: Cursor, character_ids: Iterable[str]) -> dict[str, frozenset[str] | None]:
    """Each character's schema keys; None for a character or schema that cannot be loaded."""
    keys: dict[str, frozenset[str] | None] = {}
    for character_id in character_ids:
        character = CHARACTERS.get(cursor, character_id)
        fields = None if character is None else schema_fields(cursor, character.content.schema_id)
        keys[character_id] = None if fields is None else frozenset(fields)
    return keys


def cast_field_keys(material: StoryMaterial) -> dict[str, frozenset[str] | None]:
    """`character_field_keys` for a cast that is already loaded."""
    return {member.character_id: frozenset(member.schema_fields) for member in material.cast}


def _required_fields(cursor: Cursor, schema_id: str | None) -> FieldMap | None:
    return None if schema_id is None else dict(SCHEMAS.require(cursor, schema_id).fields)


# -- agent bindings -------------------------------------------------------------------------


@attrs.frozen
class AgentBinding:
    """One agent's expanded preset settings and the api its api group binds it to."""

    config: AgentConfig
    api: ApiRecord


def read_agent_binding(cursor: Cursor, binding: EngineBinding, agent: Agent) -> AgentBinding:
    """Raises NotFound for the preset, the api group, or (`unknown llm api id: …`) the api."""
    # Only this agent's settings are expanded: the other six are not needed for its call.
    spec = PRESETS.require(cursor, binding.preset_id).agents.for_agent(agent)
    group = API_GROUPS.require(cursor, binding.api_group_id)
    api_id = group.bindings.api_id_for(agent)
    api = APIS.get(cursor, api_id)
    if api is None:
        raise NotFound(f"unknown llm api id: {api_id}")
    return AgentBinding(normalize_agent(agent, spec), api)


def agent_client(services: Services, api: ApiRecord, tags: CallTags = NO_TAGS) -> ChatClient:
    """A client for the api as stored now. Raises InvalidParams for a bad api configuration."""
    if services.llm is None:
        raise BackendError("llm clients are not available")
    return services.llm.client_for(api, tags)
