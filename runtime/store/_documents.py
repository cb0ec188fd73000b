"""A table of JSON documents keyed by one id, with promoted columns. Runs on a cursor, in a thread."""

from __future__ import annotations

import json
from typing import Any, Callable, Generic, TypeVar

import attrs
import duckdb

from runtime.codec import CODEC
from runtime.errors import NotFound

R = TypeVar("R")
Cursor = duckdb.DuckDBPyConnection


def _no_columns(_: Any) -> dict[str, object]:
    return {}


@attrs.frozen
class DocumentTable(Generic[R]):
    """Rows `(key, promoted columns…, doc)`; `doc` holds the whole record as JSON.

    `thing` is the record's name in messages (`{thing} '{id}' not found`).
    `columns` maps a record to its promoted column values.
    `order_by` is the SQL ordering of `list` (R13: by id unless a family says otherwise).
    """

    table: str
    key: str
    record_type: type[R]
    thing: str
    columns: Callable[[R], dict[str, object]] = _no_columns
    order_by: str = ""

    def get(self, cursor: Cursor, record_id: str) -> R | None:
        row = cursor.execute(f"SELECT doc FROM {self.table} WHERE {self.key} = ?", [record_id]).fetchone()
        return None if row is None else self.decode(row[0])

    def require(self, cursor: Cursor, record_id: str) -> R:
        """The record, or NotFound with the family's template."""
        record = self.get(cursor, record_id)
        if record is None:
            raise NotFound.record(self.thing, record_id)
        return record

    def exists(self, cursor: Cursor, record_id: str) -> bool:
        row = cursor.execute(f"SELECT 1 FROM {self.table} WHERE {self.key} = ?", [record_id]).fetchone()
        return row is not None

    def list(self, cursor: Cursor, where: str = "", params: list[object] | None = None) -> list[R]:
        order = self.order_by or self.key
        clause = f" WHERE {where}" if where else ""
        rows = cursor.execute(f"SELECT doc FROM {self.table}{clause} ORDER BY {order}", params or []).fetchall()
        return [self.decode(row[0]) for row in rows]

    def ids(self, cursor: Cursor) -> list[str]:
        rows = cursor.execute(f"SELECT {self.key} FROM {self.table} ORDER BY {self.key}").fetchall()
        return [row[0] for row in rows]

    def count(self, cursor: Cursor, where: str = "", params: list[object] | None = None) -> int:
        clause = f" WHERE {where}" if where else ""
        return cursor.execute(f"SELECT count(*) FROM {self.table}{clause}", params or []).fetchone()[0]

    def insert(self, cursor: Cursor, record_id: str, record: R) -> None:
        values = {self.key: record_id, **self.columns(record), "doc": self.encode(record)}
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor.execute(f"INSERT INTO {self.table} ({names}) VALUES ({marks})", list(values.values()))

    def update(self, cursor: Cursor, record_id: str, record: R) -> None:
        values = {**self.columns(record), "doc": self.encode(record)}
        assignments = ", ".join(f"{name} = ?" for name in values)
        cursor.execute(
            f"UPDATE {self.table} SET {assignments} WHERE {self.key} = ?", [*values.values(), record_id]
        )

    def delete(self, cursor: Cursor, record_id: str) -> bool:
        """Delete the row; True when there was one."""
        rows = cursor.execute(
            f"DELETE FROM {self.table} WHERE {self.key} = ? RETURNING {self.key}", [record_id]
        ).fetchall()
        return bool(rows)

    def encode(self, record: R) -> str:
        return CODEC.dumps(record)

    def decode(self, doc: str) -> R:
        return CODEC.structure(json.loads(doc), self.record_type, path="<stored>")
