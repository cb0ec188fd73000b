"""Snapshot files: what they copy matches the database and its documentation; names never clash;
a failed snapshot leaves nothing behind."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runtime.analytics import LEFT_OUT, SNAPSHOT_TABLES, snapshot_tables_markdown, write_snapshot
from runtime.errors import BackendError
from runtime.store import Cursor, Store, open_store

REPO_ROOT = Path(__file__).resolve().parents[3]
DOC_BEGIN, DOC_END = "<!-- snapshot tables: begin -->\n", "<!-- snapshot tables: end -->"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "data") as opened:
        yield opened


def live_columns(cursor: Cursor) -> dict[str, list[str]]:
    rows = cursor.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'main' ORDER BY table_name, column_index"
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


async def test_every_table_is_copied_or_left_out_and_every_column_is_described(store: Store) -> None:
    live = await store.read(live_columns)
    copied = {table.name: table for table in SNAPSHOT_TABLES}
    assert set(live) == set(copied) | set(LEFT_OUT), "list a new table in SNAPSHOT_TABLES or LEFT_OUT"
    assert not set(copied) & set(LEFT_OUT)
    for name, table in copied.items():
        described = {column.name for column in table.columns}
        assert set(live[name]) - set(table.left_out) <= described, f"describe every column of {name}"
        assert {column.name for column in table.columns if column.sql is None} <= set(live[name]), name
        assert all(column.description for column in table.columns)


def test_the_documentation_lists_the_tables_as_the_code_copies_them() -> None:
    doc = (REPO_ROOT / "docs" / "analytics.md").read_text()
    generated = doc[doc.index(DOC_BEGIN) + len(DOC_BEGIN) : doc.index(DOC_END)]
    assert generated == snapshot_tables_markdown(), (
        "docs/analytics.md is out of date: put runtime.analytics.snapshot_tables_markdown() between its markers"
    )


async def test_two_snapshots_of_the_same_millisecond_get_names_of_their_own(store: Store, tmp_path: Path) -> None:
    snapshots = tmp_path / "data" / "snapshots"
    first = await store.read(functools.partial(write_snapshot, snapshots_dir=snapshots, now_ms=1_796_000_000_123))
    second = await store.read(functools.partial(write_snapshot, snapshots_dir=snapshots, now_ms=1_796_000_000_123))
    assert first.file_name == "dramaturg-20261130T005320.123Z.duckdb"
    assert second.file_name == "dramaturg-20261130T005320.123Z-2.duckdb"
    assert sorted(path.name for path in snapshots.iterdir()) == sorted([first.file_name, second.file_name])


async def test_a_snapshot_that_fails_leaves_no_file(store: Store, tmp_path: Path) -> None:
    snapshots = tmp_path / "data" / "snapshots"
    await store.write(lambda cursor: cursor.execute("DROP TABLE schema_migrations"))  # the last table copied
    with pytest.raises(BackendError, match=r"^storage failure"):
        await store.read(functools.partial(write_snapshot, snapshots_dir=snapshots, now_ms=1))
    assert list(snapshots.iterdir()) == []
