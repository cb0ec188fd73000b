"""The write of a card import: everything one file yields, in one transaction, in few statements.

A `CardWrite` stores the character (id chosen, or a slug of the name made unique), its cover
blob, the default schema when it is used and missing, the original card, a CHARX's files and
the extra records (the lorebook of an embedded book). DuckDB spends a fixed fraction of a millisecond per statement, and a bulk
import queues many writes at once: so the writes the store's writer groups together run as one
batch (`combine_key`, `run_together`): one query for the taken ids, one for the schemas, one
counter step for all blob ids, one multi-row insert per table, and one batch per kind of extra
record. The batch gives exactly the
results of running the writes one after the other; if any of them would fail, the batch raises
and the writer runs each write alone (`__call__` is a batch of one), so each gets its own error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import ClassVar, Protocol

import attrs

from runtime.errors import NotFound
from runtime.interchange import CardReading
from runtime.model.cards import CreatedIds, ImportWarning, StoredCard
from runtime.model.characters import CharacterCardContent, CharacterRecord
from runtime.model.schemas import Schema
from runtime.services._import_ids import slug, unique_ids
from runtime.services.characters import normalize_content
from runtime.store import Cursor, allocate_ids
from runtime.store.character_cards import CHARACTER_CARDS, insert_card_files
from runtime.store.characters import BLOB_ID_PREFIX, CHARACTERS, Blob
from runtime.store.packages import existing_ids, insert_blobs, insert_documents, stored_blob_ids
from runtime.store.schemas import SCHEMAS

DEFAULT_SCHEMA = Schema("character-card", "Character card", ["character"], {})
"""The schema of characters imported without one; created by the first import that needs it."""
SLUG_FALLBACK = "character"  # the id of a character whose name has no ASCII letter or digit


@attrs.frozen
class CreatedRecord:
    record_id: str
    warnings: list[ImportWarning]


class ExtraRecord(Protocol):
    """A record a card's part creates beside the character, inside the import's transaction."""

    @property
    def kind(self) -> str:
        """The `CreatedIds` field its id is reported under (`lorebooks`)."""

    def write_together(self, cursor: Cursor, owned: Sequence[tuple[ExtraRecord, str]]) -> list[CreatedRecord]:
        """Insert every record of `owned` (this one first, all of this one's type), each beside
        the character whose id is paired with it; return what each created, in order. Raise to
        refuse the whole batch."""


@attrs.frozen
class Written:
    character_id: str
    schema_id: str
    created: CreatedIds
    warnings: list[ImportWarning]


@attrs.frozen(eq=False)
class CardWrite:
    """One file's import. A function of the database alone: the writer may run it twice."""

    combine_key: ClassVar[str] = "character_import"

    reading: CardReading
    target: str | None  # the character id the caller chose; None: derived from the name
    schema_id: str | None  # None: DEFAULT_SCHEMA
    extras: list[ExtraRecord]
    now_ms: int

    @property
    def wanted_id(self) -> str:
        return self.target if self.target is not None else slug(self.reading.character.name, SLUG_FALLBACK)

    def __call__(self, cursor: Cursor) -> Written:
        return self.run_together(cursor, [self])[0]

    def run_together(self, cursor: Cursor, writes: Sequence[CardWrite]) -> list[Written]:
        """Store every write of `writes` (this one first), as running them in order would."""
        ids = unique_ids(cursor, CHARACTERS, [(write.wanted_id, write.target is not None) for write in writes])
        schemas, creates_default = _schema_ids(cursor, writes)
        blob_ids = iter(_blob_ids(cursor, sum(write.reading.picture is not None for write in writes)))
        batch = _Rows()
        results = []
        for index, write in enumerate(writes):
            character_id, warnings = ids[index]
            created = CreatedIds(
                characters=[character_id], schemas=[schemas[index]] if index == creates_default else []
            )
            batch.add(write, character_id, schemas[index], created, blob_ids)
            results.append(Written(character_id, schemas[index], created, warnings))
        batch.insert(cursor)
        _write_extras(cursor, writes, results)
        return results


def _write_extras(cursor: Cursor, writes: Sequence[CardWrite], results: list[Written]) -> None:
    """The extra records of every write, one batch per kind of record; ids and warnings reported."""
    by_type: dict[type, list[tuple[ExtraRecord, int]]] = defaultdict(list)
    for index, write in enumerate(writes):
        for extra in write.extras:
            by_type[type(extra)].append((extra, index))
    for group in by_type.values():
        first = group[0][0]
        created = first.write_together(cursor, [(extra, results[index].character_id) for extra, index in group])
        for (extra, index), record in zip(group, created, strict=True):
            getattr(results[index].created, extra.kind).append(record.record_id)
            results[index].warnings.extend(record.warnings)


@attrs.define
class _Rows:
    """The rows of a batch, inserted table by table."""

    blobs: list[Blob] = attrs.Factory(list)
    characters: list[tuple[str, CharacterRecord]] = attrs.Factory(list)
    cards: list[tuple[str, StoredCard]] = attrs.Factory(list)
    files: list[tuple[str, str, bytes]] = attrs.Factory(list)

    def add(
        self, write: CardWrite, character_id: str, schema_id: str, created: CreatedIds, blob_ids: Iterator[str]
    ) -> None:
        reading = write.reading
        content = _content(reading, character_id, schema_id)
        record = CharacterRecord(content)
        picture = reading.picture
        if picture is not None:
            blob = Blob(next(blob_ids), picture.file_name, picture.mime_type.value, picture.data, write.now_ms)
            self.blobs.append(blob)
            created.blobs.append(blob.blob_id)
            record = attrs.evolve(
                record, cover_blob_id=blob.blob_id, cover_file_name=blob.file_name, cover_mime_type=picture.mime_type
            )
        self.characters.append((character_id, record))
        stored = StoredCard(
            character_id, reading.container, reading.card.spec, reading.file_name, write.now_ms, content, reading.raw
        )
        self.cards.append((character_id, stored))
        self.files.extend((character_id, path, data) for path, data in reading.files.items())

    def insert(self, cursor: Cursor) -> None:
        insert_blobs(cursor, self.blobs)
        insert_documents(cursor, CHARACTERS, self.characters)
        insert_documents(cursor, CHARACTER_CARDS, self.cards)
        insert_card_files(cursor, self.files)


def _content(reading: CardReading, character_id: str, schema_id: str) -> CharacterCardContent:
    character = reading.character
    content = CharacterCardContent(
        id=character_id,
        name=character.name,
        personality=character.personality,
        style=character.style,
        schema_id=schema_id,
        system_prompt=character.system_prompt,
        tags=character.tags,
    )
    return normalize_content(content, character_id)


# -- ids and schemas -----------------------------------------------------------------------


def _schema_ids(cursor: Cursor, writes: Sequence[CardWrite]) -> tuple[list[str], int | None]:
    """Each write's schema id, and the index of the write that creates the default schema (if one does).
    NotFound for a chosen schema that does not exist."""
    chosen = [write.schema_id or DEFAULT_SCHEMA.schema_id for write in writes]
    existing = existing_ids(cursor, SCHEMAS, chosen)
    creates_default = None
    for index, write in enumerate(writes):
        if write.schema_id is not None and write.schema_id not in existing:
            raise NotFound.record("schema", write.schema_id)
        if write.schema_id is None and DEFAULT_SCHEMA.schema_id not in existing and creates_default is None:
            creates_default = index
    if creates_default is not None:
        SCHEMAS.insert(cursor, DEFAULT_SCHEMA.schema_id, DEFAULT_SCHEMA)
    return chosen, creates_default


def _blob_ids(cursor: Cursor, count: int) -> list[str]:
    if count == 0:
        return []
    taken = stored_blob_ids(cursor)
    return allocate_ids(cursor, BLOB_ID_PREFIX, count, taken.__contains__)
