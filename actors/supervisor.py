"""The Supervisor: one actor per key, spawned on first message, restarted after a crash, stopped when idle.

An actor is any object with `async handle(message) -> reply`. The supervisor gives each key a
mailbox and one task that handles its messages one at a time, in arrival order. A crash is
reported to the asker whose message caused it (`ActorCrashed`), and the actor is rebuilt by
the factory (so it reloads its state from storage) before the next message. No actor's
failure ever reaches the supervisor's nursery, so one actor cannot take the others down.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
from collections.abc import Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar

import attrs
import outcome
import trio

from runtime.errors import DramaturgError

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)

DEFAULT_MAILBOX_SIZE = 64  # askers wait (backpressure) once this many messages are queued
DEFAULT_MAX_RESTARTS = 5  # consecutive crashes before the actor gives up


class Actor(Protocol):
    async def handle(self, message: Any) -> Any: ...


class ActorCrashed(Exception):
    """The actor raised while handling your message; it has been restarted. `__cause__` has the error."""


class ActorGaveUp(Exception):
    """The actor crashed too often in a row and was stopped; a later message starts it afresh."""


@attrs.define
class SupervisorStatistics:
    spawned: int = 0
    restarted: int = 0
    idle_stopped: int = 0
    gave_up: int = 0
    live: int = 0


_Letter = tuple[Any, "trio.MemorySendChannel[outcome.Outcome] | None"]


class _Mailbox:
    """One actor's letters, in arrival order, read by its one task.

    A trio memory channel would do, but it costs kilobytes (a deque block, two ordered dicts,
    two channel objects) and most actors sit idle with an empty mailbox, thousands at once.
    Senders wait while `capacity` letters are queued; once closed, every send raises
    ClosedResourceError.
    """

    __slots__ = ("_capacity", "_closed", "_letters", "_reader", "_space")

    def __init__(self, capacity: int) -> None:
        self._letters: list[_Letter] = []
        self._capacity = capacity
        self._closed = False
        self._reader: trio.lowlevel.Task | None = None  # the actor's task while it waits for a letter
        self._space: trio.lowlevel.ParkingLot | None = None  # made when a sender first has to wait

    def has_letters(self) -> bool:
        return bool(self._letters)

    async def send(self, letter: _Letter) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        while len(self._letters) >= self._capacity and not self._closed:
            if self._space is None:
                self._space = trio.lowlevel.ParkingLot()
            await self._space.park()
        if self._closed:
            raise trio.ClosedResourceError("the actor stopped")
        self._letters.append(letter)
        if self._reader is not None:
            reader, self._reader = self._reader, None
            trio.lowlevel.reschedule(reader)
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def receive(self) -> _Letter:
        """The oldest letter; waits for one (cancellable: then nothing is taken)."""
        if self._letters:
            await trio.lowlevel.checkpoint()
        else:
            self._reader = trio.lowlevel.current_task()
            await trio.lowlevel.wait_task_rescheduled(self._stop_waiting)
        letter = self._letters.pop(0)  # at most `capacity` letters: a list is smaller than a deque
        if self._space is not None:
            self._space.unpark()
        return letter

    def _stop_waiting(self, _: Any) -> trio.lowlevel.Abort:
        self._reader = None
        return trio.lowlevel.Abort.SUCCEEDED

    def receive_nowait(self) -> _Letter | None:
        if not self._letters:
            return None
        letter = self._letters.pop(0)
        if self._space is not None:
            self._space.unpark()
        return letter

    def close(self) -> None:
        self._closed = True
        if self._space is not None:
            self._space.unpark_all()


class Supervisor(Generic[K]):
    def __init__(
        self,
        nursery: trio.Nursery,
        factory: Callable[[K], Actor],
        *,
        idle_timeout_s: float = math.inf,
        mailbox_size: int = DEFAULT_MAILBOX_SIZE,
        max_restarts: int = DEFAULT_MAX_RESTARTS,
    ) -> None:
        self._nursery = nursery
        self._factory = factory
        self._idle_timeout_s = idle_timeout_s
        self._mailbox_size = mailbox_size
        self._max_restarts = max_restarts
        self._mailboxes: dict[K, _Mailbox] = {}
        self._stats = SupervisorStatistics()
        # Actors are spawned in this context, not in the asker's: a task keeps a copy of the
        # context it was started from, and an asker's may hold a whole HTTP request.
        self._spawn_context = contextvars.copy_context()

    def live_keys(self) -> set[K]:
        return set(self._mailboxes)

    def statistics(self) -> SupervisorStatistics:
        return attrs.evolve(self._stats, live=len(self._mailboxes))

    async def ask(self, key: K, message: Any) -> Any:
        """Deliver `message` to the actor of `key` and return its reply.

        If the asker is cancelled, the actor still handles the message to the end; the reply
        is dropped. Raises ActorCrashed or ActorGaveUp.
        """
        reply_send, reply_receive = trio.open_memory_channel[outcome.Outcome](1)
        await self._deliver(key, (message, reply_send))
        with reply_receive:
            try:
                result = await reply_receive.receive()
            except trio.EndOfChannel:
                raise ActorGaveUp(f"actor {key!r} stopped before answering") from None
        return result.unwrap()

    async def tell(self, key: K, message: Any) -> None:
        """Deliver `message` without waiting for the reply."""
        await self._deliver(key, (message, None))

    async def _deliver(self, key: K, letter: _Letter) -> None:
        # A mailbox can close between lookup and send (idle stop, give-up): then respawn.
        for _ in range(3):
            try:
                await self._mailbox(key).send(letter)
                return
            except trio.ClosedResourceError:
                continue
        raise ActorGaveUp(f"actor {key!r} could not be started")

    def _mailbox(self, key: K) -> _Mailbox:
        mailbox = self._mailboxes.get(key)
        if mailbox is None:
            mailbox = _Mailbox(self._mailbox_size)
            self._mailboxes[key] = mailbox
            self._stats.spawned += 1
            self._spawn_context.run(
                lambda: self._nursery.start_soon(self._supervise, key, mailbox, name=f"actor:{key!r}")
            )
        return mailbox

    async def _supervise(self, key: K, mailbox: _Mailbox) -> None:
        crashes = 0
        try:
            while True:
                try:
                    actor = self._factory(key)
                    await self._serve(key, actor, mailbox)
                    return  # idle
                except _Crash as crash:
                    crashes = crash.consecutive(crashes)
                    log.warning("actor_crashed", extra={"key": str(key), "error": repr(crash.__cause__)})
                except Exception as exc:  # noqa: BLE001  (the factory itself failed: counted as a crash)
                    crashes += 1
                    log.warning("actor_start_failed", extra={"key": str(key), "error": repr(exc)})
                    self._fail_next(mailbox, exc)
                if crashes > self._max_restarts:
                    self._stats.gave_up += 1
                    log.error("actor_gave_up", extra={"key": str(key)})
                    return
                self._stats.restarted += 1
        finally:
            self._retire(key, mailbox)

    async def _serve(self, key: K, actor: Actor, mailbox: _Mailbox) -> None:
        handled = 0
        while True:
            letter = None
            with trio.move_on_after(self._idle_timeout_s):  # the wait only, never the handling
                letter = await mailbox.receive()
            if letter is None:
                if mailbox.has_letters():
                    continue
                # No checkpoint between this check and retiring: no message can slip in unseen.
                self._stats.idle_stopped += 1
                if self._mailboxes.get(key) is mailbox:
                    del self._mailboxes[key]
                return
            await self._handle(key, actor, letter, handled)
            handled += 1

    async def _handle(self, key: K, actor: Actor, letter: _Letter, handled_before: int) -> None:
        # Its own frame, so an idle actor keeps no reference to its last message, reply or result.
        message, reply = letter
        result = await outcome.acapture(actor.handle, message)
        if isinstance(result, outcome.Error) and not isinstance(result.error, DramaturgError):
            if isinstance(result.error, trio.Cancelled):
                raise result.error
            crashed = ActorCrashed(f"actor {key!r} crashed: {result.error!r}")
            crashed.__cause__ = result.error
            _answer(reply, outcome.Error(crashed))
            raise _Crash(handled_before) from result.error
        _answer(reply, result)  # a reply, or a domain error the asker should see as it is

    def _fail_next(self, mailbox: _Mailbox, error: Exception) -> None:
        """When the actor cannot even start, answer the waiting message with the start error."""
        letter = mailbox.receive_nowait()
        if letter is not None:
            _answer(letter[1], outcome.Error(error))

    def _retire(self, key: K, mailbox: _Mailbox) -> None:
        if self._mailboxes.get(key) is mailbox:
            del self._mailboxes[key]
        mailbox.close()
        while (letter := mailbox.receive_nowait()) is not None:
            _, reply = letter
            if reply is not None:
                reply.close()  # the asker gets ActorGaveUp


class _Crash(Exception):
    """Internal: the actor raised while handling a message."""

    def __init__(self, handled_before: int) -> None:
        super().__init__()
        self.handled_before = handled_before

    def consecutive(self, crashes_so_far: int) -> int:
        """A crash right after a restart counts on top; a crash after good work starts over."""
        return crashes_so_far + 1 if self.handled_before == 0 else 1


def _answer(reply: trio.MemorySendChannel[outcome.Outcome] | None, result: outcome.Outcome) -> None:
    if reply is None:
        return
    with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):  # the asker went away
        reply.send_nowait(result)
