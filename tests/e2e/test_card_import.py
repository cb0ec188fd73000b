"""Card import and export over HTTP against a real server: the `character_import:{id|new}/card`
upload slot, `character.import_card`, the `character:{id}/card.*` downloads and `character.export_card`."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from tests.support.cards import (
    HYBRID_CARD,
    V1_CARD,
    V2_CARD,
    V3_CARD,
    card_in_png,
    charx,
    charx_files,
    png_text_chunks,
    text_chunk,
    tiny_png,
)
from tests.support.server import RpcClient, RunningServer, start_server

NEW = "/upload/character_import%3Anew/card"
V3_PNG = tiny_png(text_chunk("chara", V2_CARD), text_chunk("ccv3", V3_CARD))
MIRA_PERSONA = "A courier who knows every alley of {{char}}'s harbor town.\n\nwary, quick"


async def upload(
    http: httpx.AsyncClient, data: bytes, path: str = NEW, status: int = 200, **headers: str
) -> dict[str, Any]:
    response = await http.post(path, content=data, headers={key.replace("_", "-"): v for key, v in headers.items()})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def download(http: httpx.AsyncClient, character_id: str, file_id: str, status: int = 200) -> httpx.Response:
    response = await http.get(f"/download/character%3A{character_id}/{file_id}")
    assert response.status_code == status, response.text
    return response


async def counts(rpc: RpcClient) -> tuple[int, int]:
    characters = (await rpc.result("character.list"))["characters"]
    schemas = (await rpc.result("schema.list"))["schemas"]
    return len(characters), len(schemas)


async def test_a_png_card_becomes_a_character_with_its_cover_and_a_report(rpc: RpcClient) -> None:
    answer = await upload(rpc.http, V3_PNG, x_file_name="Mira.png")

    report = answer.pop("report")
    assert answer == {
        "resource_id": "character_import:new",
        "file_id": "card",
        "file_name": "Mira.png",
        "content_type": "image/png",
        "size_bytes": len(V3_PNG),
        "character_id": "mira",
    }
    assert report["created"] == {
        "characters": ["mira"],
        "schemas": ["character-card"],
        "blobs": ["blob-0"],
        "lorebooks": ["harbor"],
    }
    assert (report["container"], report["spec"], report["spec_version"]) == ("png", "chara_card_v3", "3.0")
    assert (report["character_id"], report["schema_id"], report["file_name"]) == ("mira", "character-card", "Mira.png")
    assert {"field": "data.description", "outcome": "mapped", "target": "personality"}.items() <= report["fields"][
        2
    ].items()
    assert [w["code"] for w in report["warnings"]] == ["unknown_decorator"]

    character = await rpc.result("character.get", {"character_id": "mira"})
    assert character == {
        "type": "character",
        "character_id": "mira",
        "content": {
            "id": "mira",
            "name": "Mira",
            "personality": MIRA_PERSONA,
            "style": "<START>\n{{user}}: Hello.\n{{char}}: Keep your voice down, {{user}}.",
            "schema_id": "character-card",
            "system_prompt": "Write as {{char}}.",
            "tags": ["courier", "harbor"],
            "folder": "",
        },
        "cover_file_name": "Mira.png",
        "cover_mime_type": "image/png",
    }
    cover = await download(rpc.http, "mira", "cover")
    assert cover.content == tiny_png()  # the picture, without the card it carried
    schema = await rpc.result("schema.get", {"schema_id": "character-card"})
    assert schema == {
        "type": "schema",
        "schema_id": "character-card",
        "display_name": "Character card",
        "tags": ["character"],
        "fields": {},
    }


async def test_the_same_name_again_gets_a_suffixed_id_and_a_warning(rpc: RpcClient) -> None:
    await upload(rpc.http, V3_PNG)
    await rpc.result(
        "character.create",
        {
            "content": {
                "id": "mira-2",
                "name": "x",
                "personality": "",
                "style": "",
                "schema_id": "character-card",
                "system_prompt": "",
            }
        },
    )

    again = (await upload(rpc.http, json.dumps(V1_CARD).encode()))["report"]

    assert again["character_id"] == "mira-3"
    assert again["created"] == {"characters": ["mira-3"], "schemas": [], "blobs": [], "lorebooks": []}
    assert {"code": "renamed_id", "message": "the character id 'mira' is taken: imported as 'mira-3'"} in again[
        "warnings"
    ]


async def test_a_chosen_id_and_schema_are_used(rpc: RpcClient) -> None:
    await rpc.result("schema.create", {"schema_id": "courier", "display_name": "Courier", "fields": {}})

    answer = await upload(rpc.http, V3_PNG, "/upload/character_import%3Amy-courier/card", x_schema_id="courier")

    assert answer["resource_id"] == "character_import:my-courier"
    assert answer["report"]["created"]["schemas"] == []
    content = (await rpc.result("character.get", {"character_id": "my-courier"}))["content"]
    assert (content["id"], content["schema_id"]) == ("my-courier", "courier")


async def test_a_taken_id_or_a_missing_schema_refuses_the_import_and_writes_nothing(rpc: RpcClient) -> None:
    await upload(rpc.http, V3_PNG, "/upload/character_import%3Amira/card")
    before = await counts(rpc)

    taken = await upload(rpc.http, V3_PNG, "/upload/character_import%3Amira/card", status=409)
    missing = await upload(rpc.http, V3_PNG, x_schema_id="nope", status=404)

    assert taken == {"code": 40909, "message": "character 'mira' already exists"}
    assert missing == {"code": 40404, "message": "schema 'nope' not found"}
    assert await counts(rpc) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tiny_png(), "invalid character card: no character card found: the PNG has no chara or ccv3 text chunk"),
        (
            b"{broken",
            "invalid character card: the JSON file: the card is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        ),
        (
            V3_PNG[:-30],
            "invalid character card: damaged or hostile PNG: truncated PNG: the IDAT chunk runs past the end of the file",
        ),
        (
            b'{"entries": {}}',
            "invalid character card: this is a lorebook, not a character card (import it as a lorebook)",
        ),
    ],
    ids=["png-without-card", "bad-json", "truncated", "lorebook"],
)
async def test_a_file_without_a_usable_card_is_400_and_writes_nothing(
    rpc: RpcClient, data: bytes, message: str
) -> None:
    assert await upload(rpc.http, data, status=400) == {"code": -32602, "message": message}
    assert await counts(rpc) == (0, 0)


async def test_a_file_over_the_upload_limit_is_413(nursery: trio.Nursery, tmp_path: Path) -> None:
    server = await start_server(nursery, tmp_path / "data", max_upload_bytes=1000)
    try:
        body = await upload(
            server.client.http, tiny_png(text_chunk("chara", {**V1_CARD, "description": "x" * 2000})), status=413
        )
        assert body == {"code": -32600, "message": "request body exceeds the limit of 1000 bytes"}
    finally:
        await server.client.http.aclose()
        await server.stop()


async def test_an_unknown_file_id_on_the_import_slot_is_an_invalid_reference(rpc: RpcClient) -> None:
    body = await upload(rpc.http, V3_PNG, "/upload/character_import%3Anew/archive", status=400)
    assert body["message"] == "invalid resource file reference 'character_import:new/archive'"


async def test_a_charx_imports_its_icon_and_keeps_its_files(rpc: RpcClient) -> None:
    card = copy.deepcopy(V3_CARD)
    card["data"]["assets"] = [
        {"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"},
        {"type": "emotion", "uri": "embeded://assets/emotion/images/joy.png", "name": "joy", "ext": "png"},
    ]
    files = {"assets/icon/images/main.png": tiny_png(rgb=b"\x09\x09\x09"), "assets/emotion/images/joy.png": tiny_png()}

    report = (await upload(rpc.http, charx(card, files), x_file_name="mira.charx"))["report"]

    assert report["container"] == "charx" and len(report["created"]["blobs"]) == 1
    character = await rpc.result("character.get", {"character_id": "mira"})
    assert (character["cover_file_name"], character["cover_mime_type"]) == ("main.png", "image/png")
    exported = charx_files((await download(rpc.http, "mira", "card.charx")).content)
    assert exported == {"card.json": exported["card.json"], **files}
    assert json.loads(exported["card.json"]) == card


# -- RPC ---------------------------------------------------------------------------------


async def test_import_card_over_rpc_with_a_picture_beside_it(rpc: RpcClient) -> None:
    picture = {"content_type": "image/png", "data_base64": base64.b64encode(tiny_png()).decode()}
    result = await rpc.result(
        "character.import_card",
        {"card": HYBRID_CARD, "file_name": "mira.json", "character_id": " mira ", "picture": picture},
    )

    assert result["type"] == "character_card_imported" and result["character_id"] == "mira"
    assert result["report"]["container"] == "json" and result["report"]["created"]["blobs"] == ["blob-0"]
    assert "no_picture" not in [w["code"] for w in result["report"]["warnings"]]
    assert (await download(rpc.http, "mira", "cover")).content == tiny_png()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"card": [1]}, "invalid character card: expected a JSON object, got array"),
        ({"card": V1_CARD, "character_id": "  "}, "character_id must not be empty"),
        (
            {"card": V1_CARD, "picture": {"content_type": "image/png", "data_base64": "***"}},
            "params.picture.data_base64: expected base64",
        ),
        (
            {
                "card": V1_CARD,
                "picture": {"content_type": "image/jpeg", "data_base64": base64.b64encode(tiny_png()).decode()},
            },
            "params.picture.content_type: 'image/jpeg' does not match the picture (image/png)",
        ),
    ],
)
async def test_import_card_refusals_name_the_problem_and_write_nothing(
    rpc: RpcClient, params: dict[str, Any], message: str
) -> None:
    error = await rpc.error("character.import_card", params)
    assert error == {"code": -32602, "message": message}
    assert await counts(rpc) == (0, 0)


async def test_discover_lists_the_card_methods(rpc: RpcClient) -> None:
    methods = {method["name"]: method for method in (await rpc.result("rpc.discover"))["methods"]}
    assert methods["character.import_card"]["x-implemented"] is True
    assert {param["name"] for param in methods["character.import_card"]["params"]} == {
        "card",
        "character_id",
        "schema_id",
        "file_name",
        "picture",
    }
    assert methods["character.export_card"]["result"]["name"] == "character_card_exported"


# -- export ------------------------------------------------------------------------------


async def test_an_imported_card_downloads_as_it_came(rpc: RpcClient) -> None:
    await upload(rpc.http, V3_PNG, x_file_name="Mira.png")

    as_json = await download(rpc.http, "mira", "card.json")
    png = await download(rpc.http, "mira", "card.png")
    v2 = await download(rpc.http, "mira", "card_v2.json")

    assert as_json.json() == V3_CARD
    assert as_json.headers["content-disposition"] == 'attachment; filename="mira.json"'
    assert png.headers["content-type"] == "image/png"
    assert card_in_png(png.content, "ccv3") == V3_CARD
    assert card_in_png(png.content, "chara") == v2.json()
    assert v2.json()["data"]["character_book"]["entries"][0]["content"] == "The tide floods the docks."
    exported = await rpc.result("character.export_card", {"character_id": "mira", "spec": "chara_card_v2"})
    assert exported["card"] == v2.json()


async def test_an_edited_character_exports_its_edits_over_the_original(rpc: RpcClient) -> None:
    await upload(rpc.http, json.dumps(HYBRID_CARD).encode())
    character = await rpc.result("character.get", {"character_id": "mira"})
    await rpc.result(
        "character.update", {"character_id": "mira", "content": {**character["content"], "name": "Mira Vale"}}
    )

    card = (await rpc.result("character.export_card", {"character_id": "mira"}))["card"]

    assert card["data"]["name"] == card["name"] == "Mira Vale"
    assert card["data"]["description"] == HYBRID_CARD["data"]["description"]
    assert card["data"]["extensions"] == HYBRID_CARD["data"]["extensions"]
    assert isinstance(card["data"]["modification_date"], int)


async def test_a_character_without_a_cover_exports_a_png_with_a_placeholder(rpc: RpcClient) -> None:
    await rpc.result("schema.create", {"schema_id": "s", "display_name": "S", "fields": {}})
    content = {"id": "xan", "name": "Xan", "personality": "stern", "style": "", "schema_id": "s", "system_prompt": ""}
    await rpc.result("character.create", {"content": content})

    png = (await download(rpc.http, "xan", "card.png")).content

    assert set(png_text_chunks(png)) == {"chara", "ccv3"}
    assert card_in_png(png, "ccv3")["data"]["description"] == "stern"
    await download(rpc.http, "ghost", "card.png", status=404)


async def test_a_deleted_character_takes_its_original_card_along(rpc: RpcClient) -> None:
    await upload(rpc.http, V3_PNG)
    await rpc.result("character.delete", {"character_id": "mira"})
    content = {
        "id": "mira",
        "name": "Mira",
        "personality": "new",
        "style": "",
        "schema_id": "character-card",
        "system_prompt": "",
    }
    await rpc.result("character.create", {"content": content})

    card = (await rpc.result("character.export_card", {"character_id": "mira"}))["card"]

    assert "unknown_root_field" not in card and card["data"]["description"] == "new"


ROUND_TRIPS = [
    *[(card, "card.png") for card in (V1_CARD, V2_CARD, HYBRID_CARD, V3_CARD)],
    *[(V3_CARD, file_id) for file_id in ("card.json", "card_v2.json", "card.charx")],
]


@pytest.mark.parametrize(
    ("card", "file_id"),
    ROUND_TRIPS,
    ids=["v1-png", "v2-png", "hybrid-png", "v3-png", "v3-json", "v3-v2json", "v3-charx"],
)
async def test_import_export_import_gives_identical_records(
    server: RunningServer, nursery: trio.Nursery, tmp_path: Path, card: dict[str, Any], file_id: str
) -> None:
    http = server.client.http
    await upload(http, tiny_png(text_chunk("chara", card)), x_file_name="mira.png")
    exported = (await download(http, "mira", file_id)).content
    second = await start_server(nursery, tmp_path / "second")
    try:
        await upload(second.client.http, exported, x_file_name=f"mira-{file_id}")
        first_record = await server.client.result("character.get", {"character_id": "mira"})
        second_record = await second.client.result("character.get", {"character_id": "mira"})
        second_cover = (
            await download(second.client.http, "mira", "cover", 200 if "json" not in file_id else 409)
        ).content
    finally:
        await second.client.http.aclose()
        await second.stop()
    assert second_record["content"] == first_record["content"]
    if "json" not in file_id:  # a JSON card carries no picture
        assert second_cover == (await download(http, "mira", "cover")).content == tiny_png()


async def test_a_utf8_file_name_names_a_card_without_a_name(rpc: RpcClient) -> None:
    nameless = {key: value for key, value in V1_CARD.items() if key != "name"}
    response = await rpc.http.post(
        NEW, content=tiny_png(text_chunk("chara", nameless)), headers={"x-file-name": "Žofie.png".encode()}
    )

    report = response.json()["report"]
    assert report["file_name"] == "Žofie.png" and report["character_id"] == "zofie"
    assert {
        "code": "name_from_file_name",
        "message": "the card has no name: named 'Žofie' after the file name",
    } in report["warnings"]
    character = await rpc.result("character.get", {"character_id": "zofie"})
    assert (character["content"]["name"], character["cover_file_name"]) == ("Žofie", "Žofie.png")
