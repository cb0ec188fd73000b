"""Store work of data packages: one consistent read of many records, and bulk writes.

An export reads hundreds of records and covers; `snapshot` makes all of those reads one
transaction, so a write that commits meanwhile is either wholly seen or not at all. An
import writes hundreds of rows in one transaction; the bulk inserts here send them a batch
of rows per statement. Runs on a cursor, in a worker thread (inside `Store.read` / `Store.write`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from runtime.store._database import Cursor, insert_rows
from runtime.store._documents import DocumentTable
from runtime.store.characters import Blob

R = TypeVar("R")


@contextlib.contextmanager
def snapshot(cursor: Cursor) -> Iterator[Cursor]:
    """Every read on `cursor` inside the block sees the same committed state. Read-only: rolls back."""
    cursor.execute("BEGIN TRANSACTION")
    try:
        yield cursor
    finally:
        cursor.execute("ROLLBACK")


def records_by_id(cursor: Cursor, table: DocumentTable[R], ids: Iterable[str]) -> dict[str, R]:
    """The stored records among `ids`, by id; missing ids are simply absent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = cursor.execute(
        f"SELECT {table.key}, doc FROM {table.table} WHERE list_contains(?, {table.key})", [wanted]
    ).fetchall()
    return {row[0]: table.decode(row[1]) for row in rows}


def first_existing_id(cursor: Cursor, table: DocumentTable[R], ids: Iterable[str]) -> str | None:
    """The smallest of `ids` that is stored in `table`, or None."""
    wanted = sorted(set(ids))
    if not wanted:
        return None
    row = cursor.execute(
        f"SELECT min({table.key}) FROM {table.table} WHERE list_contains(?, {table.key})", [wanted]
    ).fetchone()
    return None if row is None else row[0]


def existing_ids(cursor: Cursor, table: DocumentTable[R], ids: Iterable[str]) -> set[str]:
    """Which of `ids` are stored in `table`."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = cursor.execute(
        f"SELECT {table.key} FROM {table.table} WHERE list_contains(?, {table.key})", [wanted]
    ).fetchall()
    return {row[0] for row in rows}


def insert_documents(cursor: Cursor, table: DocumentTable[R], records: Sequence[tuple[str, R]]) -> None:
    """Insert every `(id, record)` as `table.insert` would, a batch of rows per statement."""
    rows = [[record_id, *table.columns(record).values(), table.encode(record)] for record_id, record in records]
    if not rows:
        return
    names = [table.key, *table.columns(records[0][1]), "doc"]
    insert_rows(cursor, table.table, names, rows)


def read_blobs(cursor: Cursor, blob_ids: Iterable[str]) -> dict[str, Blob]:
    """The stored blobs among `blob_ids`, by id."""
    wanted = sorted(set(blob_ids))
    if not wanted:
        return {}
    rows = cursor.execute(
        "SELECT blob_id, file_name, content_type, data, created_at_ms FROM blobs WHERE list_contains(?, blob_id)",
        [wanted],
    ).fetchall()
    return {row[0]: Blob(row[0], row[1], row[2], bytes(row[3]), row[4]) for row in rows}


def insert_blobs(cursor: Cursor, blobs: Sequence[Blob]) -> None:
    """Insert blobs whose ids were allocated already (`allocate_ids` with the blob prefix)."""
    rows = [[blob.blob_id, blob.file_name, blob.content_type, blob.data, blob.created_at_ms] for blob in blobs]
    insert_rows(cursor, "blobs", ["blob_id", "file_name", "content_type", "data", "created_at_ms"], rows)


def stored_blob_ids(cursor: Cursor) -> set[str]:
    """Every blob id in the store: what a bulk `blob-N` allocation must step over."""
    return {row[0] for row in cursor.execute("SELECT blob_id FROM blobs").fetchall()}
