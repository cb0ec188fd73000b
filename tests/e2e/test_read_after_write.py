"""Reads answered from the server's read cache still show every write the client waited for,
and answers carry the request's own id even when the result's encoding is reused."""

from __future__ import annotations

from typing import Any

import trio

from tests.support.server import RpcClient

SCHEMA = {"schema_id": "s", "display_name": "S", "fields": {}}
CONTENT = {
    "id": "mira",
    "name": "Mira",
    "personality": "calm",
    "style": "dry",
    "schema_id": "s",
    "system_prompt": "Stay in character.",
    "tags": [],
    "folder": "",
}
AGENTS = ["planner", "architect", "director", "actor", "narrator", "keeper", "replyer"]
PRESET = {"preset_id": "stage", "display_name": "Stage", "agents": {agent: {"modules": []} for agent in AGENTS}}


async def test_character_reads_show_each_update_and_delete(rpc: RpcClient) -> None:
    await rpc.result("schema.create", SCHEMA)
    await rpc.result("character.create", {"content": CONTENT})
    for _ in range(2):  # the second answer comes from memory
        assert (await rpc.result("character.get", {"character_id": "mira"}))["content"]["name"] == "Mira"
    assert [c["name"] for c in (await rpc.result("character.list"))["characters"]] == ["Mira"]

    await rpc.result("character.update", {"character_id": "mira", "content": {**CONTENT, "name": "Mira Vale"}})
    assert (await rpc.result("character.get", {"character_id": "mira"}))["content"]["name"] == "Mira Vale"
    assert [c["name"] for c in (await rpc.result("character.list"))["characters"]] == ["Mira Vale"]

    await rpc.result("character.delete", {"character_id": "mira"})
    assert (await rpc.error("character.get", {"character_id": "mira"}))["code"] == 40404
    assert (await rpc.result("character.list"))["characters"] == []


async def test_preset_reads_show_each_entry_change(rpc: RpcClient) -> None:
    await rpc.result("preset.create", PRESET)
    before = await rpc.result("preset.get", {"preset_id": "stage"})
    assert await rpc.result("preset.get", {"preset_id": "stage"}) == before
    module_id = before["agents"]["director"]["modules"][0]["module_id"]
    entry = {
        "preset_id": "stage",
        "agent": "director",
        "module_id": module_id,
        "entry_id": "mood",
        "display_name": "Mood",
        "text": "Keep it tense.",
    }
    await rpc.result("preset_entry.create", entry)
    after = await rpc.result("preset.get", {"preset_id": "stage"})
    assert "mood" in [e["entry_id"] for e in after["agents"]["director"]["modules"][0]["entries"]]
    listed = (await rpc.result("preset.list"))["presets"][0]["agents"]["director"]
    assert listed["entry_count"] == _director_entry_count(before) + 1


def _director_entry_count(preset: dict[str, Any]) -> int:
    return sum(len(module["entries"]) for module in preset["agents"]["director"]["modules"])


async def test_api_and_api_group_lists_show_each_write(rpc: RpcClient) -> None:
    api = {
        "api_id": "main",
        "display_name": "Main",
        "provider": "open_ai",
        "base_url": "http://127.0.0.1:9/v1",
        "model": "m",
        "api_key": "sk-secret-key-1234",
    }
    assert (await rpc.result("api.list"))["apis"] == []
    await rpc.result("api.create", api)
    assert [a["api_id"] for a in (await rpc.result("api.list"))["apis"]] == ["main"]
    await rpc.result("api.update", {"api_id": "main", "display_name": "Renamed"})
    assert (await rpc.result("api.get", {"api_id": "main"}))["display_name"] == "Renamed"
    assert (await rpc.result("api_group.list"))["api_groups"] == []
    group = {"api_group_id": "g", "display_name": "G", "bindings": {f"{agent}_api_id": "main" for agent in AGENTS}}
    await rpc.result("api_group.create", group)
    assert [g["api_group_id"] for g in (await rpc.result("api_group.list"))["api_groups"]] == ["g"]


async def test_a_reused_result_is_sent_with_each_requests_own_id(rpc: RpcClient) -> None:
    await rpc.result("schema.create", SCHEMA)
    await rpc.result("character.create", {"content": CONTENT})
    ids = []
    for _ in range(3):
        envelope = await rpc.call("character.get", {"character_id": "mira"})
        assert envelope["result"]["type"] == "character" and envelope["result"]["character_id"] == "mira"
        ids.append(envelope["id"])
    assert len(set(ids)) == 3


async def test_a_duplicate_id_conflicts_before_a_missing_schema_is_reported(rpc: RpcClient) -> None:
    await rpc.result("schema.create", SCHEMA)
    await rpc.result("character.create", {"content": CONTENT})
    error = await rpc.error("character.create", {"content": {**CONTENT, "schema_id": "ghost"}})
    assert error == {"code": 40909, "message": "character 'mira' already exists"}


async def test_concurrent_creates_each_commit_once_and_duplicates_conflict(rpc: RpcClient) -> None:
    """Creates that arrive together are committed together; a duplicate among them fails alone."""
    await rpc.result("schema.create", SCHEMA)
    answers: dict[str, dict[str, Any]] = {}

    async def create(name: str, character_id: str) -> None:
        answers[name] = await rpc.call("character.create", {"content": {**CONTENT, "id": character_id}})

    async with trio.open_nursery() as nursery:
        for number in range(8):
            nursery.start_soon(create, f"c{number}", f"c{number}")
        nursery.start_soon(create, "again", "c3")
    errors = [name for name, answer in answers.items() if "error" in answer]
    assert len(errors) == 1  # whichever of the two c3 creates came second
    listed = (await rpc.result("character.list"))["characters"]
    assert [c["character_id"] for c in listed] == [f"c{number}" for number in range(8)]
