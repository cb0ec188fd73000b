"""Runtime previews of the Planner and the Architect (PROTOCOL §6.7), against a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from runtime.codec import CODEC
from runtime.errors import InvalidParams, NotFound
from runtime.model.apis import Agent
from runtime.model.characters import CharacterCardContent, CharacterRecord
from runtime.model.graph import NarrativeNode, StoryGraph
from runtime.model.presets import AgentSpec, AgentSpecs, ArchitectMode, Preset, PromptPreviewParams
from runtime.model.schemas import Schema, StateFieldSchema, ValueType
from runtime.model.stories import StoryDraftRecord
from runtime.model.story_resources import StoryResourcesRecord
from runtime.presets import normalize_agents
from runtime.services import Services
from runtime.services.generation_previews import preview_generation_runtime
from runtime.store import Cursor, open_store
from runtime.store.characters import CHARACTERS
from runtime.store.presets import insert_preset
from runtime.store.schemas import SCHEMAS
from runtime.store.stories import STORY_DRAFTS
from runtime.store.story_resources import STORY_RESOURCES

TRUST = {"trust": StateFieldSchema(ValueType.INT, 0)}


def seed(cursor: Cursor) -> None:
    SCHEMAS.insert(cursor, "char", Schema("char", "Char", [], TRUST))
    SCHEMAS.insert(cursor, "gen-world", Schema("gen-world", "W", [], {"tide": StateFieldSchema(ValueType.INT, 2)}))
    SCHEMAS.insert(cursor, "gen-player", Schema("gen-player", "P", [], {}))
    content = CharacterCardContent("merchant", "Merchant", "shrewd", "dry", "char", "secret")
    CHARACTERS.insert(cursor, "merchant", CharacterRecord(content))
    STORY_RESOURCES.insert(
        cursor,
        "resource-0",
        StoryResourcesRecord("resource-0", "A storm over the harbor", ["merchant"], None, None, [], None),
    )
    specs = AgentSpecs(*(AgentSpec() for _ in range(7)))
    insert_preset(cursor, Preset("preset", "Preset", normalize_agents(specs)))
    dock = NarrativeNode("dock", "Dock", "Wet planks.", "Find the boat.", ["merchant"], [])
    STORY_DRAFTS.insert(
        cursor,
        "draft-0",
        StoryDraftRecord(
            draft_id="draft-0",
            display_name="D",
            resource_id="resource-0",
            api_group_id="g",
            preset_id="preset",
            planned_story="Part one.\n\nPart two.",
            outline_sections=["Part one.", "Part two."],
            next_section_index=1,
            partial_graph=StoryGraph("dock", [dock]),
            world_schema_id="gen-world",
            player_schema_id="gen-player",
            introduction="Hi.",
            common_variables=[],
            section_summaries=["It began."],
            section_node_ids=[["dock"]],
        ),
    )


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_store(tmp_path) as store:
        await store.write(seed)
        yield Services(store=store)


def params(agent: Agent, **fields: Any) -> PromptPreviewParams:
    return PromptPreviewParams(preset_id="preset", agent=agent, **fields)


def entries(preview: Any) -> dict[str, dict[str, Any]]:
    body = CODEC.unstructure(preview)
    return {
        entry["entry_id"]: entry
        for message in body["messages"]
        for module in message["modules"]
        for entry in module["entries"]
    }


async def test_the_planner_preview_reads_the_resource(services: Services) -> None:
    preview = await preview_generation_runtime(services, params(Agent.PLANNER, resource_id="resource-0"))
    body = CODEC.unstructure(preview)
    assert (body["preview_kind"], body["message_role"], body["agent"]) == ("runtime", "full", "planner")
    assert body["unresolved_context_keys"] == ["lorebook_base", "lorebook_matched"]
    found = entries(preview)
    assert found["planner_story_concept"]["compiled_text"] == "Story Concept:\nA storm over the harbor"
    assert found["planner_available_characters"]["compiled_text"].startswith(
        "Available Characters:\n- merchant | Merchant | personality="
    )


def body_unresolved(preview: object) -> list[str]:
    return CODEC.unstructure(preview)["unresolved_context_keys"]


async def test_the_architect_graph_preview_injects_its_contract(services: Services) -> None:
    preview = await preview_generation_runtime(
        services, params(Agent.ARCHITECT, architect_mode=ArchitectMode.GRAPH, resource_id="resource-0")
    )
    found = entries(preview)
    assert "architect_planned_story" not in found  # no plan: left out, never a bare null
    assert body_unresolved(preview) == [
        "lorebook_base",
        "lorebook_matched",
        "planned_story",
        "player_state_schema_seed",
        "world_state_schema_seed",
    ]
    assert found["__injected_architect_graph_output_contract"]["source"] == "synthetic"
    assert "architect_current_section" not in found and "architect_world_state_schema" not in found


async def test_draft_mode_previews_read_the_draft(services: Services) -> None:
    init = entries(
        await preview_generation_runtime(
            services, params(Agent.ARCHITECT, architect_mode=ArchitectMode.DRAFT_INIT, draft_id="draft-0")
        )
    )
    assert init["architect_current_section"]["compiled_text"] == "Current Section:\nPart one."
    assert init["architect_graph_summary"]["compiled_text"] == "Graph Summary:\n[]"
    assert init["architect_planned_story"]["compiled_text"] == "Planned Story:\nPart one.\n\nPart two."
    follow_up = entries(
        await preview_generation_runtime(
            services, params(Agent.ARCHITECT, architect_mode=ArchitectMode.DRAFT_CONTINUE, draft_id=" draft-0 ")
        )
    )
    assert follow_up["architect_current_section"]["compiled_text"] == "Current Section:\nPart two."
    assert follow_up["architect_section_index"]["compiled_text"] == "Section Index:\n1"
    assert (
        follow_up["architect_world_state_schema"]["compiled_text"]
        == 'World State Schema:\n{"fields":{"tide":{"value_type":"int","default":2}}}'
    )
    assert follow_up["architect_section_summaries"]["compiled_text"] == "Section Summaries:\n- [0] It began."
    assert '"id":"dock"' in follow_up["architect_recent_section_detail"]["compiled_text"]
    assert "architect_planned_story" not in follow_up


async def test_one_module_can_be_previewed(services: Services) -> None:
    preview = await preview_generation_runtime(
        services, params(Agent.PLANNER, resource_id="resource-0", module_id="static_context")
    )
    body = CODEC.unstructure(preview)
    assert (body["module_id"], body["message_role"]) == ("static_context", "user")
    assert [module["module_id"] for module in body["messages"][0]["modules"]] == ["static_context"]
    assert body["unresolved_context_keys"] == ["lorebook_base"]


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        (
            {"agent": Agent.PLANNER},
            InvalidParams,
            "invalid prompt preview: resource_id is required for agent 'planner'",
        ),
        (
            {"agent": Agent.ARCHITECT, "architect_mode": ArchitectMode.GRAPH, "draft_id": "draft-0"},
            InvalidParams,
            "invalid prompt preview: resource_id is required for agent 'architect' in architect_mode 'graph'",
        ),
        (
            {"agent": Agent.ARCHITECT, "architect_mode": ArchitectMode.DRAFT_CONTINUE, "resource_id": "resource-0"},
            InvalidParams,
            "invalid prompt preview: draft_id is required for agent 'architect' in architect_mode 'draft_continue'",
        ),
        (
            {"agent": Agent.ARCHITECT, "resource_id": "resource-0"},
            InvalidParams,
            "invalid prompt preview: architect_mode is required for agent 'architect'",
        ),
        ({"agent": Agent.PLANNER, "resource_id": "resource-9"}, NotFound, "story resources 'resource-9' not found"),
        (
            {"agent": Agent.ARCHITECT, "architect_mode": ArchitectMode.DRAFT_INIT, "draft_id": "draft-9"},
            NotFound,
            "story draft 'draft-9' not found",
        ),
        (
            {"agent": Agent.PLANNER, "resource_id": "resource-0", "preset_id": "nope"},
            NotFound,
            "preset 'nope' not found",
        ),
    ],
)
async def test_missing_or_unknown_sources_are_refused(
    services: Services, fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    request = PromptPreviewParams(**{"preset_id": "preset", **fields})
    with pytest.raises(error) as caught:
        await preview_generation_runtime(services, request)
    assert caught.value.message == message  # type: ignore[attr-defined]
