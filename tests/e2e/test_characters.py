"""`character.*` over HTTP against a real server (PROTOCOL §6.11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from runtime.store import DATABASE_FILE_NAME
from tests.support.server import RpcClient, RunningServer

CONTENT = {
    "id": "merchant",
    "name": "Old Merchant",
    "personality": "greedy",
    "style": "terse",
    "schema_id": "s",
    "system_prompt": "Stay in character.",
    "tags": ["trader"],
    "folder": "town",
}
SCHEMA = {"schema_id": "s", "display_name": "S", "fields": {}}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
WEBP = b"RIFF" + (36).to_bytes(4, "little") + b"WEBPVP8 " + bytes(28)


def card(**changes: Any) -> dict[str, Any]:
    return {**CONTENT, **changes}


async def create_schema(rpc: RpcClient, schema_id: str = "s") -> None:
    await rpc.result("schema.create", {**SCHEMA, "schema_id": schema_id})


async def upload_cover(rpc: RpcClient, character_id: str, data: bytes = PNG, content_type: str = "image/png") -> None:
    response = await rpc.http.post(
        f"/upload/character%3A{character_id}/cover", content=data, headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text


async def stored_blob_ids(server: RunningServer) -> list[str]:
    """Stop the server and read the blob ids straight from its DuckDB file."""
    await server.client.http.aclose()  # no idle keep-alive connection to wait for at shutdown
    await server.stop()
    with duckdb.connect(str(Path(server.data_dir) / DATABASE_FILE_NAME), read_only=True) as connection:
        return [row[0] for row in connection.execute("SELECT blob_id FROM blobs ORDER BY blob_id").fetchall()]


async def test_create_normalizes_and_answers_with_a_summary(rpc: RpcClient) -> None:
    await create_schema(rpc)
    created = await rpc.result(
        "character.create",
        {"content": card(id="  merchant ", tags=[" trader ", "", "old", "trader", "  "], folder="  /town/market//  ")},
    )
    assert created == {
        "type": "character_created",
        "character_id": "merchant",
        "character_summary": {
            "character_id": "merchant",
            "name": "Old Merchant",
            "personality": "greedy",
            "style": "terse",
            "tags": ["trader", "old"],
            "folder": "town/market",
            "cover_file_name": None,
            "cover_mime_type": None,
        },
    }
    got = await rpc.result("character.get", {"character_id": "merchant"})
    assert got == {
        "type": "character",
        "character_id": "merchant",
        "content": card(tags=["trader", "old"], folder="town/market"),
        "cover_file_name": None,
        "cover_mime_type": None,
    }


async def test_tags_and_folder_default_and_unknown_content_keys_are_ignored(rpc: RpcClient) -> None:
    await create_schema(rpc)
    content = {key: value for key, value in CONTENT.items() if key not in ("tags", "folder")}
    await rpc.result("character.create", {"content": {**content, "avatar": "x.png"}})
    got = await rpc.result("character.get", {"character_id": "merchant"})
    assert got["content"] == card(tags=[], folder="")


async def test_unknown_params_keys_and_bad_types_are_decode_errors(rpc: RpcClient) -> None:
    envelope = await rpc.call("character.create", {"content": CONTENT, "cover": "x"}, expect_status=400)
    assert envelope["error"] == {"code": -32602, "message": "params.cover: unknown field"}
    envelope = await rpc.call("character.create", {"content": card(tags="a")}, expect_status=400)
    assert envelope["error"] == {"code": -32602, "message": "params.content.tags: expected array, got string"}


async def test_blank_id_is_refused(rpc: RpcClient) -> None:
    await create_schema(rpc)
    error = await rpc.error("character.create", {"content": card(id="   ")}, expect_status=200)
    assert error == {"code": -32602, "message": "character_id must not be empty"}


async def test_duplicate_conflicts_and_keeps_the_first(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": CONTENT})
    error = await rpc.error("character.create", {"content": card(name="Impostor")})
    assert error == {"code": 40909, "message": "character 'merchant' already exists"}
    assert (await rpc.result("character.get", {"character_id": "merchant"}))["content"]["name"] == "Old Merchant"


async def test_schema_must_exist(rpc: RpcClient) -> None:
    error = await rpc.error("character.create", {"content": card(schema_id="ghost")})
    assert error == {"code": 40404, "message": "schema 'ghost' not found"}
    assert (await rpc.result("character.list"))["characters"] == []


async def test_unknown_character_is_not_found(rpc: RpcClient) -> None:
    for method, params in (
        ("character.get", {"character_id": "ghost"}),
        ("character.delete", {"character_id": "ghost"}),
        ("character.update", {"character_id": "ghost", "content": card(id="ghost")}),
    ):
        assert await rpc.error(method, params) == {"code": 40404, "message": "character 'ghost' not found"}


async def test_get_uses_the_id_exactly_as_sent(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": CONTENT})
    error = await rpc.error("character.get", {"character_id": " merchant"})
    assert error == {"code": 40404, "message": "character ' merchant' not found"}


async def test_update_replaces_content_normalized_and_keeps_the_cover(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await create_schema(rpc, "s2")
    await rpc.result("character.create", {"content": CONTENT})
    await upload_cover(rpc, "merchant")
    updated = await rpc.result(
        "character.update",
        {
            "character_id": "merchant",
            "content": card(name="Rich Merchant", schema_id="s2", tags=["a", " a", "b "], folder="/guild/"),
        },
    )
    assert updated == {
        "type": "character",
        "character_id": "merchant",
        "content": card(name="Rich Merchant", schema_id="s2", tags=["a", "b"], folder="guild"),
        "cover_file_name": "cover.png",
        "cover_mime_type": "image/png",
    }
    cover = await rpc.http.get("/download/character%3Amerchant/cover")
    assert cover.content == PNG


async def test_update_requires_the_ids_to_match_exactly(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": CONTENT})
    error = await rpc.error("character.update", {"character_id": "merchant", "content": card(id=" merchant")})
    assert error == {"code": -32602, "message": "character_id 'merchant' does not match content.id ' merchant'"}
    error = await rpc.error("character.update", {"character_id": " ", "content": card(id=" ")})
    assert error == {"code": -32602, "message": "character_id must not be empty"}


async def test_update_requires_the_schema_and_changes_nothing_otherwise(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": CONTENT})
    error = await rpc.error("character.update", {"character_id": "merchant", "content": card(schema_id="gone")})
    assert error == {"code": 40404, "message": "schema 'gone' not found"}
    assert (await rpc.result("character.get", {"character_id": "merchant"}))["content"] == CONTENT


async def test_list_is_sorted_by_id_and_carries_summaries(rpc: RpcClient) -> None:
    await create_schema(rpc)
    for character_id in ("b", "a", "c"):
        await rpc.result("character.create", {"content": card(id=character_id)})
    await upload_cover(rpc, "b", WEBP, content_type="image/webp")
    listed = await rpc.result("character.list")
    assert [summary["character_id"] for summary in listed["characters"]] == ["a", "b", "c"]
    assert listed["characters"][1] == {
        "character_id": "b",
        "name": "Old Merchant",
        "personality": "greedy",
        "style": "terse",
        "tags": ["trader"],
        "folder": "town",
        "cover_file_name": "cover.webp",
        "cover_mime_type": "image/webp",
    }


async def test_delete_refuses_while_story_resources_list_the_character(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": CONTENT})
    resources = await rpc.result("story_resources.create", {"story_concept": "A market", "character_ids": ["merchant"]})
    error = await rpc.error("character.delete", {"character_id": "merchant"})
    assert error == {"code": 40909, "message": "character 'merchant' is still referenced by story resources"}
    await rpc.result("story_resources.delete", {"resource_id": resources["resource_id"]})
    assert await rpc.result("character.delete", {"character_id": "merchant"}) == {
        "type": "character_deleted",
        "character_id": "merchant",
    }


async def test_delete_removes_the_cover_blob(server: RunningServer) -> None:
    rpc = server.client
    await create_schema(rpc)
    for character_id in ("kept", "merchant"):
        await rpc.result("character.create", {"content": card(id=character_id)})
        await upload_cover(rpc, character_id)
    await rpc.result("character.delete", {"character_id": "merchant"})
    assert (await rpc.error("character.get", {"character_id": "merchant"}))["code"] == 40404
    assert await stored_blob_ids(server) == ["blob-0"]
