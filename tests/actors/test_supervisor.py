"""The Supervisor: ordering per key, parallelism across keys, crashes, give-up and idle stop."""

from __future__ import annotations

import contextvars
import gc
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

from actors.supervisor import ActorCrashed, Supervisor
from runtime.errors import NotFound

IDLE_S = 60.0
REQUEST = contextvars.ContextVar[object]("REQUEST")


class Counter:
    starts = 0

    def __init__(self, key: str) -> None:
        Counter.starts += 1
        self.value = 0

    async def handle(self, message: Any) -> Any:
        if message == "boom":
            raise RuntimeError("boom")
        if message == "missing":
            raise NotFound("thing 'x' not found")
        if isinstance(message, tuple):
            await trio.sleep(message[1])
            self.value += 1
            return self.value
        self.value += message
        return self.value


@pytest.fixture
async def supervisor(nursery: trio.Nursery) -> AsyncIterator[Supervisor[str]]:
    Counter.starts = 0
    yield Supervisor(nursery, Counter, idle_timeout_s=IDLE_S, max_restarts=2)


async def test_concurrent_messages_to_one_key_lose_no_update(supervisor: Supervisor[str]) -> None:
    async with trio.open_nursery() as nursery:
        for _ in range(50):
            nursery.start_soon(supervisor.ask, "k", 1)
    assert await supervisor.ask("k", 0) == 50


async def test_one_key_is_serial_and_keys_run_in_parallel(
    supervisor: Supervisor[str], autojump_clock: trio.testing.MockClock
) -> None:
    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for key in ("a", "b", "c"):
            nursery.start_soon(supervisor.ask, key, ("sleep", 1))
    assert trio.current_time() - start == pytest.approx(1)
    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(supervisor.ask, "a", ("sleep", 1))
    assert trio.current_time() - start == pytest.approx(3)


async def test_a_crash_is_reported_and_the_actor_restarts_fresh(supervisor: Supervisor[str]) -> None:
    await supervisor.ask("k", 5)
    with pytest.raises(ActorCrashed) as caught:
        await supervisor.ask("k", "boom")
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert await supervisor.ask("k", 1) == 1
    assert Counter.starts == 2


async def test_domain_errors_reach_the_asker_without_a_restart(supervisor: Supervisor[str]) -> None:
    await supervisor.ask("k", 5)
    with pytest.raises(NotFound):
        await supervisor.ask("k", "missing")
    assert await supervisor.ask("k", 1) == 6


async def test_repeated_crashes_give_up_and_a_later_message_respawns(supervisor: Supervisor[str]) -> None:
    for _ in range(3):
        with pytest.raises(ActorCrashed):
            await supervisor.ask("k", "boom")
    assert supervisor.statistics().gave_up == 1
    assert "k" not in supervisor.live_keys()
    assert await supervisor.ask("k", 2) == 2


async def test_idle_actors_stop_and_activity_resets_the_timer(
    supervisor: Supervisor[str], autojump_clock: trio.testing.MockClock
) -> None:
    await supervisor.ask("k", 1)
    await trio.sleep(IDLE_S / 2)
    await supervisor.ask("k", 1)
    await trio.sleep(IDLE_S / 2 + 1)
    assert "k" in supervisor.live_keys()
    await trio.sleep(IDLE_S)
    assert "k" not in supervisor.live_keys()
    assert supervisor.statistics().idle_stopped == 1
    assert await supervisor.ask("k", 1) == 1


async def test_an_asker_that_gives_up_does_not_stop_the_actor(
    supervisor: Supervisor[str], autojump_clock: trio.testing.MockClock
) -> None:
    with trio.move_on_after(0.5):
        await supervisor.ask("k", ("sleep", 1))
    assert await supervisor.ask("k", 0) == 1


class Request:
    """Stands in for the HTTP request an asker is serving."""


class RequestReader:
    def __init__(self, key: str) -> None:
        pass

    async def handle(self, message: Any) -> Any:
        return REQUEST.get("none")


async def test_an_actor_keeps_nothing_of_the_context_of_the_asker_that_spawned_it(nursery: trio.Nursery) -> None:
    REQUEST.set("server")
    supervisor = Supervisor(nursery, RequestReader, idle_timeout_s=IDLE_S)
    requests: list[weakref.ref[Request]] = []
    seen: list[Any] = []

    async def ask_while_serving_a_request() -> None:
        request = Request()
        requests.append(weakref.ref(request))
        REQUEST.set(request)
        seen.append(await supervisor.ask("k", "which request?"))

    async with trio.open_nursery() as requests_nursery:
        requests_nursery.start_soon(ask_while_serving_a_request)
    gc.collect()
    assert seen == ["server"]  # the context the supervisor was made in, not the asker's
    assert "k" in supervisor.live_keys()
    assert requests[0]() is None


async def test_a_full_mailbox_makes_senders_wait_and_a_sender_that_gives_up_adds_nothing(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    supervisor = Supervisor(nursery, Counter, idle_timeout_s=IDLE_S, mailbox_size=2)
    await supervisor.tell("k", ("sleep", 10))
    await trio.testing.wait_all_tasks_blocked()  # the actor is busy with it
    await supervisor.tell("k", ("sleep", 0))
    await supervisor.tell("k", ("sleep", 0))
    with trio.move_on_after(1) as waited:
        await supervisor.tell("k", ("sleep", 0))
    assert waited.cancelled_caught
    assert await supervisor.ask("k", 0) == 3


async def test_many_waiting_senders_all_get_through_in_turn(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    supervisor = Supervisor(nursery, Counter, idle_timeout_s=IDLE_S, mailbox_size=2)
    replies: list[int] = []

    async def ask_slowly() -> None:
        replies.append(await supervisor.ask("k", ("sleep", 1)))

    async with trio.open_nursery() as askers:
        for _ in range(8):
            askers.start_soon(ask_slowly)
    assert replies == list(range(1, 9))
