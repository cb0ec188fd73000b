"""The read cache: answers from memory only what DuckDB would answer right now."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

import trio
import trio.testing

from runtime.errors import Conflict, NotFound
from runtime.store import Cursor, Store, open_store
from runtime.store._read_cache import MISSING, ReadCache


def _create_value(cursor: Cursor) -> None:
    cursor.execute("CREATE TABLE value (id INTEGER PRIMARY KEY, text VARCHAR)")
    cursor.execute("INSERT INTO value VALUES (1, 'first')")


def _set_value(text: str) -> Callable[[Cursor], None]:
    def change(cursor: Cursor) -> None:
        cursor.execute("UPDATE value SET text = ? WHERE id = 1", [text])

    return change


class CountedRead:
    """A read of the value that counts how often it reached DuckDB."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, cursor: Cursor) -> tuple[str]:
        self.runs += 1
        return (cursor.execute("SELECT text FROM value WHERE id = 1").fetchone()[0],)


class HeldRead(CountedRead):
    """A counted read whose first run, once it has read, waits in its thread for `release()`;
    `cached_by(store)` asks the store for it and keeps the answer in `answers`."""

    def __init__(self) -> None:
        super().__init__()
        self._has_read, self._may_finish = threading.Event(), threading.Event()
        self.answers: list[tuple[str]] = []

    async def cached_by(self, store: Store) -> None:
        self.answers.append(await store.read_cached(("value",), self))

    def __call__(self, cursor: Cursor) -> tuple[str]:
        value = super().__call__(cursor)
        if self.runs == 1:
            self._has_read.set()
            self._may_finish.wait()
        return value

    async def wait_until_read(self) -> None:
        await trio.to_thread.run_sync(self._has_read.wait)

    def release(self) -> None:
        self._may_finish.set()


async def _store_with_value(store: Store) -> None:
    await store.write(_create_value)


async def test_a_cached_read_is_answered_from_memory_until_a_write_commits(tmp_path: Path) -> None:
    read = CountedRead()
    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        first = await store.read_cached(("value",), read)
        assert await store.read_cached(("value",), read) is first
        assert read.runs == 1
        await store.write(_set_value("second"))
        assert await store.read_cached(("value",), read) == ("second",)  # read-your-writes
        assert read.runs == 2


async def test_writes_of_session_data_only_keep_the_cached_reads(tmp_path: Path) -> None:
    read = CountedRead()

    def record_session_data(cursor: Cursor) -> None:
        cursor.execute(
            "INSERT INTO llm_calls (call_id, started_at_ms, agent, provider, model, streamed, latency_ms,"
            " attempts, outcome) SELECT count(*), 0, 'keeper', 'open_ai', 'm', false, 1, 1, 'ok'"
            " FROM llm_calls"
        )

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        first = await store.read_cached(("value",), read)
        await store.write(record_session_data, session_data_only=True)
        assert await store.read_cached(("value",), read) is first
        assert read.runs == 1
        # one undeclared write in a group with session-data writes still empties the cache
        async with trio.open_nursery() as nursery:
            nursery.start_soon(store.write, record_session_data)
            nursery.start_soon(store.write, _set_value("second"))
        assert await store.read_cached(("value",), read) == ("second",)


async def test_a_failed_write_leaves_cached_reads_correct(tmp_path: Path) -> None:
    read = CountedRead()

    def change_then_refuse(cursor: Cursor) -> None:
        _set_value("never")(cursor)
        raise Conflict("refused")

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        await store.read_cached(("value",), read)
        with contextlib.suppress(Conflict):
            await store.write(change_then_refuse)
        assert await store.read_cached(("value",), read) == ("first",)


async def test_keys_are_cached_apart_and_errors_are_not_cached(tmp_path: Path) -> None:
    calls = 0

    def missing(cursor: Cursor) -> None:
        nonlocal calls
        calls += 1
        raise NotFound.record("thing", "x")

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        assert await store.read_cached(("a",), lambda cursor: "a") == "a"
        assert await store.read_cached(("b",), lambda cursor: "b") == "b"
        for _ in range(2):
            with contextlib.suppress(NotFound):
                await store.read_cached(("missing",), missing)
        assert calls == 2


async def test_a_read_overlapping_a_commit_is_returned_but_not_kept(tmp_path: Path) -> None:
    """The read saw the old value; a write committed before it ended; the next read must not
    be answered with that old value from memory."""
    read = HeldRead()

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read.cached_by, store)
            await read.wait_until_read()
            await store.write(_set_value("second"))
            read.release()
        assert read.answers == [("first",)]
        assert await store.read_cached(("value",), read) == ("second",)
        assert read.runs == 2


async def test_callers_of_a_read_already_running_wait_for_its_answer(tmp_path: Path) -> None:
    read = HeldRead()

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read.cached_by, store)
            await read.wait_until_read()
            for _ in range(20):
                nursery.start_soon(read.cached_by, store)
            await trio.testing.wait_all_tasks_blocked()
            read.release()
        assert read.answers == [("first",)] * 21
        assert read.runs == 1


async def test_a_read_begun_before_a_write_is_not_shared_with_callers_after_it(tmp_path: Path) -> None:
    read = HeldRead()

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read.cached_by, store)
            await read.wait_until_read()
            await store.write(_set_value("second"))
            try:
                with trio.fail_after(10):  # joining the held read would wait for it forever
                    await read.cached_by(store)  # after the write: its own read, not the one running
            finally:
                read.release()
        assert read.answers == [("second",), ("first",)]
        assert read.runs == 2


async def test_a_cached_read_does_not_queue_behind_a_burst_of_other_reads(tmp_path: Path) -> None:
    release = threading.Event()
    busy = trio.to_thread.current_default_thread_limiter().total_tokens

    def blocked_read(cursor: Cursor) -> None:
        release.wait()

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        async with trio.open_nursery() as nursery:
            for _ in range(int(busy) + 10):  # every default worker thread taken, more waiting
                nursery.start_soon(store.read, blocked_read)
            await trio.testing.wait_all_tasks_blocked()
            try:
                with trio.fail_after(10):
                    assert await store.read_cached(("value",), CountedRead()) == ("first",)
            finally:
                release.set()


async def test_nothing_is_kept_or_served_while_a_write_runs(tmp_path: Path) -> None:
    writing, may_commit = threading.Event(), threading.Event()
    read = CountedRead()

    def slow_write(cursor: Cursor) -> None:
        _set_value("second")(cursor)
        writing.set()
        may_commit.wait()

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        await store.read_cached(("value",), read)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(store.write, slow_write)
            await trio.to_thread.run_sync(writing.wait)
            # DuckDB still answers the committed value, and does so for every read meanwhile
            assert await store.read_cached(("value",), read) == ("first",)
            assert await store.read_cached(("value",), read) == ("first",)
            assert read.runs == 3
            may_commit.set()
        assert await store.read_cached(("value",), read) == ("second",)


async def test_derived_values_are_computed_once_per_cached_value(tmp_path: Path) -> None:
    computed: list[str] = []

    def encode(value: tuple[str]) -> str:
        computed.append(value[0])
        return value[0].upper()

    async with open_store(tmp_path) as store:
        await _store_with_value(store)
        cached = await store.read_cached(("value",), CountedRead())
        for _ in range(3):
            assert store.derived(cached, "upper", lambda: encode(cached)) == "FIRST"
        assert computed == ["first"]
        fresh = await store.read(CountedRead())  # not from the cache: computed every time
        store.derived(fresh, "upper", lambda: encode(fresh))
        store.derived(fresh, "upper", lambda: encode(fresh))
        assert computed == ["first", "first", "first"]
        await store.write(_set_value("second"))
        store.derived(cached, "upper", lambda: encode(cached))  # the write dropped it
        assert computed == ["first", "first", "first", "first"]


def test_the_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache = ReadCache(max_entries=2)
    token = cache.start_read()
    cache.keep(token, "a", "A")
    cache.keep(token, "b", "B")
    assert cache.get("a") == "A"  # now "b" is the least recently used
    cache.keep(token, "c", "C")
    assert len(cache) == 2
    assert cache.get("b") is MISSING
    assert (cache.get("a"), cache.get("c")) == ("A", "C")


def test_a_token_taken_before_a_write_keeps_nothing() -> None:
    cache = ReadCache()
    before = cache.start_read()
    cache.write_started()
    assert cache.start_read() is None  # while writing
    cache.keep(before, "k", "old")
    cache.keep(cache.start_read(), "k", "old")
    assert cache.get("k") is MISSING
    cache.write_ended()
    cache.keep(before, "k", "old")
    assert cache.get("k") is MISSING
    cache.keep(cache.start_read(), "k", "new")
    assert cache.get("k") == "new"
