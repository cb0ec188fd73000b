"""The lorebook activation fields over HTTP: `settings`, `activation`, save-time warnings, and
their trip through a data package."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_lorebooks import entry, lorebook
from tests.e2e.test_packages import export_package, import_package
from tests.support.server import RpcClient

SETTINGS = {"scan_depth": 2, "token_budget": 600, "recursive_scanning": True, "max_recursion_steps": 3}
ACTIVATION = {
    "secondary_keywords": ["moon", "/ti+de/i"],
    "secondary_logic": "not_all",
    "key_mode": "slash_regex",
    "case_sensitive": False,
    "match_whole_words": True,
    "insertion_order": 40,
    "priority": 2,
    "probability": 75,
    "use_probability": True,
    "group": "weather, sky",
    "group_override": False,
    "group_weight": 30,
    "use_group_scoring": True,
    "exclude_recursion": True,
    "prevent_recursion": False,
    "delay_until_recursion": 1,
    "scan_depth": 4,
    "sticky": 2,
    "cooldown": 1,
    "delay": 3,
    "ignore_budget": False,
    "position": "at_depth",
    "depth": 4,
    "role": "assistant",
    "outlet_name": "weather",
    "extensions": {"automation_id": "a-1", "vectorized": False, "display_index": 7},
}


def full_entry(entry_id: str = "storm", **overrides: Any) -> dict[str, Any]:
    return entry(entry_id, activation=ACTIVATION, **overrides)


async def test_settings_and_activation_round_trip_through_create_get_and_list(rpc: RpcClient) -> None:
    created = await rpc.result("lorebook.create", lorebook(entries=[full_entry(), entry("plain")], settings=SETTINGS))
    expected = {
        "type": "lorebook",
        "lorebook_id": "lore",
        "display_name": "Lore",
        "entries": [full_entry(), entry("plain")],
        "settings": SETTINGS,
    }
    assert created == expected
    assert await rpc.result("lorebook.get", {"lorebook_id": "lore"}) == expected
    listed = (await rpc.result("lorebook.list"))["lorebooks"]
    assert listed == [{key: value for key, value in expected.items() if key != "type"}]
    got = await rpc.result("lorebook_entry.get", {"lorebook_id": "lore", "entry_id": "plain"})
    assert "activation" not in got  # the web client's shape, untouched


async def test_only_given_activation_fields_are_returned(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook())
    created = await rpc.result(
        "lorebook_entry.create",
        {"lorebook_id": "lore", **entry("gate"), "activation": {"sticky": 1, "secondary_keywords": []}},
    )
    assert created["activation"] == {"sticky": 1, "secondary_keywords": []}


async def test_edits_that_leave_the_new_objects_out_keep_them(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[full_entry()], settings=SETTINGS))
    # what the web client sends when a user renames the book and edits an entry
    await rpc.result("lorebook.update", {"lorebook_id": "lore", "display_name": "Atlas"})
    updated = await rpc.result(
        "lorebook_entry.update",
        {"lorebook_id": "lore", "entry_id": "storm", "title": "Storms", "keywords": ["storm", "gale"], "enabled": True},
    )
    assert updated["activation"] == ACTIVATION
    got = await rpc.result("lorebook.get", {"lorebook_id": "lore"})
    assert (got["display_name"], got["settings"], got["entries"][0]["activation"]) == ("Atlas", SETTINGS, ACTIVATION)


async def test_given_objects_replace_the_old_ones_and_empty_objects_remove_them(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[full_entry()], settings=SETTINGS))
    replaced = await rpc.result("lorebook.update", {"lorebook_id": "lore", "settings": {"token_budget": 50}})
    assert replaced["settings"] == {"token_budget": 50}
    entry_update = {"lorebook_id": "lore", "entry_id": "storm", "activation": {"probability": 10}}
    assert (await rpc.result("lorebook_entry.update", entry_update))["activation"] == {"probability": 10}
    cleared = await rpc.result("lorebook.update", {"lorebook_id": "lore", "settings": {}})
    assert "settings" not in cleared
    await rpc.result("lorebook_entry.update", {"lorebook_id": "lore", "entry_id": "storm", "activation": {}})
    assert await rpc.result("lorebook.get", {"lorebook_id": "lore"}) == {
        "type": "lorebook",
        "lorebook_id": "lore",
        "display_name": "Lore",
        "entries": [entry("storm")],
    }


async def test_bad_settings_name_the_field_and_store_nothing(rpc: RpcClient) -> None:
    bad = entry("storm", activation={**ACTIVATION, "probability": 150})
    error = await rpc.error("lorebook.create", lorebook(entries=[entry("a"), bad]), expect_status=200)
    assert error == {
        "code": -32602,
        "message": "params.entries[1].activation.probability: expected an integer from 0 to 100, got 150",
    }
    envelope = await rpc.call("lorebook.create", lorebook(settings={"depth": 2}), expect_status=400)
    assert envelope["error"] == {"code": -32602, "message": "params.settings.depth: unknown field"}
    envelope = await rpc.call(
        "lorebook.create", lorebook(entries=[entry("a", activation={"secondary_logic": "or"})]), expect_status=400
    )
    assert envelope["error"]["message"] == (
        'params.entries[0].activation.secondary_logic: expected one of and_any, not_all, not_any, and_all, got "or"'
    )
    assert (await rpc.result("lorebook.list"))["lorebooks"] == []
    await rpc.result("lorebook.create", lorebook(entries=[entry("a")]))
    error = await rpc.error(
        "lorebook.update", {"lorebook_id": "lore", "settings": {"max_recursion_steps": 0}}, expect_status=200
    )
    assert error == {
        "code": -32602,
        "message": "params.settings.max_recursion_steps: expected an integer of at least 1, got 0",
    }
    error = await rpc.error(
        "lorebook_entry.update",
        {"lorebook_id": "lore", "entry_id": "a", "activation": {"sticky": -1}},
        expect_status=200,
    )
    assert error == {"code": -32602, "message": "params.activation.sticky: expected an integer of at least 0, got -1"}
    assert (await rpc.result("lorebook.get", {"lorebook_id": "lore"}))["entries"] == [entry("a")]


async def test_an_invalid_regex_keyword_is_saved_with_a_warning(rpc: RpcClient) -> None:
    broken = entry("gate", keywords=["/[gate/", "gate"], activation={"key_mode": "slash_regex"})
    created = await rpc.result("lorebook.create", lorebook(entries=[entry("a"), broken]))
    [warning] = created["warnings"]
    assert warning.startswith('entries[1].keywords[0]: "/[gate/" is not a valid regular expression (unterminated')
    assert warning.endswith("); it never matches")
    stored = await rpc.result("lorebook.get", {"lorebook_id": "lore"})
    assert "warnings" not in stored and stored["entries"][1] == broken
    updated = await rpc.result(
        "lorebook_entry.update",
        {"lorebook_id": "lore", "entry_id": "a", "activation": {"secondary_keywords": ["/(/"], "key_mode": "regex"}},
    )
    assert [warning.split(":")[0] for warning in updated["warnings"]] == ["activation.secondary_keywords[0]"]
    fine = await rpc.result("lorebook_entry.update", {"lorebook_id": "lore", "entry_id": "a", "activation": {}})
    assert "warnings" not in fine


async def test_a_data_package_carries_settings_and_activation_unchanged(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", lorebook(entries=[full_entry(), entry("plain")], settings=SETTINGS))
    before = await rpc.result("lorebook.get", {"lorebook_id": "lore"})
    archive = await export_package(rpc, {"lorebook_ids": ["lore"]})
    await rpc.result("lorebook.delete", {"lorebook_id": "lore"})
    committed = await import_package(rpc, archive)
    assert committed["contents"]["lorebooks"] == {"ids": ["lore"], "count": 1}
    assert await rpc.result("lorebook.get", {"lorebook_id": "lore"}) == before


async def test_rpc_discover_describes_the_new_fields_and_the_dry_run(rpc: RpcClient) -> None:
    document = await rpc.result("rpc.discover")
    methods = {method["name"]: method for method in document["methods"]}
    assert {param["name"] for param in methods["lorebook.dry_run"]["params"]} == {
        "lorebook_ids",
        "story_id",
        "text",
        "history",
        "seed",
    }
    schemas = document["components"]["schemas"]
    assert "sticky" in schemas["EntryActivation"]["properties"]
    assert "token_budget" in schemas["LorebookSettings"]["properties"]
    assert "lore_timers" in schemas["RuntimeSnapshot"]["properties"]
