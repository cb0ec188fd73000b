"""`lorebook.*` and `lorebook_entry.*` over HTTP against a real server."""

from __future__ import annotations

from typing import Any

from tests.support.server import RpcClient


def entry(entry_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "title": f"Title {entry_id}",
        "content": f"About {entry_id}",
        "keywords": [entry_id],
        "enabled": True,
        "always_include": False,
        **overrides,
    }


def lorebook(
    lorebook_id: str = "lore", entries: list[dict[str, Any]] | None = None, **overrides: Any
) -> dict[str, Any]:
    return {"lorebook_id": lorebook_id, "display_name": "Lore", "entries": entries or [], **overrides}


async def entry_ids(rpc: RpcClient, lorebook_id: str = "lore") -> list[str]:
    listed = await rpc.result("lorebook_entry.list", {"lorebook_id": lorebook_id})
    return [item["entry_id"] for item in listed["entries"]]


# -- lorebook ----------------------------------------------------------------------------


async def test_create_with_entries_returns_the_exact_shape(rpc: RpcClient) -> None:
    created = await rpc.result("lorebook.create", lorebook(entries=[entry("b"), entry("a", always_include=True)]))
    assert created == {
        "type": "lorebook",
        "lorebook_id": "lore",
        "display_name": "Lore",
        "entries": [entry("b"), entry("a", always_include=True)],
    }
    assert await rpc.result("lorebook.get", {"lorebook_id": "lore"}) == created


async def test_entries_default_to_empty(rpc: RpcClient) -> None:
    created = await rpc.result("lorebook.create", {"lorebook_id": "lore", "display_name": "Lore"})
    assert created == {"type": "lorebook", "lorebook_id": "lore", "display_name": "Lore", "entries": []}


async def test_entries_inside_create_need_all_six_fields(rpc: RpcClient) -> None:
    partial = entry("a")
    del partial["enabled"]
    envelope = await rpc.call("lorebook.create", lorebook(entries=[entry("b"), partial]), expect_status=400)
    assert envelope["error"] == {"code": -32602, "message": "params.entries[1].enabled: missing required field"}
    assert (await rpc.result("lorebook.list"))["lorebooks"] == []


async def test_ids_are_trimmed_on_create_and_used_as_sent_afterwards(rpc: RpcClient) -> None:
    created = await rpc.result("lorebook.create", lorebook("  lore ", entries=[entry("  a  ")]))
    assert created["lorebook_id"] == "lore" and created["entries"][0]["entry_id"] == "a"
    assert await rpc.error("lorebook.get", {"lorebook_id": " lore"}) == {
        "code": 40404,
        "message": "lorebook ' lore' not found",
    }
    assert await rpc.error("lorebook_entry.get", {"lorebook_id": "lore", "entry_id": " a"}) == {
        "code": 40404,
        "message": "lorebook 'lore' does not contain entry ' a'",
    }


async def test_blank_ids_are_refused_and_store_nothing(rpc: RpcClient) -> None:
    error = await rpc.error("lorebook.create", lorebook(" "), expect_status=200)
    assert error == {"code": -32602, "message": "lorebook_id must not be empty"}
    error = await rpc.error("lorebook.create", lorebook(entries=[entry("a"), entry("\t")]), expect_status=200)
    assert error == {"code": -32602, "message": "entry_id must not be empty"}
    assert (await rpc.result("lorebook.list"))["lorebooks"] == []


async def test_duplicate_entry_ids_inside_create_conflict(rpc: RpcClient) -> None:
    error = await rpc.error("lorebook.create", lorebook(entries=[entry("a"), entry(" a ")]))
    assert error == {"code": 40909, "message": "lorebook 'lore' already contains entry 'a'"}
    assert (await rpc.result("lorebook.list"))["lorebooks"] == []


async def test_duplicate_lorebook_conflicts_and_keeps_the_first(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[entry("a")]))
    error = await rpc.error("lorebook.create", lorebook(display_name="Other"))
    assert error == {"code": 40909, "message": "lorebook 'lore' already exists"}
    got = await rpc.result("lorebook.get", {"lorebook_id": "lore"})
    assert got["display_name"] == "Lore" and got["entries"] == [entry("a")]


async def test_update_renames_and_keeps_entries(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[entry("a")]))
    renamed = await rpc.result("lorebook.update", {"lorebook_id": "lore", "display_name": "Atlas"})
    assert renamed == {"type": "lorebook", "lorebook_id": "lore", "display_name": "Atlas", "entries": [entry("a")]}
    unchanged = await rpc.result("lorebook.update", {"lorebook_id": "lore"})
    assert unchanged == renamed
    envelope = await rpc.call("lorebook.update", {"lorebook_id": "lore", "entries": []}, expect_status=400)
    assert envelope["error"] == {"code": -32602, "message": "params.entries: unknown field"}


async def test_list_is_sorted_by_id_and_includes_entries(rpc: RpcClient) -> None:
    for lorebook_id in ("m", "b-10", "b-2"):
        await rpc.result("lorebook.create", lorebook(lorebook_id, entries=[entry(f"{lorebook_id}-e")]))
    listed = await rpc.result("lorebook.list")
    assert listed["type"] == "lorebooks_listed"
    assert [item["lorebook_id"] for item in listed["lorebooks"]] == ["b-10", "b-2", "m"]
    assert listed["lorebooks"][2] == {"lorebook_id": "m", "display_name": "Lore", "entries": [entry("m-e")]}


async def test_delete_then_not_found(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[entry("a")]))
    deleted = await rpc.result("lorebook.delete", {"lorebook_id": "lore"})
    assert deleted == {"type": "lorebook_deleted", "lorebook_id": "lore"}
    assert (await rpc.result("lorebook.list"))["lorebooks"] == []


async def test_unknown_lorebook_is_not_found_everywhere(rpc: RpcClient) -> None:
    expected = {"code": 40404, "message": "lorebook 'ghost' not found"}
    for method, params in [
        ("lorebook.get", {}),
        ("lorebook.update", {"display_name": "x"}),
        ("lorebook.delete", {}),
        ("lorebook_entry.list", {}),
        ("lorebook_entry.get", {"entry_id": "a"}),
        ("lorebook_entry.update", {"entry_id": "a"}),
        ("lorebook_entry.delete", {"entry_id": "a"}),
        ("lorebook_entry.create", {"entry_id": "a", "title": "t", "content": "c"}),
    ]:
        assert await rpc.error(method, {"lorebook_id": "ghost", **params}) == expected, method


# -- lorebook entry ----------------------------------------------------------------------


async def test_entry_create_applies_defaults_and_returns_the_flat_entry(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook())
    created = await rpc.result(
        "lorebook_entry.create", {"lorebook_id": "lore", "entry_id": " gate ", "title": "Gate", "content": "Old."}
    )
    assert created == {
        "type": "lorebook_entry",
        "entry_id": "gate",
        "title": "Gate",
        "content": "Old.",
        "keywords": [],
        "enabled": True,
        "always_include": False,
    }
    got = await rpc.result("lorebook_entry.get", {"lorebook_id": "lore", "entry_id": "gate"})
    assert got == created


async def test_entries_keep_insertion_order(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[entry("z"), entry("m")]))
    for entry_id in ("b", "y", "a"):
        await rpc.result("lorebook_entry.create", {"lorebook_id": "lore", **entry(entry_id)})
    assert await entry_ids(rpc) == ["z", "m", "b", "y", "a"]
    listed = await rpc.result("lorebook_entry.list", {"lorebook_id": "lore"})
    assert listed["type"] == "lorebook_entries_listed" and listed["lorebook_id"] == "lore"
    got = await rpc.result("lorebook.get", {"lorebook_id": "lore"})
    assert got["entries"] == listed["entries"]


async def test_entry_update_keeps_omitted_fields_and_position(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[entry("a"), entry("b"), entry("c")]))
    updated = await rpc.result(
        "lorebook_entry.update",
        {"lorebook_id": "lore", "entry_id": "b", "keywords": ["gate", "wall"], "enabled": False},
    )
    assert updated == {"type": "lorebook_entry", **entry("b", keywords=["gate", "wall"], enabled=False)}
    again = await rpc.result(
        "lorebook_entry.update",
        {"lorebook_id": "lore", "entry_id": "b", "title": "New", "content": "Text", "always_include": True},
    )
    assert again == {
        "type": "lorebook_entry",
        "entry_id": "b",
        "title": "New",
        "content": "Text",
        "keywords": ["gate", "wall"],
        "enabled": False,
        "always_include": True,
    }
    assert await entry_ids(rpc) == ["a", "b", "c"]
    assert (await rpc.result("lorebook.get", {"lorebook_id": "lore"}))["entries"][1] == {
        key: value for key, value in again.items() if key != "type"
    }


async def test_entry_delete_removes_only_that_entry(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[entry("a"), entry("b"), entry("c")]))
    deleted = await rpc.result("lorebook_entry.delete", {"lorebook_id": "lore", "entry_id": "b"})
    assert deleted == {"type": "lorebook_entry_deleted", "lorebook_id": "lore", "entry_id": "b"}
    assert await entry_ids(rpc) == ["a", "c"]
    await rpc.result("lorebook_entry.create", {"lorebook_id": "lore", **entry("b")})
    assert await entry_ids(rpc) == ["a", "c", "b"]


async def test_duplicate_entry_conflicts_and_changes_nothing(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[entry("a")]))
    error = await rpc.error("lorebook_entry.create", {"lorebook_id": "lore", **entry(" a", title="Other")})
    assert error == {"code": 40909, "message": "lorebook 'lore' already contains entry 'a'"}
    assert (await rpc.result("lorebook.get", {"lorebook_id": "lore"}))["entries"] == [entry("a")]


async def test_blank_entry_id_is_refused(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook())
    error = await rpc.error("lorebook_entry.create", {"lorebook_id": "lore", **entry("  ")}, expect_status=200)
    assert error == {"code": -32602, "message": "entry_id must not be empty"}
    assert await entry_ids(rpc) == []


async def test_unknown_entry_is_not_found(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[entry("a")]))
    expected = {"code": 40404, "message": "lorebook 'lore' does not contain entry 'ghost'"}
    for method, extra in [
        ("lorebook_entry.get", {}),
        ("lorebook_entry.update", {"title": "x"}),
        ("lorebook_entry.delete", {}),
    ]:
        assert await rpc.error(method, {"lorebook_id": "lore", "entry_id": "ghost", **extra}) == expected, method
    assert (await rpc.result("lorebook.get", {"lorebook_id": "lore"}))["entries"] == [entry("a")]


async def test_entry_decode_errors_name_the_path(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook())
    envelope = await rpc.call(
        "lorebook_entry.create", {"lorebook_id": "lore", **entry("a", keywords="gate")}, expect_status=400
    )
    assert envelope["error"] == {"code": -32602, "message": "params.keywords: expected array, got string"}
    envelope = await rpc.call(
        "lorebook_entry.update", {"lorebook_id": "lore", "entry_id": "a", "enabled": 1}, expect_status=400
    )
    assert envelope["error"] == {"code": -32602, "message": "params.enabled: expected boolean, got int"}
    assert await entry_ids(rpc) == []
