"""Card imports written as one batch give exactly what writing them one after the other gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.errors import Conflict, NotFound
from runtime.interchange import CardReading, read_card_upload, read_card_value
from runtime.model.cards import CreatedIds
from runtime.services._card_writes import SLUG_FALLBACK, CardWrite, Written
from runtime.services._import_ids import slug
from runtime.store import Cursor, Store, open_store
from tests.runtime.test_store_batching import _write_as_one_group
from tests.support.cards import V1_CARD, V2_CARD, png_card

NOW_MS = 1_700_000_000_000


def mira(name: str = "Mira", *, png: bool = True) -> CardReading:
    card = {**V1_CARD, "name": name}
    return read_card_upload(png_card(card), "m.png") if png else read_card_value(card, None, None)


class CountedWrite(CardWrite):
    """A CardWrite that records the size of every batch it runs (a write alone is a batch of one)."""

    batches: list[int] = []  # noqa: RUF012 - shared on purpose, cleared by each test that reads it

    def run_together(self, cursor: Cursor, writes: Any) -> list[Written]:
        CountedWrite.batches.append(len(writes))
        return super().run_together(cursor, writes)


def write(reading: CardReading, target: str | None = None, schema_id: str | None = None) -> CardWrite:
    return CountedWrite(reading, target, schema_id, [], NOW_MS)


def stored(cursor: Cursor) -> dict[str, Any]:
    """Everything the writes touch, in a comparable form."""
    query = {
        "characters": "SELECT character_id, schema_id, cover_blob_id, doc FROM characters ORDER BY 1",
        "cards": "SELECT character_id, doc FROM character_cards ORDER BY 1",
        "blobs": "SELECT blob_id, file_name, octet_length(data) FROM blobs ORDER BY 1",
        "schemas": "SELECT schema_id FROM schemas ORDER BY 1",
        "counters": "SELECT prefix, next_value FROM id_counters ORDER BY 1",
    }
    return {name: cursor.execute(sql).fetchall() for name, sql in query.items()}


def summary(result: Written | Exception) -> Any:
    if isinstance(result, Exception):
        return type(result).__name__, str(result)
    return result.character_id, result.created, [w.message for w in result.warnings]


async def one_by_one(store: Store, writes: list[CardWrite]) -> list[Any]:
    results: list[Any] = []
    for change in writes:
        try:
            results.append(await store.write(change))
        except (Conflict, NotFound) as exc:
            results.append(exc)
    return results


async def test_a_batch_stores_what_writing_one_after_the_other_stores(tmp_path: Path) -> None:
    writes = [write(mira()), write(mira(png=False)), write(mira(), target="mira-3"), write(mira())]
    CountedWrite.batches.clear()
    async with open_store(tmp_path / "batch") as batch_store, open_store(tmp_path / "alone") as alone_store:
        batched = await _write_as_one_group(batch_store, writes)
        assert CountedWrite.batches == [4]  # one batch, not a failed batch and four single runs
        alone = await one_by_one(alone_store, writes)
        assert await batch_store.read(stored) == await alone_store.read(stored)

    assert [summary(result) for result in batched] == [summary(result) for result in alone]
    assert [summary(result) for result in batched] == [
        ("mira", _created("mira", schemas=["character-card"], blobs=["blob-0"]), []),
        ("mira-2", _created("mira-2"), ["the character id 'mira' is taken: imported as 'mira-2'"]),
        ("mira-3", _created("mira-3", blobs=["blob-1"]), []),
        ("mira-4", _created("mira-4", blobs=["blob-2"]), ["the character id 'mira' is taken: imported as 'mira-4'"]),
    ]


async def test_a_refused_write_in_a_batch_fails_alone_and_the_others_commit(tmp_path: Path) -> None:
    writes = [
        write(mira()),
        write(mira("Xan"), target="mira"),  # taken by the first
        write(mira("Zed"), schema_id="missing"),
        write(mira()),
    ]
    async with open_store(tmp_path / "batch") as batch_store, open_store(tmp_path / "alone") as alone_store:
        batched = await _write_as_one_group(batch_store, writes)
        alone = await one_by_one(alone_store, writes)
        assert await batch_store.read(stored) == await alone_store.read(stored)

    assert [summary(result) for result in batched] == [summary(result) for result in alone]
    assert summary(batched[1]) == ("Conflict", "character 'mira' already exists")
    assert summary(batched[2]) == ("NotFound", "schema 'missing' not found")
    assert batched[3].character_id == "mira-2"


def _created(character_id: str, schemas: list[str] | None = None, blobs: list[str] | None = None) -> CreatedIds:
    return CreatedIds(characters=[character_id], schemas=schemas or [], blobs=blobs or [])


def test_slugs_are_lower_case_ascii_words_joined_by_dashes() -> None:
    assert slug("Old Merchant", SLUG_FALLBACK) == "old-merchant"
    assert slug("  Élise d'Arc!! ", SLUG_FALLBACK) == "elise-d-arc"
    assert slug("花子", SLUG_FALLBACK) == "character"
    assert slug("x" * 100, SLUG_FALLBACK) == "x" * 64
    assert slug(V2_CARD["data"]["name"], SLUG_FALLBACK) == "mira"
