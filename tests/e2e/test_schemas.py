"""`schema.*` over HTTP against a real server."""

from __future__ import annotations

from typing import Any

from tests.support.server import RpcClient

TRUST = {"value_type": "int", "default": 5, "description": "How much they trust the player"}
MOOD = {"value_type": "string", "default": "calm", "enum_values": ["calm", "angry"]}


def schema(schema_id: str = "world", **overrides: Any) -> dict[str, Any]:
    return {
        "schema_id": schema_id,
        "display_name": "World",
        "tags": ["world"],
        "fields": {"trust": TRUST, "mood": MOOD},
        **overrides,
    }


def stored(params: dict[str, Any]) -> dict[str, Any]:
    """What the server answers for a schema created from `params` (null/omitted rules applied)."""
    fields = {key: {"default": None, "description": None, **field} for key, field in params["fields"].items()}
    return {
        "schema_id": params["schema_id"],
        "display_name": params["display_name"],
        "tags": params.get("tags", []),
        "fields": fields,
    }


async def test_create_returns_the_exact_shape(rpc: RpcClient) -> None:
    created = await rpc.result("schema.create", schema())
    assert created == {
        "type": "schema",
        "schema_id": "world",
        "display_name": "World",
        "tags": ["world"],
        "fields": {
            "trust": {"value_type": "int", "default": 5, "description": "How much they trust the player"},
            "mood": {"value_type": "string", "default": "calm", "description": None, "enum_values": ["calm", "angry"]},
        },
    }


async def test_unset_default_and_description_are_null_and_unset_enum_is_omitted(rpc: RpcClient) -> None:
    created = await rpc.result(
        "schema.create",
        {
            "schema_id": "s",
            "display_name": "S",
            "fields": {
                "bare": {"value_type": "object"},
                "explicit_nulls": {"value_type": "float", "default": None, "description": None, "enum_values": None},
                "empty_enum": {"value_type": "array", "enum_values": []},
            },
        },
    )
    assert created["tags"] == []
    assert created["fields"] == {
        "bare": {"value_type": "object", "default": None, "description": None},
        "explicit_nulls": {"value_type": "float", "default": None, "description": None},
        "empty_enum": {"value_type": "array", "default": None, "description": None, "enum_values": []},
    }
    assert await rpc.result("schema.get", {"schema_id": "s"}) == created


async def test_values_round_trip_unchanged(rpc: RpcClient) -> None:
    fields = {
        "big": {"value_type": "int", "default": 2**64 - 1},
        "low": {"value_type": "int", "default": -(2**63)},
        "ratio": {"value_type": "float", "default": 0.25, "enum_values": [0.25, 1]},
        "flag": {"value_type": "bool", "default": False},
        "bag": {"value_type": "object", "default": {"nested": [1, "two", None, True]}},
        "text": {"value_type": "string", "default": 'ünïcode "quoted"'},
    }
    await rpc.result("schema.create", {"schema_id": "s", "display_name": "S", "fields": fields})
    got = await rpc.result("schema.get", {"schema_id": "s"})
    assert got["fields"] == stored({"schema_id": "s", "display_name": "S", "fields": fields})["fields"]
    assert list(got["fields"]) == list(fields)


async def test_get_list_update_delete_round_trip(rpc: RpcClient) -> None:
    await rpc.result("schema.create", schema())
    got = await rpc.result("schema.get", {"schema_id": "world"})
    assert got == {"type": "schema", **stored(schema())}
    assert await rpc.result("schema.list") == {"type": "schemas_listed", "schemas": [stored(schema())]}

    renamed = await rpc.result("schema.update", {"schema_id": "world", "display_name": "Realm"})
    assert renamed == {"type": "schema", **stored(schema(display_name="Realm"))}
    retagged = await rpc.result("schema.update", {"schema_id": "world", "tags": []})
    assert retagged["tags"] == [] and retagged["display_name"] == "Realm" and retagged["fields"] == got["fields"]

    replaced = await rpc.result("schema.update", {"schema_id": "world", "fields": {"gold": {"value_type": "int"}}})
    assert replaced["fields"] == {"gold": {"value_type": "int", "default": None, "description": None}}
    assert (await rpc.result("schema.get", {"schema_id": "world"})) == replaced

    deleted = await rpc.result("schema.delete", {"schema_id": "world"})
    assert deleted == {"type": "schema_deleted", "schema_id": "world"}
    assert await rpc.error("schema.get", {"schema_id": "world"}) == {
        "code": 40404,
        "message": "schema 'world' not found",
    }
    assert (await rpc.result("schema.list"))["schemas"] == []


async def test_list_is_sorted_by_id_as_plain_strings(rpc: RpcClient) -> None:
    for schema_id in ("s-2", "s-10", "b", "a"):
        await rpc.result("schema.create", schema(schema_id))
    listed = await rpc.result("schema.list")
    assert [item["schema_id"] for item in listed["schemas"]] == ["a", "b", "s-10", "s-2"]


async def test_id_is_trimmed_on_create_only(rpc: RpcClient) -> None:
    created = await rpc.result("schema.create", schema("  world  "))
    assert created["schema_id"] == "world"
    assert await rpc.error("schema.get", {"schema_id": " world "}) == {
        "code": 40404,
        "message": "schema ' world ' not found",
    }
    assert (await rpc.result("schema.get", {"schema_id": "world"}))["schema_id"] == "world"


async def test_blank_id_is_refused(rpc: RpcClient) -> None:
    error = await rpc.error("schema.create", schema("   "), expect_status=200)
    assert error == {"code": -32602, "message": "schema_id must not be empty"}
    assert (await rpc.result("schema.list"))["schemas"] == []


async def test_duplicate_id_conflicts_and_keeps_the_first(rpc: RpcClient) -> None:
    await rpc.result("schema.create", schema())
    error = await rpc.error("schema.create", schema(" world", display_name="Other"))
    assert error == {"code": 40909, "message": "schema 'world' already exists"}
    assert (await rpc.result("schema.get", {"schema_id": "world"}))["display_name"] == "World"


async def test_invalid_fields_on_create_store_nothing(rpc: RpcClient) -> None:
    cases = [
        (
            {"trust": {"value_type": "int", "default": "x"}},
            "invalid schema: field 'trust' default must match value_type 'int', got \"x\"",
        ),
        (
            {"trust": {"value_type": "int", "default": 1.0}},
            "invalid schema: field 'trust' default must match value_type 'int', got 1.0",
        ),
        (
            {"items": {"value_type": "array", "enum_values": [[1]]}},
            "invalid schema: field 'items' enum_values are only supported for scalar types, got array",
        ),
        (
            {"mood": {"value_type": "string", "enum_values": ["calm", 2]}},
            "invalid schema: field 'mood' enum_values item must match value_type 'string', got 2",
        ),
        (
            {"mood": {"value_type": "string", "default": "sad", "enum_values": ["calm"]}},
            "invalid schema: field 'mood' default must be one of enum_values when enum_values are configured",
        ),
    ]
    for fields, message in cases:
        error = await rpc.error("schema.create", schema(fields=fields), expect_status=200)
        assert error == {"code": -32602, "message": message}
    assert (await rpc.result("schema.list"))["schemas"] == []


async def test_invalid_fields_on_update_change_nothing(rpc: RpcClient) -> None:
    await rpc.result("schema.create", schema())
    before = await rpc.result("schema.get", {"schema_id": "world"})
    error = await rpc.error(
        "schema.update",
        {"schema_id": "world", "display_name": "Changed", "fields": {"flag": {"value_type": "bool", "default": 0}}},
    )
    message = "invalid schema: field 'flag' default must match value_type 'bool', got 0"
    assert error == {"code": -32602, "message": message}
    assert await rpc.result("schema.get", {"schema_id": "world"}) == before


async def test_field_decode_errors_name_the_path(rpc: RpcClient) -> None:
    cases = [
        ({"trust": {"default": 1}}, "params.fields.trust.value_type: missing required field"),
        (
            {"trust": {"value_type": "integer"}},
            "params.fields.trust.value_type: expected one of bool, int, float, string, array, object, null,"
            ' got "integer"',
        ),
        ({"trust": {"value_type": "int", "min": 0}}, "params.fields.trust.min: unknown field"),
        (
            {"trust": {"value_type": "int", "description": 3}},
            "params.fields.trust.description: expected string, got int",
        ),
        (
            {"trust": {"value_type": "int", "enum_values": 3}},
            "params.fields.trust.enum_values: expected array, got int",
        ),
    ]
    for fields, message in cases:
        envelope = await rpc.call("schema.create", schema(fields=fields), expect_status=400)
        assert envelope["error"] == {"code": -32602, "message": message}
    envelope = await rpc.call("schema.create", {"schema_id": "s", "display_name": "S"}, expect_status=400)
    assert envelope["error"]["message"] == "params.fields: missing required field"
    assert (await rpc.result("schema.list"))["schemas"] == []


async def test_unknown_schema_is_not_found(rpc: RpcClient) -> None:
    for method in ("schema.get", "schema.update", "schema.delete"):
        error = await rpc.error(method, {"schema_id": "ghost"})
        assert error == {"code": 40404, "message": "schema 'ghost' not found"}


async def test_schema_used_by_a_character_cannot_be_deleted(rpc: RpcClient) -> None:
    await rpc.result("schema.create", schema())
    content = {
        "id": "merchant",
        "name": "Merchant",
        "personality": "Shrewd",
        "style": "Terse",
        "schema_id": "world",
        "system_prompt": "You sell things.",
    }
    await rpc.result("character.create", {"content": content})
    error = await rpc.error("schema.delete", {"schema_id": "world"})
    assert error == {"code": 40909, "message": "schema 'world' is still referenced"}
    assert (await rpc.result("schema.get", {"schema_id": "world"}))["schema_id"] == "world"
    await rpc.result("character.delete", {"character_id": "merchant"})
    await rpc.result("schema.delete", {"schema_id": "world"})
    assert (await rpc.result("schema.list"))["schemas"] == []
