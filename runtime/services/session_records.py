"""A session's transcript and session characters: `session_message.*` and `session_character.*`
(PROTOCOL §6.16, §7.9, §7.10).

Reads take the session id and read the last committed state. Changes take the session record
as its actor holds it and return a `SessionChange`; each runs in one write transaction.
Transcript edits never replay or change the snapshot.
"""

from __future__ import annotations

import attrs

from runtime.errors import NotFound
from runtime.model.sessions import (
    SessionCharacter,
    SessionCharacterDeleted,
    SessionCharacterIdParams,
    SessionCharacterRecord,
    SessionCharactersListed,
    SessionCharacterUpdateParams,
    SessionMessage,
    SessionMessageCreateParams,
    SessionMessageDeleted,
    SessionMessageIdParams,
    SessionMessagesListed,
    SessionMessageUpdateParams,
    SessionRecord,
)
from runtime.model.state import RemoveActiveCharacter, WorldState
from runtime.services._services import Services
from runtime.services.session_owner import SessionChange
from runtime.services.sessions import save_session
from runtime.state import apply_state_op
from runtime.store import Cursor, allocate_id
from runtime.store.sessions import (
    SESSION_CHARACTERS,
    SESSION_MESSAGE_ID_PREFIX,
    SESSION_MESSAGES,
    SESSIONS,
    message_id_taken,
    next_message_sequence,
)

SESSION_CHARACTER = "session character"
SESSION_MESSAGE = "session message"


# -- session characters --------------------------------------------------------------------


def session_character_payload(record: SessionCharacterRecord, session: SessionRecord) -> SessionCharacter:
    """The payload: `in_scene` is whether the id is active in the session's snapshot."""
    return SessionCharacter(
        session_character_id=record.session_character_id,
        display_name=record.display_name,
        personality=record.personality,
        style=record.style,
        system_prompt=record.system_prompt,
        in_scene=record.session_character_id in session.snapshot.world_state.active_characters,
        created_at_ms=record.created_at_ms,
        updated_at_ms=record.updated_at_ms,
    )


def _require_character(cursor: Cursor, session_id: str, character_id: str) -> SessionCharacterRecord:
    """The session's character; one of another session is not found either."""
    record = SESSION_CHARACTERS.get(cursor, session_id, character_id)
    if record is None:
        raise NotFound.record(SESSION_CHARACTER, character_id)
    return record


async def get_session_character(
    services: Services, session_id: str, params: SessionCharacterIdParams
) -> SessionCharacter:
    """One of the session's own characters (those the Director brought in during play)."""

    def read(cursor: Cursor) -> SessionCharacter:
        session = SESSIONS.require(cursor, session_id)
        return session_character_payload(_require_character(cursor, session_id, params.session_character_id), session)

    return await services.store.read(read)


async def list_session_characters(services: Services, session_id: str) -> SessionCharactersListed:
    """The session's own characters, in the order they appeared.

    Ordered by `created_at_ms`, then id (R13).
    """

    def read(cursor: Cursor) -> SessionCharactersListed:
        session = SESSIONS.require(cursor, session_id)
        records = SESSION_CHARACTERS.list(cursor, session_id)
        return SessionCharactersListed([session_character_payload(record, session) for record in records])

    return await services.store.read(read)


async def update_session_character(
    services: Services, session: SessionRecord, params: SessionCharacterUpdateParams
) -> SessionChange[SessionCharacter]:
    """Rewrite one of the session's own characters: name, personality, style, system prompt.

    Rewrite the card's four texts and its `updated_at_ms`.
    """
    now = services.clock.now_ms()

    def write(cursor: Cursor) -> SessionCharacterRecord:
        record = _require_character(cursor, session.session_id, params.session_character_id)
        changed = attrs.evolve(
            record,
            display_name=params.display_name,
            personality=params.personality,
            style=params.style,
            system_prompt=params.system_prompt,
            updated_at_ms=now,
        )
        SESSION_CHARACTERS.update(cursor, session.session_id, changed)
        return changed

    record = await services.store.write(write)
    return SessionChange(session, session_character_payload(record, session))


async def delete_session_character(
    services: Services, session: SessionRecord, params: SessionCharacterIdParams
) -> SessionChange[SessionCharacterDeleted]:
    """Remove one of the session's own characters.

    Delete the card and forget the id in the snapshot: active characters, its state and memory.
    """
    character_id = params.session_character_id
    changed = attrs.evolve(
        session,
        snapshot=attrs.evolve(
            session.snapshot, world_state=_without_character(session.snapshot.world_state, character_id)
        ),
        updated_at_ms=services.clock.now_ms(),
    )

    def write(cursor: Cursor) -> None:
        if not SESSION_CHARACTERS.delete(cursor, session.session_id, character_id):
            raise NotFound.record(SESSION_CHARACTER, character_id)
        save_session(cursor, changed)

    await services.store.write(write)
    return SessionChange(changed, SessionCharacterDeleted(character_id))


def _without_character(world: WorldState, character_id: str) -> WorldState:
    return attrs.evolve(
        world,
        active_characters=[active for active in world.active_characters if active != character_id],
        character_state={key: value for key, value in world.character_state.items() if key != character_id},
        actor_private_memory={key: value for key, value in world.actor_private_memory.items() if key != character_id},
    )


async def enter_scene(
    services: Services, session: SessionRecord, params: SessionCharacterIdParams
) -> SessionChange[SessionCharacter]:
    """Put a session character into the current scene.

    Append the id to `active_characters` unless it is there; bumps the session's `updated_at_ms`.
    """
    world = session.snapshot.world_state
    if params.session_character_id not in world.active_characters:
        world = attrs.evolve(world, active_characters=[*world.active_characters, params.session_character_id])
    return await _move_character(services, session, params.session_character_id, world)


async def leave_scene(
    services: Services, session: SessionRecord, params: SessionCharacterIdParams
) -> SessionChange[SessionCharacter]:
    """Take a session character out of the current scene.

    Remove the id from `active_characters`; bumps the session's `updated_at_ms`.
    """
    world = apply_state_op(session.snapshot.world_state, RemoveActiveCharacter(params.session_character_id))
    return await _move_character(services, session, params.session_character_id, world)


async def _move_character(
    services: Services, session: SessionRecord, character_id: str, world: WorldState
) -> SessionChange[SessionCharacter]:
    changed = attrs.evolve(
        session,
        snapshot=attrs.evolve(session.snapshot, world_state=world),
        updated_at_ms=services.clock.now_ms(),
    )

    def write(cursor: Cursor) -> SessionCharacterRecord:
        record = _require_character(cursor, session.session_id, character_id)
        save_session(cursor, changed)
        return record

    record = await services.store.write(write)
    return SessionChange(changed, session_character_payload(record, changed))


# -- transcript ----------------------------------------------------------------------------


def _require_message(cursor: Cursor, session_id: str, message_id: str) -> SessionMessage:
    message = SESSION_MESSAGES.get(cursor, session_id, message_id)
    if message is None:
        raise NotFound.record(SESSION_MESSAGE, message_id)
    return message


async def get_message(services: Services, session_id: str, params: SessionMessageIdParams) -> SessionMessage:
    """One message of the session's transcript.

    Only checks that the message belongs to the session (§6.16), not that the session exists.
    """
    return await services.store.read(lambda cursor: _require_message(cursor, session_id, params.message_id))


async def list_messages(services: Services, session_id: str) -> SessionMessagesListed:
    """The session's transcript, in order.

    Ordered by `sequence`.
    """

    def read(cursor: Cursor) -> SessionMessagesListed:
        SESSIONS.require(cursor, session_id)
        return SessionMessagesListed(SESSION_MESSAGES.list(cursor, session_id))

    return await services.store.read(read)


async def create_message(
    services: Services, session: SessionRecord, params: SessionMessageCreateParams
) -> SessionChange[SessionMessage]:
    """Add a message to the session's transcript, after the last one.

    Append after the highest sequence, at the snapshot's turn, with id `session-message-N` (R1).
    """
    now = services.clock.now_ms()
    changed = attrs.evolve(session, updated_at_ms=now)
    session_id = session.session_id

    def write(cursor: Cursor) -> SessionMessage:
        message = SessionMessage(
            message_id=allocate_id(
                cursor, SESSION_MESSAGE_ID_PREFIX, lambda candidate: message_id_taken(cursor, candidate)
            ),
            kind=params.kind,
            sequence=next_message_sequence(cursor, session_id),
            turn_index=session.snapshot.turn_index,
            recorded_at_ms=now,
            created_at_ms=now,
            updated_at_ms=now,
            speaker_id=params.speaker_id,
            speaker_name=params.speaker_name,
            text=params.text,
        )
        SESSION_MESSAGES.insert(cursor, session_id, message)
        save_session(cursor, changed)
        return message

    return SessionChange(changed, await services.store.write(write))


async def update_message(
    services: Services, session: SessionRecord, params: SessionMessageUpdateParams
) -> SessionChange[SessionMessage]:
    """Rewrite a message of the session's transcript.

    Rewrite kind, speaker and text; sequence and turn stay.
    """
    now = services.clock.now_ms()
    changed = attrs.evolve(session, updated_at_ms=now)

    def write(cursor: Cursor) -> SessionMessage:
        message = attrs.evolve(
            _require_message(cursor, session.session_id, params.message_id),
            kind=params.kind,
            speaker_id=params.speaker_id,
            speaker_name=params.speaker_name,
            text=params.text,
            updated_at_ms=now,
        )
        SESSION_MESSAGES.update(cursor, session.session_id, message)
        save_session(cursor, changed)
        return message

    return SessionChange(changed, await services.store.write(write))


async def delete_message(
    services: Services, session: SessionRecord, params: SessionMessageIdParams
) -> SessionChange[SessionMessageDeleted]:
    """Remove a message from the session's transcript."""
    changed = attrs.evolve(session, updated_at_ms=services.clock.now_ms())

    def write(cursor: Cursor) -> None:
        if not SESSION_MESSAGES.delete(cursor, session.session_id, params.message_id):
            raise NotFound.record(SESSION_MESSAGE, params.message_id)
        save_session(cursor, changed)

    await services.store.write(write)
    return SessionChange(changed, SessionMessageDeleted(params.message_id))
