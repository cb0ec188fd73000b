"""What a turn reads before it starts, and how its outcome is stored (PROTOCOL §7.8, §7.9, §8.1, R4).

`load_turn_setup` builds the `TurnSetup` of a session, raising the setup errors of §8.1 in
their order; `commit_turn` writes a successful turn (snapshot and turn index, transcript
messages, new session characters, the lorebook activations) in one transaction. The turn
itself runs in between (`runtime.turns.run_turn`) and touches nothing stored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import attrs

from runtime.errors import BackendError, InvalidParams, NotFound
from runtime.graph import require_valid_story_graph
from runtime.llm import CallTags, ChatClient
from runtime.lore import StoryLore
from runtime.model.apis import Agent, ApiRecord
from runtime.model.cast import CastMember
from runtime.model.presets import AgentConfig
from runtime.model.schemas import StateFieldSchema
from runtime.model.sessions import SessionCharacterRecord, SessionMessage, SessionRecord
from runtime.model.stories import StoryRecord
from runtime.model.turn_records import TurnRecord
from runtime.prompt_context import DEFAULT_PLAYER_NAME
from runtime.services._generation_inputs import read_cast_member
from runtime.services._services import Services
from runtime.store import Cursor, references
from runtime.store.apis import API_GROUPS, APIS
from runtime.store.lore_activations import record_turn_lore
from runtime.store.lorebooks import read_story_lore
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
from runtime.store.turn_records import insert_turn_record
from runtime.turns import TurnOutcome, TurnSetup

TURN_AGENTS: tuple[Agent, ...] = (Agent.DIRECTOR, Agent.ACTOR, Agent.NARRATOR, Agent.KEEPER)
"""The agents a turn calls: they get clients."""

REPLY_AGENTS: tuple[Agent, ...] = (Agent.REPLYER,)

RUNTIME_GRAPH_ERROR = "failed to build runtime graph: "

TURN_CHANGED_COLUMNS = ("turn_index", "updated_at_ms")
"""The promoted columns of a session that a turn changes (besides its document)."""


@attrs.frozen
class _StoryWorld:
    """A story and its cast (§8.1 step 2): the same for every session of the story."""

    story: StoryRecord
    story_cast: dict[str, CastMember]
    lorebook_ids: tuple[str, ...]


@attrs.frozen
class _Bindings:
    """What a session's bindings resolve to (§8.1 steps 3–4), for one story."""

    world_fields: dict[str, StateFieldSchema]
    player_fields: dict[str, StateFieldSchema]
    lore_entries: StoryLore
    player_name: str
    agents: dict[str, AgentConfig]
    apis: dict[Agent, ApiRecord]


@attrs.frozen
class SessionLedger:
    """What a session's owner keeps beside its record so that a turn reads no session data:
    the session characters as cast members, and the sequence the transcript continues at.
    Valid until anything but a turn of the owner changes the session's messages or characters."""

    session_cast: dict[str, CastMember]
    next_sequence: int


# -- setup ---------------------------------------------------------------------------------


def check_player_input(player_input: str, limit_chars: int) -> None:
    """A player input longer than the configured limit is refused (-32602). Empty input is
    allowed (§6.15: it is not checked for emptiness)."""
    if len(player_input) > limit_chars:
        raise InvalidParams(f"player_input must be at most {limit_chars} characters, got {len(player_input)}")


async def read_ledger(
    services: Services, session_id: str, *, with_record: bool = False
) -> tuple[SessionRecord | None, SessionLedger]:
    """The session characters and the next transcript sequence of a session, as stored; with
    the session record too when asked (one read for an owner that holds neither yet).

    Raises NotFound `session '{id}' not found` when `with_record` and the session is missing.
    """

    def query(cursor: Cursor) -> tuple[SessionRecord | None, SessionLedger]:
        record = SESSIONS.require(cursor, session_id) if with_record else None
        return record, SessionLedger(_session_cast(cursor, session_id), next_message_sequence(cursor, session_id))

    return await services.store.read(query)


async def load_turn_setup(
    services: Services,
    session: SessionRecord,
    client_agents: Collection[Agent] = TURN_AGENTS,
    *,
    preset_id: str | None = None,
    session_cast: Mapping[str, CastMember] | None = None,
) -> TurnSetup:
    """The `TurnSetup` of `session` as its owner holds it (§8.1 steps 2–4).

    Reads the story, the cast (story characters with their schemas, then the session
    characters, unless `session_cast` gives them), the world and player schemas, the lore of
    the story's lorebooks, the api group, the preset (the session's, or `preset_id`) and the
    seven bound apis; builds a chat client for each of `client_agents`, tagged with the
    session and the turn about to run. What is not session data comes from the store's read
    cache, so the turns of many sessions of one story share one read until something changes.

    Raises NotFound (story, story resources, character, schema, lorebook, api group, preset,
    `unknown llm api id: {id}`), InvalidParams (`invalid story graph: …`, preset or client
    configuration errors) and BackendError (`failed to build runtime graph: …`,
    `missing character card for id '{id}'`). Changes nothing.
    """
    store = services.store
    story_id = session.story_id
    world = await store.read_cached(("turn.story", story_id), lambda cursor: _read_story_world(cursor, story_id))
    if session_cast is None:
        session_cast = await store.read(lambda cursor: _session_cast(cursor, session.session_id))
    _check_runtime_state(services, session, world, session_cast)
    preset_id = preset_id or session.preset_id
    story = world.story
    bindings = await store.read_cached(
        (
            "turn.bindings",
            story.world_schema_id,
            story.player_schema_id,
            world.lorebook_ids,
            session.api_group_id,
            preset_id,
            session.player_profile_id,
        ),
        lambda cursor: _read_bindings(cursor, world, session.api_group_id, preset_id, session.player_profile_id),
    )
    tags = CallTags(session_id=session.session_id, turn_index=session.snapshot.turn_index + 1)
    clients = {agent.value: _client(services, bindings.apis[agent], tags) for agent in client_agents}
    return TurnSetup(
        session_id=session.session_id,
        snapshot=session.snapshot,
        graph=world.story.graph,
        story_cast=world.story_cast,
        session_cast=session_cast,
        player_name=bindings.player_name,
        world_fields=bindings.world_fields,
        player_fields=bindings.player_fields,
        lore_entries=bindings.lore_entries,
        agents=bindings.agents,
        clients=clients,
        call_tags=tags,
        clock=services.clock,
        lore_seed=services.seeds.next_seed(),
    )


def _client(services: Services, api: ApiRecord, tags: CallTags) -> ChatClient:
    if services.llm is None:
        raise BackendError("no llm clients are configured in this process")
    return services.llm.client_for(api, tags)


def _read_story_world(cursor: Cursor, story_id: str) -> _StoryWorld:
    story = STORIES.require(cursor, story_id)
    resources = STORY_RESOURCES.require(cursor, story.resource_id)
    story_cast = {character_id: read_cast_member(cursor, character_id) for character_id in resources.character_ids}
    return _StoryWorld(story, story_cast, tuple(resources.lorebook_ids))


def _session_cast(cursor: Cursor, session_id: str) -> dict[str, CastMember]:
    return {
        record.session_character_id: session_cast_member(record)
        for record in SESSION_CHARACTERS.list(cursor, session_id)
    }


def _read_bindings(
    cursor: Cursor, world: _StoryWorld, api_group_id: str, preset_id: str, player_profile_id: str | None
) -> _Bindings:
    group = API_GROUPS.require(cursor, api_group_id)
    preset = read_preset(cursor, preset_id)
    story = world.story
    return _Bindings(
        world_fields=SCHEMAS.require(cursor, story.world_schema_id).fields,
        player_fields=SCHEMAS.require(cursor, story.player_schema_id).fields,
        lore_entries=read_story_lore(cursor, world.lorebook_ids),
        player_name=_player_name(cursor, player_profile_id),
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
    services: Services, session: SessionRecord, world: _StoryWorld, session_cast: Mapping[str, CastMember]
) -> None:
    """§7.8 on load: unique cast ids, a graph valid for the cast, the snapshot of this story,
    active ids in the cast. Runs before the bindings are read (§8.1 step 2 before step 3)."""
    story_cast = world.story_cast
    duplicates = sorted(story_cast.keys() & session_cast.keys())
    if duplicates:
        raise BackendError(f"{RUNTIME_GRAPH_ERROR}duplicate character id '{duplicates[0]}' in the cast")
    cast_ids = (*story_cast, *session_cast)
    # Validating a large graph takes milliseconds: done once per cached story and cast.
    services.store.derived(
        world, ("graph valid for", cast_ids), lambda: require_valid_story_graph(world.story.graph, list(cast_ids))
    )
    snapshot = session.snapshot
    if snapshot.story_id != world.story.story_id:
        raise BackendError(
            f"{RUNTIME_GRAPH_ERROR}snapshot belongs to story '{snapshot.story_id}', not '{world.story.story_id}'"
        )
    for character_id in snapshot.world_state.active_characters:
        if character_id not in story_cast and character_id not in session_cast:
            raise BackendError(f"missing character card for id '{character_id}'")


# -- commit --------------------------------------------------------------------------------


async def commit_turn(
    services: Services,
    session: SessionRecord,
    outcome: TurnOutcome,
    *,
    first_sequence: int,
    turn_record: TurnRecord | None = None,
) -> SessionRecord:
    """Persist a successful turn atomically (R4, §7.9): the final snapshot (and so the turn
    index and the lore timers), the transcript messages numbered from `first_sequence` (the
    owner's ledger knows where the transcript ends), the session characters the turn created,
    the lorebook activations of the turn and its `turn_record` for analytics. Returns the session
    as now stored.

    Raises BackendError when the write fails; then nothing was written.
    """
    now = services.clock.now_ms()
    changed = attrs.evolve(session, snapshot=outcome.result.snapshot, updated_at_ms=now)
    session_id = session.session_id
    messages = [
        SessionMessage(
            message_id=turn_message_id(session_id, first_sequence + offset),
            kind=line.kind,
            sequence=first_sequence + offset,
            turn_index=outcome.result.turn_index,
            recorded_at_ms=now,
            created_at_ms=now,
            updated_at_ms=now,
            speaker_id=line.speaker_id,
            speaker_name=line.speaker_name,
            text=line.text,
        )
        for offset, line in enumerate(outcome.transcript)
    ]

    node = outcome.result.snapshot.world_state.current_node

    def write(cursor: Cursor) -> None:
        # `story.update_graph` refuses to remove a node a session stands on, but a turn that was
        # running meanwhile moved on in the old graph: it fails rather than strand the session.
        if references.story_lacks_node(cursor, session.story_id, node):
            raise BackendError(f"the story graph changed during the turn: node '{node}' was removed")
        SESSIONS.update(cursor, session_id, changed, changed=TURN_CHANGED_COLUMNS)
        SESSION_MESSAGES.insert_many(cursor, session_id, messages)
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
        if outcome.lore is not None:
            record_turn_lore(cursor, session_id, outcome.result.turn_index, outcome.lore, now)
        if turn_record is not None:
            insert_turn_record(cursor, turn_record)

    await services.store.write(write, session_data_only=True)
    return changed
