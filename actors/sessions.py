"""Session actors: one supervised actor per active session (ARCHITECTURE §1, PROTOCOL §4.9, R4, R5).

A `SessionActor` owns one session's record (its snapshot included) in memory, loaded from
storage on its first message. Every change of that session and every turn reaches it through
its mailbox and runs to the end before the next one starts, so changes apply in arrival
order and none is lost. A turn runs inside the actor, not inside the HTTP request: it goes
on when the client leaves, and its outcome is committed in one transaction (or, when it
fails, nothing is written and the record in memory stays as it was before the turn).

`SessionActors` is the `SessionOwner` the server hands to the session methods: it owns the
supervisor (idle actors are stopped, crashed ones rebuilt from storage) and refuses a second
turn of a session at once, without queueing it, while the first one is still running.
Read-only methods never come here: they read the last committed state from storage.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, Protocol

import attrs
import outcome
import trio

from actors.supervisor import ActorCrashed, ActorGaveUp, Supervisor, SupervisorStatistics
from runtime.errors import BackendError, Conflict, DramaturgError
from runtime.model.cast import CastMember
from runtime.model.sessions import SessionDeleted, SessionRecord
from runtime.model.turns import StreamEvent, TurnStage
from runtime.services import Services
from runtime.services.session_owner import SessionOperation, TurnAborted, TurnFrame, TurnSucceeded
from runtime.services.session_turns import SessionLedger, commit_turn, load_turn_setup, read_ledger
from runtime.services.sessions import delete_session, load_session
from runtime.services.turn_records import TurnAttempt, log_turn_ended, record_failed_turn
from runtime.turns import RunTurn, TurnFailed, TurnSetup

log = logging.getLogger(__name__)

DEFAULT_SESSION_IDLE_S = 300.0  # an actor with no message for this long is stopped (and reloads later)


class LoadTurnSetup(Protocol):
    """Builds a turn's setup from the session and its session characters as its actor holds
    them (§8.1): `load_turn_setup`."""

    def __call__(
        self, services: Services, session: SessionRecord, *, session_cast: Mapping[str, CastMember]
    ) -> Awaitable[TurnSetup]: ...


# -- messages ------------------------------------------------------------------------------


@attrs.frozen
class ChangeSession:
    """Apply `operation` to the session's current record, keep the record it returns."""

    operation: SessionOperation[Any]
    params: Any


@attrs.frozen
class DeleteSession:
    """Delete the session with its transcript and session characters."""


@attrs.frozen(eq=False)
class PlayTurn:
    """Play one turn: the setup's outcome goes to `setup_reply`, then the frames to `frames`.

    Compared by identity: it is also the token of the running turn (see `TurnsInProgress`).
    """

    player_input: str
    setup_reply: trio.MemorySendChannel[outcome.Outcome]
    frames: trio.MemorySendChannel[TurnFrame]

    def close(self) -> None:
        """Tell both readers that nothing more comes (idempotent)."""
        self.setup_reply.close()
        self.frames.close()


@attrs.frozen
class TurnEngine:
    """How a session actor sets a turn up and plays it; injected, so tests can play fake turns."""

    run_turn: RunTurn
    load_setup: LoadTurnSetup = load_turn_setup


# -- turn bookkeeping ----------------------------------------------------------------------


@attrs.define
class TurnsInProgress:
    """Which sessions have a turn queued or running, checked before the mailbox (R5)."""

    _running: dict[str, PlayTurn] = attrs.field(factory=dict)

    def begin(self, session_id: str, turn: PlayTurn) -> None:
        """Raises Conflict when the session already has a turn."""
        if session_id in self._running:
            raise Conflict(f"session '{session_id}' already has a turn in progress")
        self._running[session_id] = turn

    def end(self, session_id: str, turn: PlayTurn) -> None:
        """Forget `turn`; a later turn of the same session is left alone."""
        if self._running.get(session_id) is turn:
            del self._running[session_id]

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._running


def _send(channel: trio.MemorySendChannel[Any], item: Any) -> None:
    """Deliver without waiting; a reader that has gone away just misses it."""
    with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
        channel.send_nowait(item)


# -- the actor -----------------------------------------------------------------------------


class SessionActor:
    """The owner of one session. Built fresh by the supervisor on start and after a crash."""

    __slots__ = ("_engine", "_ledger", "_record", "_services", "_session_id", "_turns")  # thousands may idle at once

    def __init__(self, session_id: str, services: Services, engine: TurnEngine, turns: TurnsInProgress) -> None:
        self._session_id = session_id
        self._services = services
        self._engine = engine
        self._turns = turns
        self._record: SessionRecord | None = None
        self._ledger: SessionLedger | None = None  # read by the first turn; dropped by any other change

    async def handle(self, message: Any) -> Any:
        if isinstance(message, ChangeSession):
            return await self._change(message)
        if isinstance(message, DeleteSession):
            return await self._delete()
        if isinstance(message, PlayTurn):
            return await self._play(message)
        raise TypeError(f"a session actor cannot handle {type(message).__name__}")

    async def _session(self) -> SessionRecord:
        """The record in memory, loaded on first use. Raises NotFound for a missing session."""
        if self._record is None:
            self._record = await load_session(self._services, self._session_id)
        return self._record

    async def _session_and_ledger(self) -> tuple[SessionRecord, SessionLedger]:
        """The record and the ledger in memory, loaded on first use (together when both are)."""
        if self._ledger is None:
            record, self._ledger = await read_ledger(self._services, self._session_id, with_record=self._record is None)
            if record is not None:
                self._record = record
        return await self._session(), self._ledger

    async def _change(self, message: ChangeSession) -> Any:
        self._ledger = None  # the change may add or remove messages and session characters
        change = await message.operation(self._services, await self._session(), message.params)
        self._record = change.session
        return change.payload

    async def _delete(self) -> SessionDeleted:
        self._record = self._ledger = None  # whatever happens, reload from storage next time
        return (await delete_session(self._services, self._session_id)).payload

    async def _play(self, turn: PlayTurn) -> None:
        try:
            session, ledger = await self._session_and_ledger()
            setup = await self._engine.load_setup(self._services, session, session_cast=ledger.session_cast)
        except DramaturgError as error:
            self._turns.end(self._session_id, turn)
            _send(turn.setup_reply, outcome.Error(error))
            return
        _send(turn.setup_reply, outcome.Value(None))

        async def emit(event: StreamEvent) -> None:
            _send(turn.frames, event)

        self._ledger = None  # until the turn is committed
        attempt = TurnAttempt.begin(self._services, session)
        try:
            played = await self._engine.run_turn(setup, turn.player_input, emit)
            record = attempt.completed(played)
            self._record = await commit_turn(
                self._services, session, played, first_sequence=ledger.next_sequence, turn_record=record
            )
        except TurnFailed as failed:
            await self._fail(turn, attempt, failed.stage, failed.code, failed.message)
        except DramaturgError as error:  # outside any stage, or the commit
            await self._fail(turn, attempt, None, error.code, error.message)
        except Exception as exc:
            log.exception("session_turn_crashed", extra={"session_id": self._session_id})
            await self._fail(
                turn, attempt, None, BackendError.code, f"turn failed: internal error ({type(exc).__name__})"
            )
            raise  # the supervisor rebuilds this actor from storage
        else:
            if not played.new_session_characters:  # a new character is read back with the next turn
                self._ledger = SessionLedger(ledger.session_cast, ledger.next_sequence + len(played.transcript))
            log_turn_ended(record)
            self._finish(turn, TurnSucceeded(played.result))

    async def _fail(
        self, turn: PlayTurn, attempt: TurnAttempt, stage: TurnStage | None, code: int, message: str
    ) -> None:
        """Record the failed attempt, then tell the client (`failed` with `code` and `message`)."""
        record = attempt.failed(stage, code, message)
        await record_failed_turn(self._services, record)
        log_turn_ended(record)
        self._finish(turn, TurnAborted(code, message))

    def _finish(self, turn: PlayTurn, frame: TurnAborted | TurnSucceeded) -> None:
        # The turn is over before its last frame leaves, so a client that starts the next
        # turn right after `completed` is never refused.
        self._turns.end(self._session_id, turn)
        _send(turn.frames, frame)
        turn.frames.close()


# -- the owner -----------------------------------------------------------------------------


class SessionActors:
    """The `SessionOwner` of the server: session actors under one supervisor, keyed by id."""

    def __init__(
        self,
        nursery: trio.Nursery,
        services: Services,
        engine: TurnEngine,
        *,
        idle_timeout_s: float = DEFAULT_SESSION_IDLE_S,
    ) -> None:
        self._nursery = nursery
        self._services = services
        self._engine = engine
        self._turns = TurnsInProgress()
        self._supervisor: Supervisor[str] = Supervisor(nursery, self._new_actor, idle_timeout_s=idle_timeout_s)

    def _new_actor(self, session_id: str) -> SessionActor:
        return SessionActor(session_id, self._services, self._engine, self._turns)

    def live_sessions(self) -> set[str]:
        """The sessions whose actor is running now."""
        return self._supervisor.live_keys()

    def statistics(self) -> SupervisorStatistics:
        return self._supervisor.statistics()

    def turn_in_progress(self, session_id: str) -> bool:
        return session_id in self._turns

    async def change(self, session_id: str, operation: SessionOperation[Any], params: Any) -> Any:
        return await self._ask(session_id, ChangeSession(operation, params))

    async def delete(self, session_id: str) -> SessionDeleted:
        return await self._ask(session_id, DeleteSession())

    async def start_turn(self, session_id: str, player_input: str) -> trio.MemoryReceiveChannel[TurnFrame]:
        """Queue a turn behind the session's earlier changes; return its frames once set up.

        Raises Conflict at once while another turn of the session is queued or running, and
        the setup errors of §8.1 (then no turn runs). The frame channel is unbounded: a turn
        never waits for its reader, and a closed reader only loses the frames.
        """
        setup_send, setup_receive = trio.open_memory_channel[outcome.Outcome](1)
        frames_send, frames_receive = trio.open_memory_channel[TurnFrame](math.inf)
        turn = PlayTurn(player_input, setup_send, frames_send)
        self._turns.begin(session_id, turn)
        self._nursery.start_soon(self._deliver_turn, session_id, turn, name=f"turn:{session_id}")
        try:
            with setup_receive:
                try:
                    accepted = await setup_receive.receive()
                except trio.EndOfChannel:
                    raise BackendError(f"session '{session_id}' stopped before its turn started") from None
            accepted.unwrap()
        except BaseException:
            frames_receive.close()
            raise
        return frames_receive

    async def _deliver_turn(self, session_id: str, turn: PlayTurn) -> None:
        """Owns the turn's message until the actor is done with it, whatever happens to the
        request that asked for it; then makes sure its readers and its slot are released."""
        try:
            await self._supervisor.ask(session_id, turn)
        except (ActorCrashed, ActorGaveUp) as exc:
            log.warning("session_actor_failed_in_turn", extra={"session_id": session_id, "error": repr(exc)})
        finally:
            turn.close()
            self._turns.end(session_id, turn)

    async def _ask(self, session_id: str, message: Any) -> Any:
        try:
            return await self._supervisor.ask(session_id, message)
        except ActorCrashed as crashed:
            raise BackendError(f"session '{session_id}' failed and was reloaded from storage") from crashed
        except ActorGaveUp as gave_up:
            raise BackendError(f"session '{session_id}' is unavailable: {gave_up}") from gave_up


@contextlib.asynccontextmanager
async def open_session_actors(
    services: Services, engine: TurnEngine, *, idle_timeout_s: float = DEFAULT_SESSION_IDLE_S
) -> AsyncIterator[SessionActors]:
    """Session actors for the duration of the block; leaving it stops them all (a turn still
    running is cancelled and, being uncommitted, leaves its session as it was)."""
    async with trio.open_nursery() as nursery:
        actors = SessionActors(nursery, services, engine, idle_timeout_s=idle_timeout_s)
        try:
            yield actors
        finally:
            nursery.cancel_scope.cancel()
