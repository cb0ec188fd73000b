"""What a turn reads before it starts, and how its outcome is stored (PROTOCOL §7.8, §7.9, §8.1, R4).

`load_turn_setup` builds the `TurnSetup` of a session in one read, raising the setup errors
of §8.1 in their order; `commit_turn` writes a successful turn (snapshot and turn index,
transcript messages, new session characters) in one transaction. The turn itself runs in
between (`runtime.turns.run_turn`) and touches nothing stored.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from runtime.errors import BackendError, InvalidParams, NotFound
from runtime.graph import require_valid_story_graph
from runtime.llm import CallTags, ChatClient
from runtime.model.apis import Agent, ApiRecord
from runtime.model.cast import CastMember
from runtime.model.lorebooks import LorebookEntry
from runtime.model.presets import AgentConfig
from runtime.model.schemas import StateFieldSchema
from runtime.model.sessions import SessionCharacterRecord, SessionMessage, SessionRecord
from runtime.model.stories import StoryRecord
from runtime.prompt_context import DEFAULT_PLAYER_NAME
from runtime.services._generation_inputs import read_cast_member
from runtime.services._services import Services
from runtime.store import Cursor
from runtime.store.apis import API_GROUPS, APIS
from runtime.store.lorebooks import LOREBOOKS
from runtime.store.player_profiles import PLAYER_PROFILES
from runtime.store.presets import read_preset
from runtime.store.schemas import SCHEMAS
from runtime.store.sessions import (
    SESSION_CHARACTERS,
    SESSION_MESSAGES,
    SESSIONS,
    next_message_sequence,
    turn_message_id,
)
from runtime.store.stories import STORIES
from runtime.store.story_resources import STORY_RESOURCES
from runtime.turns import TurnOutcome, TurnSetup

TURN_AGENTS: tuple[Agent, ...] = (Agent.DIRECTOR, Agent.ACTOR, Agent.NARRATOR, Agent.KEEPER)
"""The agents a turn calls: they get clients."""

REPLY_AGENTS: tuple[Agent, ...] = (Agent.REPLYER,)

RUNTIME_GRAPH_ERROR = "failed to build runtime graph: "


@attrs.frozen
class _SessionWorld:
    """Everything of a session's story and bindings that a turn reads, from one consistent read."""

    story: StoryRecord
    story_cast: dict[str, CastMember]
    session_cast: dict[str, CastMember]
    world_fields: dict[str, StateFieldSchema]
    player_fields: dict[str, StateFieldSchema]
    lore_entries: list[LorebookEntry]
    player_name: str
    agents: dict[str, AgentConfig]
    apis: dict[Agent, ApiRecord]


# -- setup ---------------------------------------------------------------------------------


def check_player_input(player_input: str, limit_chars: int) -> None:
    """A player input longer than the configured limit is refused (-32602). Empty input is
    allowed (§6.15: it is not checked for emptiness)."""
    if len(player_input) > limit_chars:
        raise InvalidParams(f"player_input must be at most {limit_chars} characters, got {len(player_input)}")


async def load_turn_setup(
    services: Services,
    session: SessionRecord,
    client_agents: Collection[Agent] = TURN_AGENTS,
    *,
    preset_id: str | None = None,
) -> TurnSetup:
    """The `TurnSetup` of `session` as its owner holds it (§8.1 steps 2–4).

    Reads the story, the cast (story characters with their schemas, then the session
    characters), the world and player schemas, the lore of the story's lorebooks, the api
    group, the preset (the session's, or `preset_id`) and the seven bound apis; builds a chat
    client for each of `client_agents`, tagged with the session and the turn about to run.

    Raises NotFound (story, story resources, character, schema, lorebook, api group, preset,
    `unknown llm api id: {id}`), InvalidParams (`invalid story graph: …`, preset or client
    configuration errors) and BackendError (`failed to build runtime graph: …`,
    `missing character card for id '{id}'`). Changes nothing.
    """
    world = await services.store.read(lambda cursor: _read_session_world(cursor, session, preset_id))
    tags = CallTags(session_id=session.session_id, turn_index=session.snapshot.turn_index + 1)
    clients = {agent.value: _client(services, world.apis[agent], tags) for agent in client_agents}
    return TurnSetup(
        session_id=session.session_id,
        snapshot=session.snapshot,
        graph=world.story.graph,
        story_cast=world.story_cast,
        session_cast=world.session_cast,
        player_name=world.player_name,
        world_fields=world.world_fields,
        player_fields=world.player_fields,
        lore_entries=world.lore_entries,
        agents=world.agents,
        clients=clients,
        call_tags=tags,
        clock=services.clock,
    )


def _client(services: Services, api: ApiRecord, tags: CallTags) -> ChatClient:
    if services.llm is None:
        raise BackendError("no llm clients are configured in this process")
    return services.llm.client_for(api, tags)


def _read_session_world(cursor: Cursor, session: SessionRecord, preset_id: str | None) -> _SessionWorld:
    story = STORIES.require(cursor, session.story_id)
    resources = STORY_RESOURCES.require(cursor, story.resource_id)
    story_cast = {character_id: read_cast_member(cursor, character_id) for character_id in resources.character_ids}
    session_cast = {
        record.session_character_id: session_cast_member(record)
        for record in SESSION_CHARACTERS.list(cursor, session.session_id)
    }
    _check_runtime_state(session, story, story_cast, session_cast)
    group = API_GROUPS.require(cursor, session.api_group_id)
    preset = read_preset(cursor, preset_id or session.preset_id)
    return _SessionWorld(
        story=story,
        story_cast=story_cast,
        session_cast=session_cast,
        world_fields=SCHEMAS.require(cursor, story.world_schema_id).fields,
        player_fields=SCHEMAS.require(cursor, story.player_schema_id).fields,
        lore_entries=_lore_entries(cursor, resources.lorebook_ids),
        player_name=_player_name(cursor, session.player_profile_id),
        agents={agent.value: preset.agents.for_agent(agent) for agent in Agent},
        apis={agent: _bound_api(cursor, group.bindings.api_id_for(agent)) for agent in Agent},
    )


def session_cast_member(record: SessionCharacterRecord) -> CastMember:
    """A session character as the engine sees it: a card with an empty state schema (§7.10)."""
    return CastMember(
        character_id=record.session_character_id,
        name=record.display_name,
        personality=record.personality,
        style=record.style,
        system_prompt=record.system_prompt,
    )


def _lore_entries(cursor: Cursor, lorebook_ids: Sequence[str]) -> list[LorebookEntry]:
    """The entries of the lorebooks, lorebook by lorebook, each in its own order (§12)."""
    return [entry for lorebook_id in lorebook_ids for entry in LOREBOOKS.require(cursor, lorebook_id).entries]


def _player_name(cursor: Cursor, player_profile_id: str | None) -> str:
    """Read live on every turn (§6.10); `User` without a profile."""
    if player_profile_id is None:
        return DEFAULT_PLAYER_NAME
    profile = PLAYER_PROFILES.get(cursor, player_profile_id)
    return DEFAULT_PLAYER_NAME if profile is None else profile.display_name


def _bound_api(cursor: Cursor, api_id: str) -> ApiRecord:
    api = APIS.get(cursor, api_id)
    if api is None:
        raise NotFound(f"unknown llm api id: {api_id}")
    return api


def _check_runtime_state(
    session: SessionRecord,
    story: StoryRecord,
    story_cast: dict[str, CastMember],
    session_cast: dict[str, CastMember],
) -> None:
    """§7.8 on load: unique cast ids, a graph valid for the cast, the snapshot of this story,
    active ids in the cast. Runs before the bindings are read (§8.1 step 2 before step 3)."""
    duplicates = sorted(story_cast.keys() & session_cast.keys())
    if duplicates:
        raise BackendError(f"{RUNTIME_GRAPH_ERROR}duplicate character id '{duplicates[0]}' in the cast")
    require_valid_story_graph(story.graph, [*story_cast, *session_cast])
    snapshot = session.snapshot
    if snapshot.story_id != story.story_id:
        raise BackendError(
            f"{RUNTIME_GRAPH_ERROR}snapshot belongs to story '{snapshot.story_id}', not '{story.story_id}'"
        )
    for character_id in snapshot.world_state.active_characters:
        if character_id not in story_cast and character_id not in session_cast:
            raise BackendError(f"missing character card for id '{character_id}'")


# -- commit --------------------------------------------------------------------------------


async def commit_turn(services: Services, session: SessionRecord, outcome: TurnOutcome) -> SessionRecord:
    """Persist a successful turn atomically (R4, §7.9): the final snapshot (and so the turn
    index), the transcript messages after the current highest sequence, and the session
    characters the turn created. Returns the session as now stored.

    Raises BackendError when the write fails; then nothing was written.
    """
    now = services.clock.now_ms()
    changed = attrs.evolve(session, snapshot=outcome.result.snapshot, updated_at_ms=now)
    session_id = session.session_id

    def write(cursor: Cursor) -> None:
        SESSIONS.update(cursor, session_id, changed)
        first = next_message_sequence(cursor, session_id)
        for offset, line in enumerate(outcome.transcript):
            sequence = first + offset
            message = SessionMessage(
                message_id=turn_message_id(session_id, sequence),
                kind=line.kind,
                sequence=sequence,
                turn_index=outcome.result.turn_index,
                recorded_at_ms=now,
                created_at_ms=now,
                updated_at_ms=now,
                speaker_id=line.speaker_id,
                speaker_name=line.speaker_name,
                text=line.text,
            )
            SESSION_MESSAGES.insert(cursor, session_id, message)
        for action in outcome.new_session_characters:
            character_id = action.session_character_id
            if SESSION_CHARACTERS.get(cursor, session_id, character_id) is not None:
                continue  # re-entered: the stored record is not changed (§7.10)
            created_at_ms = outcome.created_at_ms.get(character_id, now)
            record = SessionCharacterRecord(
                session_character_id=character_id,
                session_id=session_id,
                display_name=action.display_name,
                personality=action.personality,
                style=action.style,
                system_prompt=action.system_prompt,
                created_at_ms=created_at_ms,
                updated_at_ms=created_at_ms,
            )
            SESSION_CHARACTERS.insert(cursor, session_id, record)

    await services.store.write(write)
    return changed
