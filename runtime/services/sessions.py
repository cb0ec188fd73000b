"""Sessions: `story.start_session` and the `session.*` operations (PROTOCOL §6.15, §7.8).

Two kinds of operations live here. Reads (`get_session`, `list_sessions`, …) take a session
id and read the last committed state. Changes (`rename_session`, `update_variables`, …)
take the session record as its owner holds it and return a `SessionChange`: the record after
the change (already written, in one transaction) and the payload to answer with. The
session's actor (`actors.sessions`) calls the changes one at a time, so they never race.
"""

from __future__ import annotations

import attrs

from runtime.errors import InvalidParams, NotFound
from runtime.model.sessions import (
    PlayerDescriptionUpdated,
    RuntimeSnapshotPayload,
    SessionConfig,
    SessionDeleted,
    SessionDetail,
    SessionRecord,
    SessionsListed,
    SessionSummary,
    SessionUpdateParams,
    SessionVariables,
    SetPlayerProfileParams,
    SuggestedReplies,
    SuggestRepliesParams,
    UpdatePlayerDescriptionParams,
    UpdateSessionConfigParams,
    UpdateVariablesParams,
)
from runtime.model.state import VARIABLE_OPS, RuntimeSnapshot, StateUpdate
from runtime.model.stories import StartSessionParams
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.services.session_owner import SessionChange
from runtime.services.session_start import StartedSession, insert_new_session
from runtime.services.session_turns import REPLY_AGENTS, load_turn_setup
from runtime.state import apply_state_update
from runtime.store import Cursor
from runtime.store.apis import API_GROUPS
from runtime.store.lore_activations import delete_session_lore
from runtime.store.player_profiles import PLAYER_PROFILES
from runtime.store.presets import PRESETS
from runtime.store.sessions import SESSION_CHARACTERS, SESSION_MESSAGES, SESSIONS
from runtime.turns import suggest_replies

SESSION = "session"
REPLY_LIMIT_MIN = 2
REPLY_LIMIT_MAX = 5


# -- payloads ----------------------------------------------------------------------------


def session_config(session: SessionRecord) -> SessionConfig:
    return SessionConfig(session.api_group_id, session.preset_id)


def session_variables(snapshot: RuntimeSnapshot) -> SessionVariables:
    world = snapshot.world_state
    return SessionVariables(world.custom, world.player_state, world.character_state)


def session_summary(session: SessionRecord) -> SessionSummary:
    return SessionSummary(
        session_id=session.session_id,
        story_id=session.story_id,
        display_name=session.display_name,
        player_profile_id=session.player_profile_id,
        player_schema_id=session.player_schema_id,
        api_group_id=session.api_group_id,
        preset_id=session.preset_id,
        turn_index=session.snapshot.turn_index,
        created_at_ms=session.created_at_ms,
        updated_at_ms=session.updated_at_ms,
    )


def read_session_detail(cursor: Cursor, session: SessionRecord) -> SessionDetail:
    """The `session` payload: the record plus its transcript, ordered by sequence."""
    return SessionDetail(
        session_id=session.session_id,
        story_id=session.story_id,
        display_name=session.display_name,
        player_profile_id=session.player_profile_id,
        player_schema_id=session.player_schema_id,
        api_group_id=session.api_group_id,
        preset_id=session.preset_id,
        snapshot=session.snapshot,
        history=SESSION_MESSAGES.list(cursor, session.session_id),
        created_at_ms=session.created_at_ms,
        updated_at_ms=session.updated_at_ms,
        config=session_config(session),
    )


def save_session(cursor: Cursor, session: SessionRecord) -> None:
    SESSIONS.update(cursor, session.session_id, session)


# -- start -------------------------------------------------------------------------------


async def start_session(services: Services, params: StartSessionParams) -> StartedSession:
    """Create a session of a story (§6.15, §7.8): binding resolved, state seeded (R6).

    Raises NotFound (story, api group, preset, player profile, character, schema, story
    resources), Conflict when no binding can be picked, InvalidParams for a graph that does
    not fit the cast. Writes the session, or nothing.
    """
    now = services.clock.now_ms()
    return await services.store.write(lambda cursor: insert_new_session(cursor, params, now))


# -- reads -------------------------------------------------------------------------------


async def load_session(services: Services, session_id: str) -> SessionRecord:
    """The stored session, or NotFound `session '{id}' not found`."""
    return await services.store.read(lambda cursor: SESSIONS.require(cursor, session_id))


async def get_session(services: Services, session_id: str) -> SessionDetail:
    """The session named by the envelope's `session_id`: its settings, runtime snapshot and transcript."""

    def read(cursor: Cursor) -> SessionDetail:
        return read_session_detail(cursor, SESSIONS.require(cursor, session_id))

    return await services.store.read(read)


async def list_sessions(services: Services) -> SessionsListed:
    records = await services.store.read(SESSIONS.list)
    return SessionsListed([session_summary(record) for record in records])


async def get_variables(services: Services, session_id: str) -> SessionVariables:
    """The session's variables: custom ones, the player's state and each character's state."""
    return session_variables((await load_session(services, session_id)).snapshot)


async def get_config(services: Services, session_id: str) -> SessionConfig:
    """Which api group and preset the session uses."""
    return session_config(await load_session(services, session_id))


async def get_runtime_snapshot(services: Services, session_id: str) -> RuntimeSnapshotPayload:
    """The session's runtime snapshot: current node, state, active characters, memories."""
    return RuntimeSnapshotPayload((await load_session(services, session_id)).snapshot)


def check_reply_limit(limit: int) -> None:
    """§13 step 1, before anything else: 2..=5."""
    if not REPLY_LIMIT_MIN <= limit <= REPLY_LIMIT_MAX:
        raise InvalidParams(
            f"suggested reply limit must be between {REPLY_LIMIT_MIN} and {REPLY_LIMIT_MAX}, got {limit}"
        )


async def suggest_session_replies(
    services: Services, session_id: str, params: SuggestRepliesParams
) -> SuggestedReplies:
    """Reply suggestions for the player (§13) from the last committed state. Stores nothing.

    Raises InvalidParams for a bad limit (checked first), the setup errors of §8.1 for the
    Replyer, and ProviderError when the Replyer fails.
    """
    check_reply_limit(params.limit)
    session = await load_session(services, session_id)
    setup = await load_turn_setup(services, session, REPLY_AGENTS)
    messages = await services.store.read(lambda cursor: SESSION_MESSAGES.list(cursor, session_id))
    return await suggest_replies(setup, messages, params.limit)


# -- changes (called by the session's actor, one at a time) ------------------------------


async def rename_session(
    services: Services, session: SessionRecord, params: SessionUpdateParams
) -> SessionChange[SessionDetail]:
    """Rename the session.

    Only the display name changes, and `updated_at_ms`.
    """
    changed = attrs.evolve(session, display_name=params.display_name, updated_at_ms=services.clock.now_ms())

    def write(cursor: Cursor) -> SessionDetail:
        save_session(cursor, changed)
        return read_session_detail(cursor, changed)

    return SessionChange(changed, await services.store.write(write))


async def set_player_profile(
    services: Services, session: SessionRecord, params: SetPlayerProfileParams
) -> SessionChange[SessionDetail]:
    """Play the session as a stored player profile, or as no one.

    With an id: that profile (40404 if missing) and its description; without: none and `""`.

    `player_state` is never touched.
    """
    now = services.clock.now_ms()
    profile_id = params.player_profile_id

    def write(cursor: Cursor) -> tuple[SessionRecord, SessionDetail]:
        description = "" if profile_id is None else PLAYER_PROFILES.require(cursor, profile_id).description
        snapshot = attrs.evolve(session.snapshot, player_description=description)
        changed = attrs.evolve(session, player_profile_id=profile_id, snapshot=snapshot, updated_at_ms=now)
        save_session(cursor, changed)
        return changed, read_session_detail(cursor, changed)

    changed, detail = await services.store.write(write)
    return SessionChange(changed, detail)


async def update_player_description(
    services: Services, session: SessionRecord, params: UpdatePlayerDescriptionParams
) -> SessionChange[PlayerDescriptionUpdated]:
    """Set the player's description in the session directly (no profile).

    Set the snapshot's description and clear the profile (prompts then say `User`).
    """
    snapshot = attrs.evolve(session.snapshot, player_description=params.player_description)
    changed = attrs.evolve(session, player_profile_id=None, snapshot=snapshot, updated_at_ms=services.clock.now_ms())
    await services.store.write(lambda cursor: save_session(cursor, changed))
    return SessionChange(changed, PlayerDescriptionUpdated(changed.snapshot))


def check_variable_update(update: StateUpdate) -> None:
    """Only the six variable ops (§7.4); checked before the session is looked up."""
    for op in update.ops:
        if not isinstance(op, VARIABLE_OPS):
            raise InvalidParams(f"invalid session variable update: op '{type(op).__name__}' is not allowed")


async def update_variables(
    services: Services, session: SessionRecord, params: UpdateVariablesParams
) -> SessionChange[SessionVariables]:
    """Apply the ops to the snapshot's variables in order; values are not checked against schemas."""
    check_variable_update(params.update)
    world = apply_state_update(session.snapshot.world_state, params.update)
    snapshot = attrs.evolve(session.snapshot, world_state=world)
    changed = attrs.evolve(session, snapshot=snapshot, updated_at_ms=services.clock.now_ms())
    await services.store.write(lambda cursor: save_session(cursor, changed))
    return SessionChange(changed, session_variables(snapshot))


async def update_config(
    services: Services, session: SessionRecord, params: UpdateSessionConfigParams
) -> SessionChange[SessionConfig]:
    """Change which api group and preset the session uses.

    Omitted ids keep their value; given ids are trimmed and must exist (40404).
    """
    api_group_id = None if params.api_group_id is None else require_id(params.api_group_id, "api_group_id")
    preset_id = None if params.preset_id is None else require_id(params.preset_id, "preset_id")
    now = services.clock.now_ms()

    def write(cursor: Cursor) -> SessionRecord:
        if api_group_id is not None and not API_GROUPS.exists(cursor, api_group_id):
            raise NotFound.record("api group", api_group_id)
        if preset_id is not None and not PRESETS.exists(cursor, preset_id):
            raise NotFound.record("preset", preset_id)
        changed = attrs.evolve(
            session,
            api_group_id=api_group_id or session.api_group_id,
            preset_id=preset_id or session.preset_id,
            updated_at_ms=now,
        )
        save_session(cursor, changed)
        return changed

    changed = await services.store.write(write)
    return SessionChange(changed, session_config(changed))


async def delete_session(services: Services, session_id: str) -> SessionChange[SessionDeleted]:
    """Delete the messages, session characters and lorebook activations, then the session;
    NotFound after the cascade when there was no session (the cascade then found nothing)."""

    def write(cursor: Cursor) -> bool:
        SESSION_MESSAGES.delete_all(cursor, session_id)
        SESSION_CHARACTERS.delete_all(cursor, session_id)
        delete_session_lore(cursor, session_id)
        return SESSIONS.delete(cursor, session_id)

    if not await services.store.write(write):
        raise NotFound.record(SESSION, session_id)
    return SessionChange(None, SessionDeleted(session_id))
