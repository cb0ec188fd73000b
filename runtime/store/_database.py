"""The DuckDB database of one process: reads on their own cursors, writes through one writer task.

DuckDB raises write-write conflicts between concurrent transactions (STACK-NOTES §5), so every
write goes through a single task that runs one transaction at a time in a worker thread. Reads
run concurrently in worker threads on fresh cursors and see the last committed state.

Two things make the common paths cheaper without changing what callers observe:

* group commit: the writes queued when the writer gets to them run in order in ONE transaction
  (one BEGIN/COMMIT, one thread hop). If any of them raises, that transaction is rolled back and
  each write of the group runs again alone, in its own transaction; so a failing write still
  changes nothing and every other write commits exactly once. A write may therefore run twice,
  which is why a write must be a function of the database alone (no effects outside it).
  Consecutive writes of a group that declare the same `combine_key` run as one statement
  (`run_together`), as the inserts of new documents do (`_documents.NewDocument`);
* `read_cached`: results of frequent reads kept in memory until the next write (`_read_cache`).
  Cached reads never read session data (sessions, their messages and characters, LLM call
  telemetry, turn records, lorebook activations, analytics rollups), so a write declared `session_data_only` leaves
  them in place: the turns of many sessions, each committing, do not empty the cache the next
  turn's setup reads from.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs
import duckdb
import outcome
import trio

from runtime.errors import BackendError, DatabaseInUse, DramaturgError, StorageUnavailable
from runtime.store._migrations import apply_migrations
from runtime.store._read_cache import MISSING, ReadCache

T = TypeVar("T")
D = TypeVar("D")
Cursor = duckdb.DuckDBPyConnection

log = logging.getLogger(__name__)

DATABASE_FILE_NAME = "dramaturg.duckdb"
WRITE_QUEUE_SIZE = 256  # backpressure: callers wait when this many writes are queued
MAX_WRITE_GROUP = 64  # writes committed together at most (a failure re-runs them one by one)
SHARED_READ_THREADS = 4  # worker threads for `read_cached` misses, beside trio's default 40
DUCKDB_THREADS = 1  # per-statement parallelism; our statements are small, so fewer is faster
# DuckDB checkpoints when the WAL reaches this size, and a checkpoint rewrites the row group that
# was appended to, covers (BLOBs) included: with the default 16 MB, 1,000 covers of 0.5 MB were
# rewritten ~30 times (58 s to insert, commits stalling 3 s; 7 s with 256 MB). A crash replays
# at most this much WAL on the next start.
CHECKPOINT_THRESHOLD = "256MB"
ROWS_PER_INSERT = 100  # `insert_rows`: one statement per this many rows, far fewer round trips


@attrs.define
class _Reply:
    """Where the writer leaves one write's result (lighter than a channel per write)."""

    done: trio.Event = attrs.Factory(trio.Event)
    result: outcome.Outcome | None = None

    def deliver(self, result: outcome.Outcome) -> None:
        self.result = result
        self.done.set()


@attrs.frozen
class _WriteJob:
    change: Callable[[Cursor], object]
    reply: _Reply
    session_data_only: bool


@attrs.define
class _Flight:
    """A cached read on its way: who asks for the same key meanwhile waits for its answer."""

    token: int  # the read cache's generation when the read began
    landed: trio.Event = attrs.Factory(trio.Event)
    value: Any = MISSING  # stays MISSING when the read failed: then each waiter reads for itself


class Store:
    """One open database. Use `open_store` to get one; it owns the writer task."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, jobs: trio.MemorySendChannel, cache: ReadCache) -> None:
        self._connection = connection
        self._jobs = jobs
        self._cache = cache
        self._flights: dict[Hashable, _Flight] = {}
        # Cached reads answer many callers at once; their own worker threads keep them from
        # queueing behind a burst of uncached reads (a thousand sessions loading at once).
        self._shared_reads = trio.CapacityLimiter(SHARED_READ_THREADS)

    async def read(self, query: Callable[[Cursor], T]) -> T:
        """Run `query(cursor)` in a worker thread and return its result. It must not write."""
        return await self._read_with(query, trio.to_thread.current_default_thread_limiter())

    async def _read_with(self, query: Callable[[Cursor], T], limiter: trio.CapacityLimiter) -> T:
        cursor = self._connection.cursor()
        try:
            return await trio.to_thread.run_sync(_guarded, query, cursor, limiter=limiter)
        finally:
            cursor.close()

    async def read_cached(self, key: Hashable, query: Callable[[Cursor], T]) -> T:
        """`read(query)`, answered from memory when the same `key` was read since the last write.

        `key` must name the query and all its arguments (by convention the method name first:
        `("character.get", character_id)`). The result may be handed to many callers, so it must
        be immutable in practice: frozen records whose lists nobody changes. Errors are not kept.
        `query` must not read session data (see `write`): its writes do not empty the cache.
        """
        found = self._cache.get(key)
        if found is not MISSING:
            return found
        token = self._cache.start_read()
        if token is None:  # a write is running: nothing read now may be kept or shared
            return await self._read_with(query, self._shared_reads)
        flight = self._flights.get(key)
        if flight is not None and flight.token == token:
            # The same read is running, begun since the last write: its answer is as fresh as a
            # new read's would be, and a thousand sessions starting at once read it only once.
            await flight.landed.wait()
            if flight.value is not MISSING:
                return flight.value
        flight = self._flights[key] = _Flight(token)
        try:
            flight.value = value = await self._read_with(query, self._shared_reads)
        finally:
            flight.landed.set()
            if self._flights.get(key) is flight:
                del self._flights[key]
        self._cache.keep(token, key, value)
        return value

    def derived(self, value: object, name: Hashable, compute: Callable[[], D]) -> D:
        """`compute()`, done once per cached `value` (from `read_cached`) and kept beside it until
        the next write; done every time for any other value. For work on cached results (their
        encodings, a validation whose success is kept): what `compute` gives must depend on
        `value` and `name` alone."""
        return self._cache.derived(value, name, compute)

    async def write(self, change: Callable[[Cursor], T], *, session_data_only: bool = False) -> T:
        """Run `change(cursor)` in one transaction on the writer, after every earlier write.

        Commits when it returns, rolls back when it raises, and re-raises; so a failed write
        leaves the data exactly as it was. The change runs to the end even if the caller is
        cancelled meanwhile. `change` may run more than once (see the module docstring): it
        must touch nothing but the cursor, and its result is the one of the run that counted.
        Pass `session_data_only` when it writes nothing but session data (the tables
        `sessions`, `session_messages`, `session_characters`, `llm_calls`, `turns`, `lore_turns`,
        `lore_activations` and the analytics rollups): then the cached reads stay valid.
        """
        reply = _Reply()
        await self._jobs.send(_WriteJob(change, reply, session_data_only))
        with trio.CancelScope(shield=True):  # the writer answers promptly; don't lose the reply
            await reply.done.wait()
        assert reply.result is not None
        return reply.result.unwrap()


@contextlib.asynccontextmanager
async def open_store(data_dir: Path) -> AsyncIterator[Store]:
    """Open (creating if needed) the database under `data_dir`, migrate it, and serve writes."""
    path = Path(data_dir)
    connection = await trio.to_thread.run_sync(_connect, path)
    jobs_send, jobs_receive = trio.open_memory_channel[_WriteJob](WRITE_QUEUE_SIZE)
    cache = ReadCache()
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_run_writer, connection, jobs_receive, cache)
            try:
                yield Store(connection, jobs_send, cache)
            finally:
                await jobs_send.aclose()  # the writer drains what is queued, then ends
    finally:
        await trio.to_thread.run_sync(_close, connection)


OWNER_ONLY_DIR = 0o700
OWNER_ONLY_FILE = 0o600


LOCK_HOLDER = re.compile(r"Conflicting lock is held in .*\(PID (\d+)\)")


def _connect(data_dir: Path) -> duckdb.DuckDBPyConnection:
    if data_dir.exists() and not data_dir.is_dir():
        raise StorageUnavailable(data_dir, "it is a file, not a folder")
    try:
        _make_private_dir(data_dir)
    except OSError as exc:
        raise StorageUnavailable(data_dir, f"cannot create the folder ({exc.strerror})") from exc
    path = data_dir / DATABASE_FILE_NAME
    try:
        connection = duckdb.connect(str(path))
        # The database holds api keys: only its owner may read it (DuckDB creates it 0644).
        path.chmod(OWNER_ONLY_FILE)
    except duckdb.IOException as exc:
        if (holder := LOCK_HOLDER.search(str(exc))) is not None or "Could not set lock" in str(exc):
            raise DatabaseInUse(data_dir, int(holder.group(1)) if holder else None) from exc
        raise StorageUnavailable(data_dir, storage_detail(exc)) from exc
    except (duckdb.Error, OSError) as exc:
        reason = storage_detail(exc) if isinstance(exc, duckdb.Error) else str(exc.strerror)
        raise StorageUnavailable(data_dir, reason) from exc
    connection.execute(f"SET threads = {DUCKDB_THREADS}")
    connection.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    apply_migrations(connection)
    return connection


def _make_private_dir(data_dir: Path) -> None:
    """Create `data_dir` readable by its owner only; an existing one is left as it is (it may be
    a folder the operator shares on purpose), with a warning when others can read it."""
    if not data_dir.exists():
        data_dir.mkdir(parents=True, mode=OWNER_ONLY_DIR)
        data_dir.chmod(OWNER_ONLY_DIR)  # mkdir's mode passes through the umask; be exact
        return
    if data_dir.stat().st_mode & 0o077:
        log.warning("data_dir_open_to_others", extra={"data_dir": str(data_dir), "advice": "chmod 700"})


def _close(connection: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        connection.execute("CHECKPOINT")
    connection.close()


async def _run_writer(connection: duckdb.DuckDBPyConnection, jobs: trio.MemoryReceiveChannel, cache: ReadCache) -> None:
    cursor = connection.cursor()
    async with jobs:
        while group := await _next_group(jobs):
            with trio.CancelScope(shield=True):  # a started group always answers its callers
                shared = not all(job.session_data_only for job in group)
                if shared:
                    cache.write_started()
                try:
                    results = await trio.to_thread.run_sync(_run_group, [job.change for job in group], cursor)
                finally:
                    if shared:
                        cache.write_ended()
                for job, result in zip(group, results, strict=False):
                    job.reply.deliver(result)
    cursor.close()


async def _next_group(jobs: trio.MemoryReceiveChannel) -> list[_WriteJob]:
    """The next write and every write queued behind it (up to MAX_WRITE_GROUP); [] when closed."""
    try:
        group = [await jobs.receive()]
    except trio.EndOfChannel:
        return []
    while len(group) < MAX_WRITE_GROUP:
        try:
            group.append(jobs.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel):
            break
    return group


def _run_group(changes: list[Callable[[Cursor], object]], cursor: Cursor) -> list[outcome.Outcome]:
    """Every change in one transaction; if any fails, each change again in a transaction of its own."""
    if len(changes) > 1:
        results = _commit_together(changes, cursor)
        if results is not None:
            return [outcome.Value(result) for result in results]
    return [outcome.capture(_transaction, change, cursor) for change in changes]


def _commit_together(changes: list[Callable[[Cursor], object]], cursor: Cursor) -> list[object] | None:
    """The changes' results once all of them are committed in one transaction, or None when any
    part failed; the transaction is then rolled back. Nothing is logged here: the changes run
    again one by one, and that run reports whatever fails."""
    try:
        cursor.execute("BEGIN TRANSACTION")
        results = [result for run in _combined_runs(changes) for result in _apply_run(run, cursor)]
        cursor.execute(_ABORTED_CHECK)
        cursor.execute("COMMIT")
    except BaseException:  # noqa: BLE001  (rolled back; the caller retries the run one by one)
        with contextlib.suppress(duckdb.Error):
            cursor.execute("ROLLBACK")
        return None
    return results


def _combined_runs(changes: list[Callable[[Cursor], object]]) -> list[list[Callable[[Cursor], object]]]:
    """The changes in order, cut into runs: consecutive changes with the same `combine_key`
    (see `_documents.NewDocument`) form one run; every other change is a run of its own."""
    runs: list[list[Callable[[Cursor], object]]] = []
    previous_key: Hashable = None
    for change in changes:
        key = getattr(change, "combine_key", None)
        if key is not None and key == previous_key:
            runs[-1].append(change)
        else:
            runs.append([change])
        previous_key = key
    return runs


def _apply_run(run: list[Callable[[Cursor], object]], cursor: Cursor) -> list[object]:
    if len(run) == 1:
        return [run[0](cursor)]
    return run[0].run_together(cursor, run)  # type: ignore[attr-defined]


def _transaction(change: Callable[[Cursor], T], cursor: Cursor) -> T:
    cursor.execute("BEGIN TRANSACTION")
    try:
        result = _guarded(change, cursor)
        _guarded(_raise_if_aborted, cursor)
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    try:
        cursor.execute("COMMIT")
    except duckdb.Error as exc:
        log.error("store_commit_failed", extra={"error": storage_detail(exc)})
        with contextlib.suppress(duckdb.Error):
            cursor.execute("ROLLBACK")
        raise BackendError(STORAGE_FAILURE) from exc
    return result


# DuckDB's COMMIT of a transaction that hit an error "succeeds" and silently discards it
# (STACK-NOTES §5), so before committing we make sure the transaction still accepts statements.
_ABORTED_CHECK = "SELECT 1"


def _raise_if_aborted(cursor: Cursor) -> None:
    cursor.execute(_ABORTED_CHECK)


def insert_rows(cursor: Cursor, table: str, names: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Insert `rows` (values in the order of `names`) with multi-row INSERTs; inside a write.

    Not unnested column lists, as `llm_calls` inserts its wide batches: for the few rows of a
    turn's commit they were no faster (overhead case, three runs each: p50 4.3 against 4.0 ms),
    and a list of bytes (covers) went 13 times slower (500 × 48 KiB: 476 against 36 ms).
    """
    row_marks = "(" + ", ".join("?" for _ in names) + ")"
    for start in range(0, len(rows), ROWS_PER_INSERT):
        batch = rows[start : start + ROWS_PER_INSERT]
        marks = ", ".join(row_marks for _ in batch)
        params = [value for row in batch for value in row]
        cursor.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES {marks}", params)


STORAGE_FAILURE = "storage failure (the server log has the details)"
"""The whole message a client gets: DuckDB's own text may quote the stored document, keys included."""

STORAGE_DETAIL_CHARS = 300


def scalar(cursor: Cursor, sql: str, params: Sequence[object] = ()) -> Any:
    """The first column of the one row `sql` answers (a count, an EXISTS or a max always has one)."""
    row = cursor.execute(sql, params).fetchone()
    assert row is not None, sql
    return row[0]


def storage_detail(exc: duckdb.Error) -> str:
    """What the log may say about a DuckDB error: its kind and first line, without the input it
    quotes (`… Input: "<the document>"`, which may hold an api key), cut to a readable length."""
    first_line = str(exc).split("\n", 1)[0]
    reason = first_line.split(" Input:", 1)[0].strip()
    return f"{type(exc).__name__}: {reason[:STORAGE_DETAIL_CHARS]}"


def _guarded(query: Callable[[Cursor], T], cursor: Cursor) -> T:
    """Run `query`, turning DuckDB's errors into BackendError (our own errors pass through)."""
    try:
        return query(cursor)
    except DramaturgError:
        raise
    except duckdb.Error as exc:
        log.error("store_failure", extra={"error": storage_detail(exc)})
        raise BackendError(STORAGE_FAILURE) from exc
