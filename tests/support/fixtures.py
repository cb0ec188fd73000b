"""Small builders for records that many end-to-end tests need."""

from __future__ import annotations

from typing import Any

from tests.support.server import RpcClient

AGENTS = ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")


async def create_schema(rpc: RpcClient, schema_id: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return await rpc.result(
        "schema.create", {"schema_id": schema_id, "display_name": schema_id.title(), "fields": fields or {}}
    )


async def create_character(
    rpc: RpcClient, character_id: str, schema_id: str = "schema-char", **content: Any
) -> dict[str, Any]:
    card = {
        "id": character_id,
        "name": character_id.replace("_", " ").title(),
        "personality": "curious",
        "style": "plain",
        "schema_id": schema_id,
        "system_prompt": "You are {{char}}.",
        **content,
    }
    return await rpc.result("character.create", {"content": card})


async def create_cast(rpc: RpcClient, *character_ids: str) -> None:
    """A character schema (with a `trust` default) and one character per id."""
    await create_schema(rpc, "schema-char", {"trust": {"value_type": "int", "default": 0, "description": None}})
    for character_id in character_ids:
        await create_character(rpc, character_id)


async def create_lorebook(rpc: RpcClient, lorebook_id: str, entries: list[dict[str, Any]] | None = None) -> None:
    await rpc.result(
        "lorebook.create", {"lorebook_id": lorebook_id, "display_name": lorebook_id, "entries": entries or []}
    )


def web_client_preset(preset_id: str = "preset-default") -> dict[str, Any]:
    """What the reference web client sends: empty modules plus its default settings."""
    agents = {agent: {"temperature": 0.5, "max_tokens": 1024, "modules": []} for agent in AGENTS}
    return {"preset_id": preset_id, "display_name": "Default", "agents": agents}
