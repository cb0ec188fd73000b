"""The DuckDB database of one process: reads on their own cursors, writes through one writer task.

DuckDB raises write-write conflicts between concurrent transactions (STACK-NOTES §5), so every
write goes through a single task that runs one transaction at a time in a worker thread. Reads
run concurrently in worker threads on fresh cursors and see the last committed state.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import AsyncIterator, Callable, TypeVar

import duckdb
import outcome
import trio

from runtime.errors import BackendError, DramaturgError
from runtime.store._migrations import apply_migrations

T = TypeVar("T")
Cursor = duckdb.DuckDBPyConnection

log = logging.getLogger(__name__)

DATABASE_FILE_NAME = "dramaturg.duckdb"
WRITE_QUEUE_SIZE = 256  # backpressure: callers wait when this many writes are queued
DUCKDB_THREADS = 2  # per-statement parallelism; our statements are small, so fewer is faster

_WriteJob = tuple[Callable[[Cursor], object], trio.MemorySendChannel]


class Store:
    """One open database. Use `open_store` to get one; it owns the writer task."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, jobs: trio.MemorySendChannel) -> None:
        self._connection = connection
        self._jobs = jobs

    async def read(self, query: Callable[[Cursor], T]) -> T:
        """Run `query(cursor)` in a worker thread and return its result. It must not write."""
        cursor = self._connection.cursor()
        try:
            return await trio.to_thread.run_sync(_guarded, query, cursor)
        finally:
            cursor.close()

    async def write(self, change: Callable[[Cursor], T]) -> T:
        """Run `change(cursor)` in one transaction on the writer, after every earlier write.

        Commits when it returns, rolls back when it raises, and re-raises; so a failed write
        leaves the data exactly as it was. The change runs to the end even if the caller is
        cancelled meanwhile.
        """
        reply_send, reply_receive = trio.open_memory_channel[outcome.Outcome](1)
        await self._jobs.send((change, reply_send))
        with trio.CancelScope(shield=True):  # the writer answers promptly; don't lose the reply
            result = await reply_receive.receive()
        return result.unwrap()

    def read_now(self, query: Callable[[Cursor], T]) -> T:
        """Run a read on the calling thread. Only for start-up and tools, never on the trio thread."""
        cursor = self._connection.cursor()
        try:
            return _guarded(query, cursor)
        finally:
            cursor.close()


@contextlib.asynccontextmanager
async def open_store(data_dir: Path) -> AsyncIterator[Store]:
    """Open (creating if needed) the database under `data_dir`, migrate it, and serve writes."""
    path = Path(data_dir)
    connection = await trio.to_thread.run_sync(_connect, path)
    jobs_send, jobs_receive = trio.open_memory_channel[_WriteJob](WRITE_QUEUE_SIZE)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_run_writer, connection, jobs_receive)
            try:
                yield Store(connection, jobs_send)
            finally:
                await jobs_send.aclose()  # the writer drains what is queued, then ends
    finally:
        await trio.to_thread.run_sync(_close, connection)


def _connect(data_dir: Path) -> duckdb.DuckDBPyConnection:
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        connection = duckdb.connect(str(data_dir / DATABASE_FILE_NAME))
    except duckdb.Error as exc:
        raise BackendError(f"cannot open the database in {data_dir}: {exc}") from exc
    connection.execute(f"SET threads = {DUCKDB_THREADS}")
    apply_migrations(connection)
    return connection


def _close(connection: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        connection.execute("CHECKPOINT")
    connection.close()


async def _run_writer(connection: duckdb.DuckDBPyConnection, jobs: trio.MemoryReceiveChannel) -> None:
    cursor = connection.cursor()
    async with jobs:
        async for change, reply in jobs:
            result = await trio.to_thread.run_sync(outcome.capture, _transaction, change, cursor)
            reply.send_nowait(result)
    cursor.close()


def _transaction(change: Callable[[Cursor], T], cursor: Cursor) -> T:
    cursor.execute("BEGIN TRANSACTION")
    try:
        result = _guarded(change, cursor)
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    try:
        cursor.execute("COMMIT")
    except duckdb.Error as exc:
        log.error("store_commit_failed", extra={"error": str(exc)})
        with contextlib.suppress(duckdb.Error):
            cursor.execute("ROLLBACK")
        raise BackendError(f"storage failure: {exc}") from exc
    return result


def _guarded(query: Callable[[Cursor], T], cursor: Cursor) -> T:
    """Run `query`, turning DuckDB's errors into BackendError (our own errors pass through)."""
    try:
        return query(cursor)
    except DramaturgError:
        raise
    except duckdb.Error as exc:
        log.error("store_failure", extra={"error": str(exc)})
        raise BackendError(f"storage failure: {exc}") from exc
