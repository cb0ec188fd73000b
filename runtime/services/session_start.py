"""A new session of a story: checks in the order of PROTOCOL §6.15, and the seeded state (§7.8, R6).

Runs on a cursor inside the write that inserts the session, so the story, binding, profile
and cast it checks are the ones the session is created against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from runtime.graph import require_valid_story_graph
from runtime.model.characters import CharacterRecord
from runtime.model.schemas import StateFieldSchema
from runtime.model.sessions import SessionConfig, SessionRecord, SessionStarted
from runtime.model.stories import StartSessionParams
from runtime.services.bindings import resolve_binding
from runtime.services.characters import character_summary
from runtime.state import seed_initial_state
from runtime.store import Cursor
from runtime.store.characters import CHARACTERS
from runtime.store.player_profiles import PLAYER_PROFILES
from runtime.store.schemas import SCHEMAS
from runtime.store.sessions import SESSION_ID_PREFIX, SESSIONS
from runtime.store.stories import STORIES
from runtime.store.story_resources import STORY_RESOURCES


@attrs.frozen
class StartedSession:
    """A new session's id (for the envelope, §3.5 rule 3) and its `session_started` payload."""

    session_id: str
    payload: SessionStarted


def insert_new_session(cursor: Cursor, params: StartSessionParams, now_ms: int) -> StartedSession:
    """Check, seed and insert a session; returns its id and payload.

    Order: story (40404), binding (§6.17: 40404 / 40909), player profile (40404), then the
    runtime state: story resources, cast characters and their schemas (40404), the graph
    against the cast (-32602 `invalid story graph: …`), the world and player schemas (40404).
    """
    story = STORIES.require(cursor, params.story_id)
    binding = resolve_binding(cursor, params.api_group_id, params.preset_id)
    profile = None if params.player_profile_id is None else PLAYER_PROFILES.require(cursor, params.player_profile_id)
    resources = STORY_RESOURCES.require(cursor, story.resource_id)
    characters = [CHARACTERS.require(cursor, character_id) for character_id in resources.character_ids]
    character_defaults = {
        record.character_id: _defaults(SCHEMAS.require(cursor, record.content.schema_id).fields)
        for record in characters
    }
    require_valid_story_graph(story.graph, resources.character_ids)
    start_node = next(node for node in story.graph.nodes if node.id == story.graph.start_node)
    snapshot = seed_initial_state(
        story_id=story.story_id,
        start_node=start_node,
        world_defaults=_defaults(SCHEMAS.require(cursor, story.world_schema_id).fields),
        player_defaults=_defaults(SCHEMAS.require(cursor, story.player_schema_id).fields),
        character_defaults=character_defaults,
        player_description="" if profile is None else profile.description,
    )
    session_id = SESSIONS.new_id(cursor, SESSION_ID_PREFIX)
    session = SessionRecord(
        session_id=session_id,
        story_id=story.story_id,
        display_name=story.display_name if params.display_name is None else params.display_name,
        player_profile_id=None if profile is None else profile.player_profile_id,
        player_schema_id=story.player_schema_id,
        api_group_id=binding.api_group_id,
        preset_id=binding.preset_id,
        snapshot=snapshot,
        created_at_ms=now_ms,
        updated_at_ms=now_ms,
    )
    SESSIONS.insert(cursor, session_id, session)
    return StartedSession(session_id, _started_payload(session, characters, now_ms))


def _defaults(fields: Mapping[str, StateFieldSchema]) -> dict[str, Any]:
    """Field key → default, in schema order; None where a field has no default."""
    return {key: field.default for key, field in fields.items()}


def _started_payload(session: SessionRecord, characters: list[CharacterRecord], now_ms: int) -> SessionStarted:
    return SessionStarted(
        story_id=session.story_id,
        display_name=session.display_name,
        snapshot=session.snapshot,
        player_profile_id=session.player_profile_id,
        player_schema_id=session.player_schema_id,
        api_group_id=session.api_group_id,
        preset_id=session.preset_id,
        history=[],
        created_at_ms=now_ms,
        updated_at_ms=now_ms,
        character_summaries=[character_summary(record) for record in characters],
        config=SessionConfig(session.api_group_id, session.preset_id),
    )
