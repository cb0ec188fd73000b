"""The Supervisor: one actor per key, spawned on first message, restarted after a crash, stopped when idle.

An actor is any object with `async handle(message) -> reply`. The supervisor gives each key a
mailbox and one task that handles its messages one at a time, in arrival order. A crash is
reported to the asker whose message caused it (`ActorCrashed`), and the actor is rebuilt by
the factory (so it reloads its state from storage) before the next message. No actor's
failure ever reaches the supervisor's nursery, so one actor cannot take the others down.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Callable, Generic, Hashable, Protocol, TypeVar

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
        self._mailboxes: dict[K, trio.MemorySendChannel[_Letter]] = {}
        self._stats = SupervisorStatistics()

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
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                continue
        raise ActorGaveUp(f"actor {key!r} could not be started")

    def _mailbox(self, key: K) -> trio.MemorySendChannel[_Letter]:
        mailbox = self._mailboxes.get(key)
        if mailbox is None:
            mailbox, inbox = trio.open_memory_channel[_Letter](self._mailbox_size)
            self._mailboxes[key] = mailbox
            self._stats.spawned += 1
            self._nursery.start_soon(self._supervise, key, mailbox, inbox, name=f"actor:{key!r}")
        return mailbox

    async def _supervise(
        self, key: K, mailbox: trio.MemorySendChannel[_Letter], inbox: trio.MemoryReceiveChannel[_Letter]
    ) -> None:
        crashes = 0
        try:
            while True:
                try:
                    actor = self._factory(key)
                    await self._serve(key, actor, mailbox, inbox)
                    return  # idle
                except _Crash as crash:
                    crashes = crash.consecutive(crashes)
                    log.warning("actor_crashed", extra={"key": str(key), "error": repr(crash.__cause__)})
                except Exception as exc:  # the factory itself failed
                    crashes += 1
                    log.warning("actor_start_failed", extra={"key": str(key), "error": repr(exc)})
                    await self._fail_next(inbox, exc)
                if crashes > self._max_restarts:
                    self._stats.gave_up += 1
                    log.error("actor_gave_up", extra={"key": str(key)})
                    return
                self._stats.restarted += 1
        finally:
            self._retire(key, mailbox, inbox)

    async def _serve(
        self, key: K, actor: Actor, mailbox: trio.MemorySendChannel[_Letter], inbox: trio.MemoryReceiveChannel[_Letter]
    ) -> None:
        handled = 0
        while True:
            letter = None
            with trio.move_on_after(self._idle_timeout_s):  # the wait only, never the handling
                letter = await inbox.receive()
            if letter is None:
                if inbox.statistics().current_buffer_used:
                    continue
                # No checkpoint between this check and retiring: no message can slip in unseen.
                self._stats.idle_stopped += 1
                if self._mailboxes.get(key) is mailbox:
                    del self._mailboxes[key]
                return
            message, reply = letter
            result = await outcome.acapture(actor.handle, message)
            if isinstance(result, outcome.Error) and not isinstance(result.error, DramaturgError):
                if isinstance(result.error, trio.Cancelled):
                    raise result.error
                crashed = ActorCrashed(f"actor {key!r} crashed: {result.error!r}")
                crashed.__cause__ = result.error
                _answer(reply, outcome.Error(crashed))
                raise _Crash(handled) from result.error
            _answer(reply, result)  # a reply, or a domain error the asker should see as it is
            handled += 1

    async def _fail_next(self, inbox: trio.MemoryReceiveChannel[_Letter], error: Exception) -> None:
        """When the actor cannot even start, answer the waiting message with the start error."""
        try:
            _, reply = inbox.receive_nowait()
        except trio.WouldBlock:
            return
        _answer(reply, outcome.Error(error))

    def _retire(
        self, key: K, mailbox: trio.MemorySendChannel[_Letter], inbox: trio.MemoryReceiveChannel[_Letter]
    ) -> None:
        if self._mailboxes.get(key) is mailbox:
            del self._mailboxes[key]
        while True:
            try:
                _, reply = inbox.receive_nowait()
            except (trio.WouldBlock, trio.EndOfChannel):
                break
            if reply is not None:
                reply.close()  # the asker gets ActorGaveUp
        inbox.close()


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
    try:
        reply.send_nowait(result)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass  # the asker went away
