"""Builders for story-generation tests: an engine bound to the LLM stub, a resource, and
Architect bundles as JSON text for scripted answers."""

from __future__ import annotations

import json
from typing import Any

from tests.support.fixtures import AGENTS, create_cast, web_client_preset
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient

API_ID = "stub"
API_GROUP_ID = "group-default"
PRESET_ID = "preset-default"
CAST = ("merchant", "guard")


async def bind_engine_to_stub(
    rpc: RpcClient, stub: RunningStub, *, provider: str = "open_ai", model: str = "stub-model", api_key: str = "sk-test"
) -> None:
    """One api on the stub, an api group binding every agent to it, and a preset."""
    base_url = stub.openai_base_url if provider == "open_ai" else stub.anthropic_base_url
    await rpc.result(
        "api.create",
        {
            "api_id": API_ID,
            "display_name": "Stub",
            "provider": provider,
            "base_url": base_url,
            "api_key": api_key,
            "model": model,
        },
    )
    await rpc.result(
        "api_group.create",
        {
            "api_group_id": API_GROUP_ID,
            "display_name": "Default",
            "bindings": {f"{agent}_api_id": API_ID for agent in AGENTS},
        },
    )
    await rpc.result("preset.create", web_client_preset(PRESET_ID))


async def create_resource(
    rpc: RpcClient, *, planned_story: str | None = None, concept: str = "A flooded harbor town", **extra: Any
) -> str:
    """The cast (merchant, guard) and a story resources bundle over it; returns its id."""
    await create_cast(rpc, *CAST)
    params: dict[str, Any] = {"story_concept": concept, "character_ids": list(CAST), **extra}
    if planned_story is not None:
        params["planned_story"] = planned_story
    return (await rpc.result("story_resources.create", params))["resource_id"]


def plan_of(sections: int) -> str:
    """A plan whose paragraphs become `sections` outline sections."""
    return "\n\n".join(f"Section {index}: the story moves to place {index}." for index in range(sections))


def node(node_id: str, *targets: str, characters: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "title": node_id.title(),
        "scene": f"The {node_id}.",
        "goal": f"Leave the {node_id}.",
        "characters": characters if characters is not None else ["merchant"],
        "transitions": [{"to": target, "condition": None} for target in targets],
        **extra,
    }


WORLD_SCHEMA = {"fields": {"gate_open": {"value_type": "bool", "default": False, "description": "gate"}}}
PLAYER_SCHEMA = {"fields": {"coins": {"value_type": "int", "default": 3, "description": "money"}}}


def draft_init_bundle(nodes: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    nodes = nodes if nodes is not None else [node("dock", "market"), node("market")]
    bundle = {
        "nodes": nodes,
        "transition_patches": [],
        "section_summary": "The story opens at the dock.",
        "start_node": nodes[0]["id"] if nodes else "dock",
        "world_state_schema": WORLD_SCHEMA,
        "player_state_schema": PLAYER_SCHEMA,
        "introduction": "You arrive at the dock.",
    }
    bundle.update(changes)
    return bundle


def draft_continue_bundle(
    nodes: list[dict[str, Any]], patches: list[dict[str, Any]] | None = None, **changes: Any
) -> dict[str, Any]:
    bundle = {"nodes": nodes, "transition_patches": patches or [], "section_summary": "The story goes on."}
    bundle.update(changes)
    return bundle


def patch(node_id: str, *targets: str) -> dict[str, Any]:
    return {"node_id": node_id, "add_transitions": [{"to": target, "condition": None} for target in targets]}


def answer(bundle: dict[str, Any], **step: Any) -> dict[str, Any]:
    """A stub step answering with the bundle as JSON text."""
    return {"text": json.dumps(bundle), **step}
