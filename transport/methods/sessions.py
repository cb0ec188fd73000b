"""Registrations of `story.start_session`, `session.*`, `session_character.*` and `session_message.*`.

Changes of a session go to its owner (`Services.sessions`, the session actors) so they apply
one at a time in arrival order; reads go straight to the services and see the last committed
state (PROTOCOL §4.9). `session.run_turn` answers with the SSE stream of §4.
"""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import trio

from runtime.errors import BackendError
from runtime.model import sessions as model
from runtime.model.stories import StartSessionParams
from runtime.services import Services, session_records, sessions
from runtime.services.session_owner import SessionOperation, SessionOwner, TurnAborted, TurnFrame, TurnSucceeded
from runtime.services.session_turns import check_player_input
from transport.registry import Call, Handler, Method, NoParams, Reply, RequestId, SessionUse, Streamed, StreamEnd
from transport.sse import TurnFramer, ack_frame

REQUIRED = SessionUse.REQUIRED
STOPPED_MID_TURN = "turn failed: the session stopped before the turn ended"
FRAME_BATCH_S = 0.005
"""How long a turn stream's frames may wait to share one write (see `turn_stream`)."""


def _owner(call: Call) -> SessionOwner:
    if call.services.sessions is None:
        raise BackendError("sessions are not served by this process")
    return call.services.sessions


def read(operation: Callable[[Services, str], Awaitable[Any]]) -> Handler:
    """A read of the envelope's session, without params."""

    @functools.wraps(operation)  # its docstring is the method's summary
    async def handler(call: Call, params: NoParams) -> Any:
        return await operation(call.services, call.require_session())

    return handler


def read_with(operation: Callable[[Services, str, Any], Awaitable[Any]]) -> Handler:
    """A read of the envelope's session, with params."""

    @functools.wraps(operation)  # its docstring is the method's summary
    async def handler(call: Call, params: Any) -> Any:
        return await operation(call.services, call.require_session(), params)

    return handler


def change(operation: SessionOperation[Any]) -> Handler:
    """A change of the envelope's session, applied by its owner after the earlier ones."""

    @functools.wraps(operation)  # its docstring is the method's summary
    async def handler(call: Call, params: Any) -> Any:
        session_id = call.require_session()
        return await _owner(call).change(session_id, operation, params)

    return handler


async def start_session(call: Call, params: StartSessionParams) -> Reply:
    """Start a session of a story; the new session's id comes back in the envelope's `session_id`."""
    started = await sessions.start_session(call.services, params)
    return Reply(started.payload, session_id=started.session_id)  # the new id travels in the envelope


async def list_sessions(call: Call, params: NoParams) -> model.SessionsListed:
    """Every session's summary, sorted by id."""
    return await sessions.list_sessions(call.services)


async def delete_session(call: Call, params: NoParams) -> model.SessionDeleted:
    """Delete the session with its transcript and session characters."""
    return await _owner(call).delete(call.require_session())


async def update_variables(call: Call, params: model.UpdateVariablesParams) -> model.SessionVariables:
    """Change the session's state with state operations (set, add, remove …)."""
    session_id = call.require_session()
    sessions.check_variable_update(params.update)  # before the session is looked up (§6.15)
    return await _owner(call).change(session_id, sessions.update_variables, params)


async def suggest_replies(call: Call, params: model.SuggestRepliesParams) -> model.SuggestedReplies:
    """Ask the Replyer for a few replies the player could give next."""
    sessions.check_reply_limit(params.limit)  # before anything else (§13)
    return await sessions.suggest_session_replies(call.services, call.require_session(), params)


async def run_turn(call: Call, params: model.RunTurnParams) -> Streamed:
    """Play one turn: the player's input goes in, the turn comes back as a Server-Sent-Events stream.

    Set the turn up (errors are unary answers, §4.8), then stream it (§4.1–§4.3).
    """
    session_id = call.require_session()
    check_player_input(params.player_input, call.services.limits.max_player_input_chars)
    frames = await _owner(call).start_turn(session_id, params.player_input)
    end = StreamEnd()
    return Streamed(turn_stream(frames, call.request_id, session_id, end), end)


async def turn_stream(
    frames: trio.MemoryReceiveChannel[TurnFrame], request_id: RequestId, session_id: str, end: StreamEnd
) -> AsyncGenerator[bytes, None]:
    """`ack`, `started`, one `message` per event, then `completed` or `failed`, and the end.

    The `ack` goes out at once; later frames are sent in small batches: a write goes out
    FRAME_BATCH_S after the first frame it holds (the terminal frame at once), so a burst of
    deltas costs one socket write instead of one each, and no event waits longer than that.
    A client that leaves closes this generator and with it the channel: the turn goes on, and
    its remaining frames are dropped (R5).
    """
    framer = TurnFramer(request_id, session_id)
    with frames:
        yield ack_frame(request_id, session_id) + framer.started()
        chunk: list[bytes] = []
        send_at = math.inf  # while the chunk is empty
        while True:
            frame: TurnFrame | None = None
            try:
                with trio.move_on_at(send_at):
                    frame = await frames.receive()
            except trio.EndOfChannel:
                end.outcome = BackendError.code
                yield b"".join([*chunk, framer.failed(BackendError.code, STOPPED_MID_TURN)])
                return
            if frame is None:  # the batch is due
                yield b"".join(chunk)
                chunk, send_at = [], math.inf
                continue
            if not chunk:
                send_at = trio.current_time() + FRAME_BATCH_S
            chunk.append(_encode(framer, frame))
            if isinstance(frame, (TurnSucceeded, TurnAborted)):
                end.outcome = "ok" if isinstance(frame, TurnSucceeded) else frame.code
                yield b"".join(chunk)
                return


def _encode(framer: TurnFramer, frame: TurnFrame) -> bytes:
    if isinstance(frame, TurnSucceeded):
        return framer.completed(frame.result)
    if isinstance(frame, TurnAborted):
        return framer.failed(frame.code, frame.message)
    return framer.event(frame)


def _session_method(name: str, params: type, tag: str, payload: type, handler: Handler) -> Method:
    return Method(name, params, tag, payload, handler, session=REQUIRED)


METHODS = [
    Method("story.start_session", StartSessionParams, "session_started", model.SessionStarted, start_session),
    _session_method("session.get", NoParams, "session", model.SessionDetail, read(sessions.get_session)),
    _session_method(
        "session.update", model.SessionUpdateParams, "session", model.SessionDetail, change(sessions.rename_session)
    ),
    Method("session.list", NoParams, "sessions_listed", model.SessionsListed, list_sessions),
    _session_method("session.delete", NoParams, "session_deleted", model.SessionDeleted, delete_session),
    Method(
        "session.run_turn",
        model.RunTurnParams,
        "turn_stream_accepted",
        None,
        run_turn,
        session=REQUIRED,
        streaming=True,
    ),
    _session_method(
        "session.suggest_replies",
        model.SuggestRepliesParams,
        "suggested_replies",
        model.SuggestedReplies,
        suggest_replies,
    ),
    _session_method(
        "session.set_player_profile",
        model.SetPlayerProfileParams,
        "session",
        model.SessionDetail,
        change(sessions.set_player_profile),
    ),
    _session_method(
        "session.update_player_description",
        model.UpdatePlayerDescriptionParams,
        "player_description_updated",
        model.PlayerDescriptionUpdated,
        change(sessions.update_player_description),
    ),
    _session_method(
        "session.get_runtime_snapshot",
        NoParams,
        "runtime_snapshot",
        model.RuntimeSnapshotPayload,
        read(sessions.get_runtime_snapshot),
    ),
    _session_method(
        "session.get_variables", NoParams, "session_variables", model.SessionVariables, read(sessions.get_variables)
    ),
    _session_method(
        "session.update_variables",
        model.UpdateVariablesParams,
        "session_variables",
        model.SessionVariables,
        update_variables,
    ),
    _session_method("session.get_config", NoParams, "session_config", model.SessionConfig, read(sessions.get_config)),
    _session_method(
        "session.update_config",
        model.UpdateSessionConfigParams,
        "session_config",
        model.SessionConfig,
        change(sessions.update_config),
    ),
    _session_method(
        "session_character.get",
        model.SessionCharacterIdParams,
        "session_character",
        model.SessionCharacter,
        read_with(session_records.get_session_character),
    ),
    _session_method(
        "session_character.list",
        NoParams,
        "session_characters_listed",
        model.SessionCharactersListed,
        read(session_records.list_session_characters),
    ),
    _session_method(
        "session_character.update",
        model.SessionCharacterUpdateParams,
        "session_character",
        model.SessionCharacter,
        change(session_records.update_session_character),
    ),
    _session_method(
        "session_character.delete",
        model.SessionCharacterIdParams,
        "session_character_deleted",
        model.SessionCharacterDeleted,
        change(session_records.delete_session_character),
    ),
    _session_method(
        "session_character.enter_scene",
        model.SessionCharacterIdParams,
        "session_character",
        model.SessionCharacter,
        change(session_records.enter_scene),
    ),
    _session_method(
        "session_character.leave_scene",
        model.SessionCharacterIdParams,
        "session_character",
        model.SessionCharacter,
        change(session_records.leave_scene),
    ),
    _session_method(
        "session_message.create",
        model.SessionMessageCreateParams,
        "session_message",
        model.SessionMessage,
        change(session_records.create_message),
    ),
    _session_method(
        "session_message.get",
        model.SessionMessageIdParams,
        "session_message",
        model.SessionMessage,
        read_with(session_records.get_message),
    ),
    _session_method(
        "session_message.list",
        NoParams,
        "session_messages_listed",
        model.SessionMessagesListed,
        read(session_records.list_messages),
    ),
    _session_method(
        "session_message.update",
        model.SessionMessageUpdateParams,
        "session_message",
        model.SessionMessage,
        change(session_records.update_message),
    ),
    _session_method(
        "session_message.delete",
        model.SessionMessageIdParams,
        "session_message_deleted",
        model.SessionMessageDeleted,
        change(session_records.delete_message),
    ),
]
