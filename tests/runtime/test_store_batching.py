"""Group commit: writes queued behind a running one commit together, and a failing write in the
group changes nothing while every other write of the group commits exactly once."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
import trio.testing

from runtime.errors import BackendError, Conflict, NotFound
from runtime.store import Cursor, DocumentTable, Store, open_store
from runtime.store._documents import NewDocument, Requirement

Change = Callable[[Cursor], Any]


def _create_rows(cursor: Cursor) -> None:
    cursor.execute("CREATE TABLE rows (name VARCHAR PRIMARY KEY)")


def _names(cursor: Cursor) -> list[str]:
    return [row[0] for row in cursor.execute("SELECT name FROM rows ORDER BY name").fetchall()]


class Runs:
    """Counts how often each named change ran (a change may run again after its group failed)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def insert(self, *names: str, then_raise: Exception | None = None) -> Change:
        key = names[0] if names else "nothing"

        def change(cursor: Cursor) -> str:
            self.counts[key] += 1
            for name in names:
                cursor.execute("INSERT INTO rows VALUES (?)", [name])
            if then_raise is not None:
                raise then_raise
            return key

        return change


async def _write_as_one_group(store: Store, changes: list[Change]) -> list[Any]:
    """Run `changes` as one group: they are queued while the writer is held in a blocked write.
    Each result is the change's return value or the exception it ended with."""
    holding, release = threading.Event(), threading.Event()

    def hold(cursor: Cursor) -> None:
        holding.set()
        release.wait()

    results: list[Any] = [None] * len(changes)

    async def write(index: int, change: Change) -> None:
        try:
            results[index] = await store.write(change)
        except Exception as exc:  # noqa: BLE001 - the test compares what each caller got
            results[index] = exc

    async with trio.open_nursery() as nursery:
        nursery.start_soon(store.write, hold)
        await trio.to_thread.run_sync(holding.wait)
        for index, change in enumerate(changes):
            nursery.start_soon(write, index, change)
            await trio.testing.wait_all_tasks_blocked()  # queued behind `hold`, in this order
        release.set()
    return results


async def test_queued_writes_commit_together_each_once_with_their_own_results(tmp_path: Path) -> None:
    runs = Runs()
    async with open_store(tmp_path) as store:
        await store.write(_create_rows)
        results = await _write_as_one_group(store, [runs.insert(f"row-{n}") for n in range(5)])
        assert results == [f"row-{n}" for n in range(5)]
        assert runs.counts == {f"row-{n}": 1 for n in range(5)}
        assert await store.read(_names) == [f"row-{n}" for n in range(5)]


async def test_a_failing_write_in_a_group_changes_nothing_and_the_others_commit_once(tmp_path: Path) -> None:
    runs = Runs()
    async with open_store(tmp_path) as store:
        await store.write(_create_rows)
        changes = [
            runs.insert("a"),
            runs.insert("bad-1", "bad-2", then_raise=Conflict("refused")),
            runs.insert("b"),
        ]
        results = await _write_as_one_group(store, changes)
        assert results[0] == "a" and results[2] == "b"
        assert isinstance(results[1], Conflict) and results[1].message == "refused"
        assert await store.read(_names) == ["a", "b"]  # both rows of the failing write are gone
        # the group ran up to the failure and was rolled back, then each write ran alone
        assert runs.counts == {"a": 2, "bad-1": 2, "b": 1}


async def test_a_duckdb_error_in_a_group_fails_only_its_own_write(tmp_path: Path) -> None:
    runs = Runs()
    async with open_store(tmp_path) as store:
        await store.write(_create_rows)
        await store.write(runs.insert("taken"))
        results = await _write_as_one_group(store, [runs.insert("x"), runs.insert("taken"), runs.insert("y")])
        assert results[0] == "x" and results[2] == "y"
        assert isinstance(results[1], BackendError)
        assert await store.read(_names) == ["taken", "x", "y"]


async def test_a_write_that_swallows_a_duckdb_error_fails_instead_of_losing_the_group(tmp_path: Path) -> None:
    """DuckDB silently discards a transaction whose statement failed, even on COMMIT; so a write
    that catches such an error must not be reported (nor take its group down) as committed."""
    async with open_store(tmp_path) as store:
        await store.write(_create_rows)
        await store.write(lambda cursor: cursor.execute("INSERT INTO rows VALUES ('taken')"))

        def swallow(cursor: Cursor) -> None:
            cursor.execute("INSERT INTO rows VALUES ('lost')")
            with contextlib.suppress(Exception):  # exactly the mistake under test
                cursor.execute("INSERT INTO rows VALUES ('taken')")

        runs = Runs()
        results = await _write_as_one_group(store, [runs.insert("x"), swallow, runs.insert("y")])
        assert results[0] == "x" and results[2] == "y"
        assert isinstance(results[1], BackendError)
        assert await store.read(_names) == ["taken", "x", "y"]
        with pytest.raises(BackendError):
            await store.write(swallow)  # alone, too


async def test_writes_of_a_group_see_the_earlier_ones_like_serial_writes(tmp_path: Path) -> None:
    def append_count(cursor: Cursor) -> int:
        count = len(_names(cursor))
        cursor.execute("INSERT INTO rows VALUES (?)", [f"row-{count}"])
        return count

    async with open_store(tmp_path) as store:
        await store.write(_create_rows)
        results = await _write_as_one_group(store, [append_count] * 4)
        assert results == [0, 1, 2, 3]
        assert await store.read(_names) == ["row-0", "row-1", "row-2", "row-3"]


async def test_a_group_survives_a_restart(tmp_path: Path) -> None:
    runs = Runs()
    async with open_store(tmp_path) as store:
        await store.write(_create_rows)
        await _write_as_one_group(store, [runs.insert("p"), runs.insert("q", then_raise=Conflict("no"))])
    async with open_store(tmp_path) as reopened:
        assert await reopened.read(_names) == ["p"]


# -- new documents queued together are inserted by one statement ---------------------------


@attrs.frozen
class Note:
    note_id: str
    book_id: str
    text: str


NOTES = DocumentTable("notes", "note_id", Note, "note", columns=lambda note: {"book_id": note.book_id})


def _create_notes(cursor: Cursor) -> None:
    cursor.execute("CREATE TABLE books (book_id VARCHAR PRIMARY KEY)")
    cursor.execute("CREATE TABLE notes (note_id VARCHAR PRIMARY KEY, book_id VARCHAR NOT NULL, doc JSON NOT NULL)")
    cursor.execute("INSERT INTO books VALUES ('book')")


def _new_note(note_id: str, book_id: str = "book") -> NewDocument:
    book = Requirement("books", "book_id", book_id, lambda: NotFound.record("book", book_id))
    return NOTES.new_document(
        note_id, Note(note_id, book_id, f"text of {note_id}"), lambda: Conflict.exists("note", note_id), book
    )


def _note_ids(cursor: Cursor) -> list[str]:
    return [note.note_id for note in NOTES.list(cursor)]


@attrs.frozen(eq=False)
class _Recording:
    """A NewDocument whose statements are recorded (it combines exactly like the one it wraps)."""

    document: NewDocument
    statements: list[str]

    @property
    def combine_key(self) -> Any:
        return self.document.combine_key

    def __call__(self, cursor: Cursor) -> None:
        self.document(_RecordingCursor(cursor, self.statements))

    def run_together(self, cursor: Cursor, recordings: list[_Recording]) -> list[None]:
        documents = [recording.document for recording in recordings]
        return self.document.run_together(_RecordingCursor(cursor, self.statements), documents)


@attrs.frozen
class _RecordingCursor:
    cursor: Cursor
    statements: list[str]

    def execute(self, sql: str, params: list[object] | None = None) -> Any:
        self.statements.append(sql)
        return self.cursor.execute(sql, params or [])


def _recording(document: NewDocument, statements: list[str]) -> _Recording:
    return _Recording(document, statements)


async def test_queued_new_documents_are_inserted_by_one_statement(tmp_path: Path) -> None:
    statements: list[str] = []

    async with open_store(tmp_path) as store:
        await store.write(_create_notes)
        notes = [_new_note(f"note-{n}") for n in range(6)]
        results = await _write_as_one_group(store, [_recording(note, statements) for note in notes])
        assert results == [None] * 6
        assert await store.read(_note_ids) == [f"note-{n}" for n in range(6)]
        assert [note.text for note in await store.read(NOTES.list)] == [f"text of note-{n}" for n in range(6)]
    assert len([sql for sql in statements if sql.startswith("INSERT")]) == 1


async def test_a_taken_or_unsatisfied_new_document_fails_alone_with_its_own_error(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        await store.write(_create_notes)
        await store.write(_new_note("old"))
        changes: list[Change] = [
            _new_note("a"),
            _new_note("old"),
            _new_note("b"),
            _new_note("c", "no-book"),
            _new_note("a"),
            _new_note("d"),
        ]
        results = await _write_as_one_group(store, changes)
        assert [type(result).__name__ for result in results] == [
            "NoneType",
            "Conflict",
            "NoneType",
            "NotFound",
            "Conflict",
            "NoneType",
        ]
        assert results[3].message == "book 'no-book' not found"
        assert results[4].message == "note 'a' already exists"
        assert await store.read(_note_ids) == ["a", "b", "d", "old"]


async def test_new_documents_stay_in_order_with_the_writes_between_them(tmp_path: Path) -> None:
    def count_notes(cursor: Cursor) -> int:
        return len(_note_ids(cursor))

    async with open_store(tmp_path) as store:
        await store.write(_create_notes)
        changes: list[Change] = [_new_note("a"), _new_note("b"), count_notes, _new_note("c"), count_notes]
        assert await _write_as_one_group(store, changes) == [None, None, 2, None, 3]


async def test_a_taken_id_is_checked_before_the_requirement(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        await store.write(_create_notes)
        await store.write(_new_note("a"))
        with pytest.raises(Conflict, match="note 'a' already exists"):
            await store.write(_new_note("a", "no-book"))
        with pytest.raises(NotFound, match="book 'no-book' not found"):
            await store.write(_new_note("b", "no-book"))
        assert await store.read(_note_ids) == ["a"]


async def test_new_documents_without_a_requirement_combine_and_conflict_alike(tmp_path: Path) -> None:
    def plain(note_id: str) -> NewDocument:
        return NOTES.new_document(note_id, Note(note_id, "anywhere", ""), lambda: Conflict.exists("note", note_id))

    async with open_store(tmp_path) as store:
        await store.write(_create_notes)
        assert await _write_as_one_group(store, [plain("a"), plain("b")]) == [None, None]
        results = await _write_as_one_group(store, [plain("c"), plain("b"), plain("d")])
        assert results[0] is None and results[2] is None and isinstance(results[1], Conflict)
        assert await store.read(_note_ids) == ["a", "b", "c", "d"]
