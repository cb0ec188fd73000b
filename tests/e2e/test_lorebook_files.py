"""Lorebook files over HTTP against a real server: the `lorebook_import:{id|new}/book` upload slot,
`lorebook.import`, the `lorebook:{id}/…` downloads and `lorebook.export`, and a card's embedded
book: a lorebook in the card's transaction, written back by the card's export."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from tests.support import books
from tests.support.book_records import WORLD_INFO_RECORD
from tests.support.cards import V2_CARD, V3_CARD, card_in_png, text_chunk, tiny_png
from tests.support.server import RpcClient, start_server

NEW = "/upload/lorebook_import%3Anew/book"
CARD_NEW = "/upload/character_import%3Anew/card"


async def upload(
    http: httpx.AsyncClient, book: Any, path: str = NEW, status: int = 200, file_name: str = "Harbor Lore.json"
) -> dict[str, Any]:
    data = book if isinstance(book, bytes) else json.dumps(book).encode()
    response = await http.post(path, content=data, headers={"x-file-name": file_name})
    assert response.status_code == status, response.text
    return response.json()


async def download(http: httpx.AsyncClient, lorebook_id: str, file_id: str, status: int = 200) -> httpx.Response:
    response = await http.get(f"/download/lorebook%3A{lorebook_id}/{file_id}")
    assert response.status_code == status, response.text
    return response


async def lorebook_ids(rpc: RpcClient) -> list[str]:
    return [book["lorebook_id"] for book in (await rpc.result("lorebook.list"))["lorebooks"]]


async def test_a_world_info_file_becomes_a_lorebook_with_a_report(rpc: RpcClient) -> None:
    data = json.dumps(books.WORLD_INFO).encode()
    answer = await upload(rpc.http, data)

    report = answer.pop("report")
    assert answer == {
        "resource_id": "lorebook_import:new",
        "file_id": "book",
        "file_name": "Harbor Lore.json",
        "content_type": "application/json",
        "size_bytes": len(data),
        "lorebook_id": "harbor-lore",
    }
    assert (report["format"], report["lorebook_id"], report["display_name"], report["entries"]) == (
        "world_info",
        "harbor-lore",
        "Harbor Lore",
        2,
    )
    assert report["created"] == {"characters": [], "schemas": [], "blobs": [], "lorebooks": ["harbor-lore"]}
    assert {
        "field": "entries.*.selectiveLogic",
        "outcome": "mapped",
        "target": "activation.secondary_logic",
        "count": 2,
    } in (report["fields"])
    assert [warning["code"] for warning in report["warnings"]] == ["setting_not_applied"]
    stored = await rpc.result("lorebook.get", {"lorebook_id": "harbor-lore"})
    assert stored == {
        "type": "lorebook",
        "lorebook_id": "harbor-lore",
        **WORLD_INFO_RECORD,
        "display_name": "Harbor Lore",
    }


async def test_a_chosen_id_is_used_and_a_taken_one_refuses_the_import(rpc: RpcClient) -> None:
    answer = await upload(rpc.http, books.AGNAI, "/upload/lorebook_import%3Apets/book")
    assert (answer["resource_id"], answer["lorebook_id"]) == ("lorebook_import:pets", "pets")

    taken = await upload(rpc.http, books.AGNAI, "/upload/lorebook_import%3Apets/book", status=409)

    assert taken == {"code": 40909, "message": "lorebook 'pets' already exists"}
    assert await lorebook_ids(rpc) == ["pets"]


async def test_a_derived_id_that_is_taken_gets_a_suffix_and_a_warning(rpc: RpcClient) -> None:
    await upload(rpc.http, books.LOREBOOK_V3)
    again = (await upload(rpc.http, books.LOREBOOK_V3))["report"]

    assert again["lorebook_id"] == "tides-2"
    assert {"code": "renamed_id", "message": "the lorebook id 'tides' is taken: imported as 'tides-2'"} in (
        again["warnings"]
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tiny_png(), "invalid lorebook: no lorebook found: the file is a PNG picture (lorebooks are JSON files)"),
        (b"{", "invalid lorebook: the lorebook is not valid JSON (Expecting property name enclosed in double quotes"),
        (json.dumps(V2_CARD).encode(), "invalid lorebook: this is a character card, not a lorebook"),
        (
            b'{"entries": {"0": {"order": Infinity}}}',
            "invalid lorebook: the lorebook is not valid JSON (Infinity is not a JSON value)",
        ),
    ],
    ids=["png", "bad-json", "card", "infinity"],
)
async def test_a_file_without_a_usable_lorebook_is_400_and_writes_nothing(
    rpc: RpcClient, data: bytes, message: str
) -> None:
    body = await upload(rpc.http, data, status=400)

    assert body["code"] == -32602 and body["message"].startswith(message)
    assert await lorebook_ids(rpc) == []


async def test_a_lorebook_over_the_upload_limit_is_413(nursery: trio.Nursery, tmp_path: Path) -> None:
    server = await start_server(nursery, tmp_path / "data", max_upload_bytes=1000)
    try:
        big = {"entries": {"0": {"key": ["a"], "content": "x" * 2000}}}
        body = await upload(server.client.http, big, status=413)
        assert body == {"code": -32600, "message": "request body exceeds the limit of 1000 bytes"}
    finally:
        await server.client.http.aclose()
        await server.stop()


async def test_lorebook_import_takes_the_book_as_json(rpc: RpcClient) -> None:
    result = await rpc.result("lorebook.import", {"book": books.KOBOLD_LITE, "file_name": "kobold.json"})

    assert result["type"] == "lorebook_imported"
    assert (result["lorebook_id"], result["report"]["format"]) == ("kobold", "kobold_lite")
    chosen = await rpc.result("lorebook.import", {"book": books.RISUAI, "lorebook_id": "risu"})
    assert chosen["lorebook_id"] == "risu"
    error = await rpc.error("lorebook.import", {"book": "not a book"})
    assert error["code"] == -32602
    assert error["message"] == "invalid lorebook: no lorebook found: expected a JSON object or array, got string"


# -- export ------------------------------------------------------------------------------------


async def test_an_imported_lorebook_downloads_as_it_came(rpc: RpcClient) -> None:
    await upload(rpc.http, books.WORLD_INFO)
    await upload(rpc.http, books.LOREBOOK_V3)

    world_info = await download(rpc.http, "harbor-lore", "world_info.json")
    v3 = await download(rpc.http, "tides", "lorebook_v3.json")

    assert world_info.json() == books.WORLD_INFO
    assert world_info.headers["content-disposition"] == 'attachment; filename="harbor-lore.json"'
    assert world_info.headers["content-type"] == "application/json"
    assert v3.json() == books.LOREBOOK_V3
    assert v3.headers["content-disposition"] == 'attachment; filename="tides.lorebook_v3.json"'
    exported = await rpc.result("lorebook.export", {"lorebook_id": "tides", "format": "lorebook_v3"})
    assert (exported["type"], exported["format"], exported["book"]) == ("lorebook_exported", "lorebook_v3", v3.json())
    other_format = await rpc.result("lorebook.export", {"lorebook_id": "tides"})
    assert other_format["format"] == "world_info" and other_format["book"]["originalData"]["name"] == "Tides"
    nameless = {"spec": "lorebook_v3", "data": {"entries": [{"keys": ["reef"], "content": "Coral."}]}}
    await upload(rpc.http, nameless, file_name="Reef.json")  # named after its file, and exported without a name
    assert (await download(rpc.http, "reef", "lorebook_v3.json")).json() == nameless


async def test_edits_made_in_dramaturg_are_exported_over_the_original(rpc: RpcClient) -> None:
    await upload(rpc.http, books.WORLD_INFO)
    entry = await rpc.result("lorebook_entry.get", {"lorebook_id": "harbor-lore", "entry_id": "0"})
    activation = {**entry["activation"], "probability": 5}
    await rpc.result(
        "lorebook_entry.update",
        {"lorebook_id": "harbor-lore", "entry_id": "0", "title": "Quay", "activation": activation},
    )
    await rpc.result("lorebook_entry.delete", {"lorebook_id": "harbor-lore", "entry_id": "7"})

    exported = (await download(rpc.http, "harbor-lore", "world_info.json")).json()

    expected = copy.deepcopy(books.WORLD_INFO)
    del expected["entries"]["7"]
    expected["entries"]["0"].update(comment="Quay", probability=5)
    assert exported == expected
    reimported = await upload(rpc.http, exported)
    again = await rpc.result("lorebook.get", {"lorebook_id": reimported["lorebook_id"]})
    edited = await rpc.result("lorebook.get", {"lorebook_id": "harbor-lore"})
    assert again["entries"] == edited["entries"]


async def test_a_lorebook_made_in_dramaturg_exports_fresh_and_a_deleted_ones_original_is_gone(rpc: RpcClient) -> None:
    await upload(rpc.http, books.WORLD_INFO, "/upload/lorebook_import%3Aharbor/book")
    await rpc.result("lorebook.delete", {"lorebook_id": "harbor"})
    entry = {
        "entry_id": "e1",
        "title": "T",
        "content": "C",
        "keywords": ["k"],
        "enabled": True,
        "always_include": False,
    }
    await rpc.result("lorebook.create", {"lorebook_id": "harbor", "display_name": "Harbor", "entries": [entry]})

    exported = (await download(rpc.http, "harbor", "world_info.json")).json()

    assert set(exported) == {"entries"}  # nothing of the deleted lorebook's file
    assert [(raw["uid"], raw["key"], raw["comment"]) for raw in exported["entries"].values()] == [(0, ["k"], "T")]
    missing = await download(rpc.http, "ghost", "lorebook_v3.json", status=404)
    assert missing.json() == {"code": 40404, "message": "lorebook 'ghost' not found"}


# -- a card's book -------------------------------------------------------------------------------


V3_PNG = tiny_png(text_chunk("chara", V2_CARD), text_chunk("ccv3", V3_CARD))


async def test_a_cards_book_becomes_a_lorebook_and_the_card_export_writes_it_back(rpc: RpcClient) -> None:
    report = (await upload(rpc.http, V3_PNG, CARD_NEW, file_name="Mira.png"))["report"]

    assert report["created"]["lorebooks"] == ["harbor"]
    book_line = next(line for line in report["fields"] if line["field"] == "data.character_book")
    assert (book_line["outcome"], book_line["target"]) == ("mapped", "lorebook")
    assert any(line["field"] == "data.character_book.entries[*].keys" for line in report["fields"])
    lorebook = await rpc.result("lorebook.get", {"lorebook_id": "harbor"})
    assert lorebook["entries"][0]["content"] == "The tide floods the docks."

    await rpc.result("lorebook_entry.update", {"lorebook_id": "harbor", "entry_id": "0", "content": "Spring tide."})
    card = (await rpc.result("character.export_card", {"character_id": "mira"}))["card"]

    entry = card["data"]["character_book"]["entries"][0]
    assert entry["content"] == "@@depth 4\n@@risu_only 2\n@@@activate_only_after 2\nSpring tide."
    unchanged = copy.deepcopy(V3_CARD)
    del unchanged["data"]["character_book"], unchanged["data"]["modification_date"]
    assert {k: v for k, v in card["data"].items() if k not in ("character_book", "modification_date")} == unchanged[
        "data"
    ]
    assert card["data"]["modification_date"] > V3_CARD["data"]["modification_date"]  # the book changed
    png = await rpc.http.get("/download/character%3Amira/card.png")
    assert card_in_png(png.content, "chara")["data"]["character_book"]["entries"][0]["content"] == "Spring tide."

    again = (await upload(rpc.http, json.dumps(card).encode(), CARD_NEW))["report"]
    assert again["created"]["lorebooks"] == ["harbor-2"]
    copied = await rpc.result("lorebook.get", {"lorebook_id": "harbor-2"})
    assert copied["entries"] == (await rpc.result("lorebook.get", {"lorebook_id": "harbor"}))["entries"]


async def test_an_unchanged_card_with_a_book_exports_as_it_came(rpc: RpcClient) -> None:
    await upload(rpc.http, V3_PNG, CARD_NEW)

    assert (await rpc.result("character.export_card", {"character_id": "mira"}))["card"] == V3_CARD


async def test_a_card_import_that_fails_writes_neither_the_character_nor_its_book(rpc: RpcClient) -> None:
    await upload(rpc.http, V3_PNG, "/upload/character_import%3Amira/card")
    before = await lorebook_ids(rpc)

    await upload(rpc.http, V3_PNG, "/upload/character_import%3Amira/card", status=409)

    assert await lorebook_ids(rpc) == before == ["harbor"]


async def test_a_deleted_characters_book_stays_and_no_new_character_inherits_it(rpc: RpcClient) -> None:
    await upload(rpc.http, V3_PNG, CARD_NEW)
    await rpc.result("character.delete", {"character_id": "mira"})
    card_without_book = copy.deepcopy(V2_CARD)

    await upload(rpc.http, json.dumps(card_without_book).encode(), "/upload/character_import%3Amira/card")

    assert await lorebook_ids(rpc) == ["harbor"]
    card = (await rpc.result("character.export_card", {"character_id": "mira"}))["card"]
    assert "character_book" not in card["data"]


async def test_the_new_methods_are_described_by_rpc_discover(rpc: RpcClient) -> None:
    document = await rpc.result("rpc.discover")
    methods = {method["name"]: method for method in document["methods"]}

    assert {"lorebook.import", "lorebook.export"} <= set(methods)
    assert [param["name"] for param in methods["lorebook.import"]["params"]][:1] == ["book"]
