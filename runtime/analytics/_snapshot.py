"""Writing a snapshot: a consistent copy of the database that any DuckDB client can open while the server runs.

The server holds the database file's lock, so analysts query a copy. The copy is made on a read
cursor inside one transaction: DuckDB's snapshot isolation gives every table as of one moment,
while the writer goes on committing turns. The tables go into a new database file attached
beside the live one, in a private temporary directory; once complete and detached, the file is
published into `<data-dir>/snapshots/` under a timestamped name with a hard link (atomic, never
over another snapshot), so a file under that name is always whole.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import shutil
import tempfile
from pathlib import Path

from runtime.analytics._snapshot_tables import SNAPSHOT_TABLES, SnapshotTable
from runtime.model.analytics import SnapshotTableRows, SnapshotWritten
from runtime.store import Cursor

SNAPSHOTS_DIR_NAME = "snapshots"
SNAPSHOT_PREFIX = "dramaturg-"
SNAPSHOT_SUFFIX = ".duckdb"


def write_snapshot(cursor: Cursor, snapshots_dir: Path, now_ms: int) -> SnapshotWritten:
    """Copy every table of SNAPSHOT_TABLES into a new snapshot file and publish it; blocking.

    Leaves nothing behind when it fails. Raises duckdb.Error or OSError.
    """
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix=".partial-", dir=snapshots_dir))
    try:
        partial = work_dir / f"snapshot{SNAPSHOT_SUFFIX}"
        alias = "snapshot_" + work_dir.name.lstrip(".").replace("-", "_")  # unique, as the directory is
        counts = _copy_tables(cursor, partial, alias)
        published = _publish(partial, snapshots_dir, _stem(now_ms))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return SnapshotWritten(
        file_name=published.name,
        path=str(published.resolve()),
        size_bytes=published.stat().st_size,
        created_at_ms=now_ms,
        tables=counts,
    )


def _copy_tables(cursor: Cursor, target: Path, alias: str) -> list[SnapshotTableRows]:
    cursor.execute(f"ATTACH '{_quoted(str(target))}' AS {alias}")
    try:
        cursor.execute("BEGIN TRANSACTION")
        try:
            counts = [_copy_table(cursor, table, alias) for table in SNAPSHOT_TABLES]
            cursor.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                cursor.execute("ROLLBACK")
            raise
        cursor.execute(f"CHECKPOINT {alias}")
    finally:
        cursor.execute(f"DETACH {alias}")
    return counts


def _copy_table(cursor: Cursor, table: SnapshotTable, alias: str) -> SnapshotTableRows:
    target = f"{alias}.{table.name}"
    cursor.execute(f"CREATE TABLE {target} AS SELECT {table.select_list()} FROM {table.name}")
    cursor.execute(f"COMMENT ON TABLE {target} IS '{_quoted(table.description)}'")
    for column in table.columns:
        cursor.execute(f"COMMENT ON COLUMN {target}.{column.name} IS '{_quoted(column.description)}'")
    rows = cursor.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
    return SnapshotTableRows(table.name, rows)


def _publish(partial: Path, snapshots_dir: Path, stem: str) -> Path:
    """Give the finished file its name without ever replacing a file: `stem`, else `stem-2`, …"""
    for attempt in itertools.count(1):
        final = snapshots_dir / f"{stem}{'' if attempt == 1 else f'-{attempt}'}{SNAPSHOT_SUFFIX}"
        try:
            final.hardlink_to(partial)
        except FileExistsError:
            continue
        return final
    raise AssertionError("unreachable")


def _stem(now_ms: int) -> str:
    """`dramaturg-20261207T203015.123Z`: sorts by time, and no characters a file system refuses."""
    moment = datetime.datetime.fromtimestamp(now_ms / 1000, tz=datetime.UTC)
    return f"{SNAPSHOT_PREFIX}{moment:%Y%m%dT%H%M%S}.{now_ms % 1000:03d}Z"


def _quoted(text: str) -> str:
    """`text` inside a single-quoted SQL string literal."""
    return text.replace("'", "''")
