"""The Architect: bundle decoding and checks (§14.3/§14.4, R11), merging, context, settings, repair."""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs
import pytest

from runtime.agents.architect import (
    SectionTask,
    architect_request,
    build_draft_continuation,
    build_draft_start,
    build_graph,
    decode_draft_continuation,
    decode_draft_start,
    decode_graph_bundle,
    draft_continue_context,
    draft_init_context,
    graph_context,
)
from runtime.agents.planner import planner_context, planner_request
from runtime.agents.story_material import StoryMaterial
from runtime.errors import InvalidParams, ProviderError
from runtime.llm import ChatMessage, ChatRequest, ChatResponse, ChatRole
from runtime.model.apis import Agent
from runtime.model.cast import CastMember
from runtime.model.graph import StoryGraph
from runtime.model.lorebooks import LorebookEntry
from runtime.model.presets import AgentConfig, AgentSpec, ArchitectMode
from runtime.model.schemas import StateFieldSchema, ValueType
from runtime.presets import normalize_agent

CAST = ["merchant", "guard"]


def node(node_id: str, *targets: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "title": node_id,
        "scene": "s",
        "goal": "g",
        "characters": ["merchant"],
        "transitions": [{"to": target} for target in targets],
        **extra,
    }


def init_bundle(**changes: Any) -> dict[str, Any]:
    bundle = {
        "nodes": [node("dock", "market"), node("market")],
        "transition_patches": [],
        "section_summary": "It begins.",
        "start_node": "dock",
        "world_state_schema": {"fields": {"gate_open": {"value_type": "bool", "default": False}}},
        "player_state_schema": {"fields": {}},
        "introduction": "You arrive.",
    }
    bundle.update(changes)
    return bundle


def without(bundle: dict[str, Any], key: str) -> dict[str, Any]:
    trimmed = copy.deepcopy(bundle)
    del trimmed[key]
    return trimmed


def test_a_draft_start_bundle_decodes_with_its_patches_applied() -> None:
    bundle = init_bundle(
        nodes=[node("dock"), node("market")],
        transition_patches=[{"node_id": "dock", "add_transitions": [{"to": "market"}]}],
        extra_note="ignored",
    )
    start = decode_draft_start(without(bundle, "player_state_schema"), CAST)
    assert [t.to for t in start.nodes[0].transitions] == ["market"]
    assert start.player_state_schema.fields == {}
    assert start.world_state_schema.fields["gate_open"] == StateFieldSchema(ValueType.BOOL, False)
    assert start.graph == StoryGraph("dock", start.nodes)


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        (init_bundle(nodes=[]), "draft_init output must contain at least one node"),
        (without(init_bundle(), "start_node"), "draft_init output is missing start_node"),
        (init_bundle(start_node="pier"), "start_node 'pier' is not one of the returned nodes"),
        (without(init_bundle(), "world_state_schema"), "draft_init output is missing world_state_schema"),
        (init_bundle(introduction="  "), "draft_init output is missing introduction"),
        (without(init_bundle(), "section_summary"), "draft_init output is missing section_summary"),
        (init_bundle(nodes=[node("dock"), node("dock")]), "node id 'dock' is returned more than once"),
        (
            init_bundle(nodes=[node("dock", "future")]),
            "transition from 'dock' points to 'future', which is not a node returned in this response",
        ),
        (
            init_bundle(transition_patches=[{"node_id": "pier", "add_transitions": []}]),
            "transition patch names node 'pier', which is not a node returned in this response",
        ),
        (
            init_bundle(transition_patches=[{"node_id": "dock", "add_transitions": [{"to": "pier"}]}]),
            "transition patch on 'dock' points to 'pier', which is not a node returned in this response",
        ),
        (
            init_bundle(nodes=[node("dock", characters=["stranger"])]),
            "node 'dock' references character 'stranger' that is not part of the story cast",
        ),
        (
            init_bundle(nodes=[node("dock", on_enter_updates=[{"type": "SetCurrentNode", "node_id": "dock"}])]),
            "node 'dock' on_enter_updates must not contain SetCurrentNode",
        ),
        (init_bundle(nodes=[{"id": "dock"}]), "output.nodes[0].title: missing required field"),
        (
            init_bundle(world_state_schema={"fields": {"x": {"default": 1}}}),
            "output.world_state_schema.fields.x.value_type: missing required field",
        ),
    ],
)
def test_draft_start_checks_name_the_problem(bundle: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParams) as caught:
        decode_draft_start(bundle, CAST)
    assert caught.value.message.startswith(message)


EXISTING = ["dock", "market"]


def continue_bundle(**changes: Any) -> dict[str, Any]:
    bundle = {
        "nodes": [node("alley", "dock")],
        "transition_patches": [{"node_id": "market", "add_transitions": [{"to": "alley"}]}],
        "section_summary": "More.",
    }
    bundle.update(changes)
    return bundle


def test_a_continuation_merges_after_the_existing_nodes() -> None:
    continuation = decode_draft_continuation(continue_bundle(), EXISTING, CAST)
    existing = decode_draft_start(init_bundle(), CAST).graph
    merged = continuation.merged_into(existing)
    assert [n.id for n in merged.nodes] == ["dock", "market", "alley"]
    assert [t.to for t in merged.nodes[1].transitions] == ["alley"]
    assert merged.start_node == "dock" and existing.nodes[1].transitions == []


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        (continue_bundle(nodes=[]), "draft_continue output must contain at least one node"),
        (continue_bundle(section_summary=""), "draft_continue output is missing section_summary"),
        (continue_bundle(start_node="alley"), "draft_continue output must not contain start_node"),
        (continue_bundle(introduction="Again."), "draft_continue output must not contain introduction"),
        (
            continue_bundle(world_state_schema={"fields": {}}),
            "draft_continue output must not contain world_state_schema",
        ),
        (continue_bundle(nodes=[node("market")]), "node id 'market' already exists in the story graph"),
        (continue_bundle(nodes=[node("alley"), node("alley")]), "node id 'alley' is returned more than once"),
        (
            continue_bundle(nodes=[node("alley", "void")]),
            "transition from 'alley' points to 'void', which is not an existing or a new node",
        ),
        (
            continue_bundle(transition_patches=[{"node_id": "void", "add_transitions": []}]),
            "transition patch names node 'void', which is not an existing or a new node",
        ),
        (
            continue_bundle(nodes=[node("alley", characters=["merchant", "ghost"])]),
            "node 'alley' references character 'ghost' that is not part of the story cast",
        ),
    ],
)
def test_continuation_checks_name_the_problem(bundle: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParams, match=f"^{message}"):
        decode_draft_continuation(bundle, EXISTING, CAST)


def test_graph_mode_bundles_use_the_graph_rules() -> None:
    bundle = {
        "graph": {"start_node": "dock", "nodes": [node("dock")]},
        "world_state_schema": {"fields": {}},
        "introduction": "Hello.",
    }
    assert decode_graph_bundle(bundle, CAST).player_state_schema.fields == {}
    bundle["graph"]["start_node"] = "pier"
    with pytest.raises(InvalidParams, match=r"^story graph start node 'pier' does not exist$"):
        decode_graph_bundle(bundle, CAST)


# -- settings and context -------------------------------------------------------------------


def architect_config(**settings: Any) -> AgentConfig:
    return normalize_agent(Agent.ARCHITECT, AgentSpec(**settings))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(ArchitectMode.DRAFT_INIT, 8192), (ArchitectMode.DRAFT_CONTINUE, 4096), (ArchitectMode.GRAPH, 8192)],
)
def test_request_defaults_apply_only_when_the_preset_sets_nothing(mode: ArchitectMode, expected: int) -> None:
    request = architect_request(architect_config(), mode, {})
    assert (request.temperature, request.max_tokens, request.agent) == (0.0, expected, Agent.ARCHITECT)
    tuned = architect_request(architect_config(temperature=0.7, max_tokens=900), mode, {})
    assert (tuned.temperature, tuned.max_tokens) == (0.7, 900)


MERCHANT = CastMember(
    "merchant", "Old Merchant", "shrewd", "clipped", "secret", {"trust": StateFieldSchema(ValueType.INT, 1, "how much")}
)
LORE = (
    LorebookEntry("tides", "Tides", "The tide rises at dusk.", ["tide"], True, False),
    LorebookEntry("gate", "Gate", "Always shown.", [], True, True),
    LorebookEntry("vault", "Vault", "Under the market.", ["vault"], True, False),
)
MATERIAL = StoryMaterial(
    "A harbor at high tide",
    None,
    (MERCHANT,),
    LORE,
    {"gate_open": StateFieldSchema(ValueType.BOOL, False, "open?")},
    None,
)


def test_draft_init_context_shows_section_zero_and_an_empty_graph() -> None:
    task = SectionTask("First part.\n\nSecond part.", ["First part.", "Second part."], 0)
    context = draft_init_context(MATERIAL, task)
    assert context["current_section"] == "First part." and context["section_index"] == "0"
    assert (context["total_sections"], context["target_node_count"]) == ("2", "4")
    assert (context["graph_summary"], context["recent_section_detail"]) == ("[]", "[]")
    assert context["planned_story"] == "First part.\n\nSecond part."
    assert context["world_state_schema_seed"] == '{"fields":{"gate_open":{"value_type":"bool","default":false}}}'
    assert context["player_state_schema_seed"] == "null"
    assert context["lorebook_base"] == "- gate | Gate | keywords= | Always shown."
    assert context["lorebook_matched"] == "- tides | Tides | keywords=tide | The tide rises at dusk."
    assert context["available_characters"] == (
        '- merchant | Old Merchant | role=shrewd | clipped | state_schema=trust:"int" default=1'
    )


def test_draft_continue_context_shows_the_draft_so_far_and_no_plan() -> None:
    graph = decode_draft_start(init_bundle(), CAST).graph
    task = SectionTask(
        "plan",
        ["a", "b", "the vault"],
        2,
        ["opening", "middle"],
        graph,
        graph.nodes[1:],
        {"gate_open": StateFieldSchema(ValueType.BOOL)},
        {},
    )
    context = draft_continue_context(MATERIAL, task)
    assert context["current_section"] == "the vault" and context["section_index"] == "2"
    assert context["section_summaries"] == "- [0] opening\n- [1] middle"
    assert json.loads(context["graph_summary"] or "")[0]["transition_targets"] == ["market"]
    assert [item["id"] for item in json.loads(context["recent_section_detail"] or "")] == ["market"]
    assert context["player_state_schema"] == '{"fields":{}}'
    assert context["lorebook_matched"] == (
        "- tides | Tides | keywords=tide | The tide rises at dusk.\n- vault | Vault | keywords=vault | Under the market."
    )
    request = architect_request(architect_config(), ArchitectMode.DRAFT_CONTINUE, context)
    assert "plan" not in request.user.split("\n\n") and "Draft continuation output shape:" in request.system


def test_graph_context_writes_a_missing_plan_as_null_and_the_planner_sees_the_full_cast() -> None:
    assert graph_context(MATERIAL)["planned_story"] == "null"
    planner = planner_context(MATERIAL)
    assert planner["available_characters"] == (
        '- merchant | Old Merchant | personality=shrewd | style=clipped | state_schema=trust:"int" default=1 desc=how much'
    )
    request = planner_request(normalize_agent(Agent.PLANNER, AgentSpec()), planner)
    assert request.temperature is None and request.max_tokens is None
    assert "A harbor at high tide" in request.user and "Output contract for the Planner:" in request.system


# -- the call and its repair ------------------------------------------------------------------


@attrs.define
class QueuedClient:
    answers: list[str]
    requests: list[ChatRequest] = attrs.field(factory=list)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        return ChatResponse(ChatMessage(ChatRole.ASSISTANT, self.answers.pop(0)), "m")

    def stream(self, request: ChatRequest) -> Any:
        raise AssertionError("the Architect never streams")


REQUEST = ChatRequest(Agent.ARCHITECT, "system", "user", temperature=0.0, max_tokens=8192)


async def test_a_bad_start_bundle_is_repaired_once() -> None:
    bad = json.dumps(init_bundle(start_node="pier"))
    client = QueuedClient([bad, "```json\n" + json.dumps(init_bundle()) + "\n```"])
    start = await build_draft_start(client, REQUEST, CAST)
    assert start.start_node == "dock"
    first, repair = client.requests
    assert first.json_mode and repair.json_mode and repair.max_tokens == 8192
    assert repair.user.startswith("TARGET:\ndraft_init\n\nPARSER_ERROR:\nstart_node 'pier' is not one of")
    assert repair.user.endswith("RAW_OUTPUT:\n" + bad)
    assert "draft_continue: return only nodes" in repair.system


async def test_a_continuation_still_bad_after_repair_is_a_provider_error() -> None:
    bad = json.dumps(continue_bundle(start_node="alley"))
    client = QueuedClient([bad, bad])
    with pytest.raises(ProviderError) as caught:
        await build_draft_continuation(client, REQUEST, EXISTING, CAST)
    assert caught.value.message == "structured output parse error: draft_continue output must not contain start_node"
    assert client.requests[1].user.startswith("TARGET:\ndraft_continue\n")


async def test_graph_mode_repairs_with_the_full_graph_target() -> None:
    good = {
        "graph": {"start_node": "dock", "nodes": [node("dock")]},
        "world_state_schema": {"fields": {}},
        "introduction": "Hello.",
    }
    client = QueuedClient(['{"graph": {"start_node": "dock", "nodes": []}}', json.dumps(good)])
    bundle = await build_graph(client, REQUEST, CAST)
    assert [n.id for n in bundle.graph.nodes] == ["dock"]
    assert client.requests[1].user.startswith(
        "TARGET:\nfull_graph\n\nPARSER_ERROR:\nstory graph must contain at least one node"
    )
