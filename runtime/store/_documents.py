"""A table of JSON documents keyed by one id, with promoted columns. Runs on a cursor, in a thread."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Hashable, Mapping
from typing import Any, Generic, TypeVar

import attrs
import duckdb

from runtime.codec import CODEC
from runtime.errors import Conflict, NotFound
from runtime.store._database import insert_rows, scalar
from runtime.store._ids import allocate_id

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
        document = self.get_document(cursor, record_id)
        return None if document is None else self.decode(document)

    def get_document(self, cursor: Cursor, record_id: str) -> str | None:
        """The stored JSON text of the record, undecoded."""
        row = cursor.execute(f"SELECT doc FROM {self.table} WHERE {self.key} = ?", [record_id]).fetchone()
        return None if row is None else str(row[0])

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

    def ids(self, cursor: Cursor) -> builtins.list[str]:
        rows = cursor.execute(f"SELECT {self.key} FROM {self.table} ORDER BY {self.key}").fetchall()
        return [row[0] for row in rows]

    def count(self, cursor: Cursor, where: str = "", params: builtins.list[object] | None = None) -> int:
        clause = f" WHERE {where}" if where else ""
        return int(scalar(cursor, f"SELECT count(*) FROM {self.table}{clause}", params or []))

    def insert(self, cursor: Cursor, record_id: str, record: R) -> None:
        values = self._row(record_id, record)
        insert_rows(cursor, self.table, list(values), [list(values.values())])

    def new_document(
        self,
        record_id: str,
        record: R,
        taken: Callable[[], Exception] | None = None,
        requires: Requirement | None = None,
    ) -> NewDocument:
        """A write that inserts `record` (encoded now, on the caller's thread); see NewDocument.

        A taken id raises `taken()`, by default Conflict `{thing} '{id}' already exists`.
        """
        conflict = taken or (lambda: Conflict.exists(self.thing, record_id))
        return NewDocument(self, record_id, self._row(record_id, record), conflict, requires)

    def _row(self, record_id: str, record: R) -> dict[str, object]:
        return {self.key: record_id, **self.columns(record), "doc": self.encode(record)}

    def update(self, cursor: Cursor, record_id: str, record: R, *, changed: Collection[str] | None = None) -> None:
        """Store `record` over the row; `changed` names the only promoted columns that may differ
        (fewer columns set is a cheaper UPDATE), None: all of them."""
        columns = self.columns(record)
        if changed is not None:
            columns = {name: columns[name] for name in changed}
        values = {**columns, "doc": self.encode(record)}
        assignments = ", ".join(f"{name} = ?" for name in values)
        cursor.execute(f"UPDATE {self.table} SET {assignments} WHERE {self.key} = ?", [*values.values(), record_id])

    def new_id(self, cursor: Cursor, prefix: str) -> str:
        """The next never-used `{prefix}N` that no row of this table holds (R1); inside a write."""
        return allocate_id(cursor, prefix, lambda candidate: self.exists(cursor, candidate))

    def change(self, cursor: Cursor, record_id: str, changes: Mapping[str, Any]) -> R:
        """Apply `changes` to the stored record (NotFound if there is none), save it and return it."""
        # Every R is an attrs class; the attrs mypy plugin cannot see that through a TypeVar.
        record = attrs.evolve(self.require(cursor, record_id), **changes)  # type: ignore[misc]
        self.update(cursor, record_id, record)
        return record

    def delete(self, cursor: Cursor, record_id: str) -> bool:
        """Delete the row; True when there was one."""
        rows = cursor.execute(
            f"DELETE FROM {self.table} WHERE {self.key} = ? RETURNING {self.key}", [record_id]
        ).fetchall()
        return bool(rows)

    def encode(self, record: R) -> str:
        return CODEC.dumps(record)

    def decode(self, doc: str) -> R:
        return CODEC.loads(doc, self.record_type)


@attrs.frozen
class Requirement:
    """A row that must exist for an insert to happen: `table.key = value` (`key` unique in `table`);
    `missing()` is the error raised when it does not."""

    table: str
    key: str
    value: object
    missing: Callable[[], Exception]


class _NotAllInserted(Exception):
    """Some rows of a combined insert were filtered out; the writer then runs each write alone."""


@attrs.frozen(eq=False)
class NewDocument:
    """A write (call it on the writer's cursor): insert one row whose key must be new, raising
    `taken()` otherwise, and whose requirement (if any) must hold, raising its `missing()` otherwise,
    in that order. The writer runs consecutive NewDocuments of the same table, columns and
    requirement in one statement (`combine_key`, `run_together`): DuckDB spends a fixed fraction
    of a millisecond per statement, so a batch of inserts costs little more than one."""

    table: DocumentTable[Any]
    record_id: str
    values: dict[str, object]  # column → value: the key, the promoted columns and the encoded doc
    taken: Callable[[], Exception]
    requires: Requirement | None = None

    @property
    def combine_key(self) -> Hashable:
        required = None if self.requires is None else (self.requires.table, self.requires.key)
        return (self.table.table, tuple(self.values), required)

    def __call__(self, cursor: Cursor) -> None:
        if self.table.exists(cursor, self.record_id):
            raise self.taken()
        if self.requires is None:
            self._insert_rows(cursor, [self])
        elif not self._insert_rows(cursor, [self]):
            raise self.requires.missing()

    def run_together(self, cursor: Cursor, documents: list[NewDocument]) -> list[None]:
        """Insert all `documents` (this one first, all with this `combine_key`) in one statement.
        Raises when any of them could not be inserted; the writer then rolls back and runs each
        alone, so the errors are exactly those of running them one after the other."""
        if self._insert_rows(cursor, documents) != len(documents):
            raise _NotAllInserted()
        return [None for _ in documents]

    def _insert_rows(self, cursor: Cursor, documents: list[NewDocument]) -> int:
        """Insert the rows of `documents` whose requirement holds; the number inserted. A taken
        key raises duckdb.ConstraintException."""
        names = list(self.values)
        columns = ", ".join(names)
        width = len(names) + (0 if self.requires is None else 1)
        rows = ", ".join([f"({', '.join(['?'] * width)})"] * len(documents))
        params: list[object] = []
        for document in documents:
            params.extend(document.values.values())
            if document.requires is not None:
                params.append(document.requires.value)
        if self.requires is None:
            sql = f"INSERT INTO {self.table.table} ({columns}) VALUES {rows}"
        else:
            required = self.requires
            sql = (
                f"INSERT INTO {self.table.table} ({columns}) SELECT {columns} FROM (VALUES {rows})"
                f" AS new_rows ({columns}, required_value)"
                f" WHERE required_value IN (SELECT {required.key} FROM {required.table})"
            )
        return int(scalar(cursor, sql, params))
