"""The characters table, the blobs table that holds covers, and the schema check characters need.

Runs on a cursor, in a worker thread (inside `Store.read` / `Store.write`).
"""

from __future__ import annotations

import attrs

from runtime.errors import NotFound
from runtime.model.characters import CharacterRecord
from runtime.store._database import Cursor
from runtime.store._documents import DocumentTable, NewDocument, Requirement
from runtime.store._ids import allocate_id

BLOB_ID_PREFIX = "blob-"


def _character_columns(record: CharacterRecord) -> dict[str, object]:
    mime_type = record.cover_mime_type
    return {
        "schema_id": record.content.schema_id,
        "cover_blob_id": record.cover_blob_id,
        "cover_file_name": record.cover_file_name,
        "cover_mime_type": None if mime_type is None else mime_type.value,
    }


CHARACTERS = DocumentTable("characters", "character_id", CharacterRecord, "character", columns=_character_columns)


def schema_exists(cursor: Cursor, schema_id: str) -> bool:
    """Whether a state schema with exactly this id is stored."""
    return cursor.execute("SELECT 1 FROM schemas WHERE schema_id = ?", [schema_id]).fetchone() is not None


def new_character(record: CharacterRecord) -> NewDocument:
    """The write that stores a new character: Conflict for a taken id, checked first (PROTOCOL
    §6.11), then NotFound for a missing schema."""
    content = record.content
    schema_id = content.schema_id
    schema = Requirement("schemas", "schema_id", schema_id, lambda: NotFound.record("schema", schema_id))
    return CHARACTERS.new_document(content.id, record, requires=schema)


# -- blobs -------------------------------------------------------------------------------


@attrs.frozen
class Blob:
    """Stored file bytes (a character cover) with the name and type they are served under."""

    blob_id: str
    file_name: str | None
    content_type: str
    data: bytes = attrs.field(repr=False)
    created_at_ms: int


def blob_exists(cursor: Cursor, blob_id: str) -> bool:
    return cursor.execute("SELECT 1 FROM blobs WHERE blob_id = ?", [blob_id]).fetchone() is not None


def insert_blob(cursor: Cursor, file_name: str | None, content_type: str, data: bytes, created_at_ms: int) -> Blob:
    """Store the bytes under a fresh `blob-N` id (R1) and return the stored blob."""
    blob_id = allocate_id(cursor, BLOB_ID_PREFIX, lambda candidate: blob_exists(cursor, candidate))
    cursor.execute(
        "INSERT INTO blobs (blob_id, file_name, content_type, data, created_at_ms) VALUES (?, ?, ?, ?, ?)",
        [blob_id, file_name, content_type, data, created_at_ms],
    )
    return Blob(blob_id, file_name, content_type, data, created_at_ms)


def get_blob(cursor: Cursor, blob_id: str) -> Blob | None:
    row = cursor.execute(
        "SELECT blob_id, file_name, content_type, data, created_at_ms FROM blobs WHERE blob_id = ?", [blob_id]
    ).fetchone()
    if row is None:
        return None
    blob_id, file_name, content_type, data, created_at_ms = row
    return Blob(blob_id, file_name, content_type, bytes(data), created_at_ms)


def delete_blob(cursor: Cursor, blob_id: str) -> bool:
    """Delete the blob; True when there was one."""
    rows = cursor.execute("DELETE FROM blobs WHERE blob_id = ? RETURNING blob_id", [blob_id]).fetchall()
    return bool(rows)
