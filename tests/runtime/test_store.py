"""The store: one writer, atomic writes, persisted id counters."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
import trio

from runtime.errors import BackendError, Conflict
from runtime.store import DATABASE_FILE_NAME, Cursor, Store, allocate_id, open_store


def _counter_value(cursor: Cursor) -> int:
    cursor.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, value INTEGER)")
    row = cursor.execute("SELECT value FROM counter WHERE id = 1").fetchone()
    return 0 if row is None else row[0]


def _increment(cursor: Cursor) -> int:
    value = _counter_value(cursor) + 1
    cursor.execute("INSERT OR REPLACE INTO counter VALUES (1, ?)", [value])
    return value


async def test_concurrent_read_modify_writes_lose_no_update(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        async with trio.open_nursery() as nursery:
            for _ in range(100):
                nursery.start_soon(store.write, _increment)
        assert await store.read(_counter_value) == 100


async def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        await store.write(_increment)

        def increment_then_refuse(cursor: Cursor) -> None:
            _increment(cursor)
            raise Conflict("refused")

        with pytest.raises(Conflict):
            await store.write(increment_then_refuse)
        assert await store.read(_counter_value) == 1


async def test_duckdb_errors_become_backend_errors(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        with pytest.raises(BackendError, match="storage failure"):
            await store.read(lambda cursor: cursor.execute("SELECT * FROM no_such_table").fetchall())
        # the writer survives a failed transaction
        with pytest.raises(BackendError):
            await store.write(lambda cursor: cursor.execute("INSERT INTO no_such_table VALUES (1)"))
        assert await store.write(_increment) == 1


async def _allocate(store: Store, prefix: str, taken: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    return await store.write(lambda cursor: allocate_id(cursor, prefix, taken.__contains__))


async def test_ids_count_per_prefix_skip_taken_ones_and_survive_restart(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        assert await _allocate(store, "story-") == "story-0"
        assert await _allocate(store, "story-") == "story-1"
        assert await _allocate(store, "draft-") == "draft-0"
        assert await _allocate(store, "story-", {"story-2", "story-3"}) == "story-4"
    async with open_store(tmp_path) as reopened:
        assert await _allocate(reopened, "story-") == "story-5"


async def test_an_id_allocated_in_a_failed_write_is_not_consumed(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:

        def allocate_then_fail(cursor: Cursor) -> None:
            allocate_id(cursor, "blob-", lambda _: False)
            raise Conflict("no")

        with pytest.raises(Conflict):
            await store.write(allocate_then_fail)
        assert await _allocate(store, "blob-") == "blob-0"


async def test_storage_errors_quote_neither_duckdb_nor_the_stored_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret_doc = '{"api_key":"sk-very-secret-key","broken":"\\ud800"}'
    async with open_store(tmp_path) as store:
        await store.write(lambda cursor: cursor.execute("CREATE TABLE docs (doc JSON)"))
        with caplog.at_level(logging.DEBUG), pytest.raises(BackendError) as failed:
            await store.write(lambda cursor: cursor.execute("INSERT INTO docs VALUES (?)", [secret_doc]))
    assert failed.value.message == "storage failure (the server log has the details)"
    logged = [record for record in caplog.records if record.getMessage() == "store_failure"]
    assert logged and logged[0].error.startswith("ConversionException: Conversion Error: Malformed JSON")
    assert all("sk-very-secret-key" not in str(vars(record)) for record in caplog.records)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_data_directory_and_its_database_are_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    async with open_store(data_dir):
        pass
    assert mode_of(data_dir) == 0o700
    assert mode_of(data_dir / DATABASE_FILE_NAME) == 0o600


async def test_an_existing_shared_directory_is_left_alone_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    os.chmod(tmp_path, 0o755)
    with caplog.at_level(logging.WARNING):
        async with open_store(tmp_path):
            pass
    assert mode_of(tmp_path) == 0o755
    assert "data_dir_open_to_others" in caplog.text
    assert mode_of(tmp_path / DATABASE_FILE_NAME) == 0o600
