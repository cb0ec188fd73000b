"""The Architect: bundle decoding and checks (§14.3/§14.4, R11), merging, context, settings, repair."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from runtime.agents.architect import (
    DraftStart,
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
from runtime.codec import CODEC
from runtime.errors import InvalidParams, ProviderError
from runtime.llm import ChatRequest
from runtime.model.apis import Agent
from runtime.model.cast import CastMember
from runtime.model.graph import StoryGraph
from runtime.model.llm_calls import CallKind, CallOutcome
from runtime.model.lorebooks import LorebookEntry
from runtime.model.presets import AgentConfig, AgentSpec, ArchitectMode
from runtime.model.schemas import StateFieldSchema, ValueType
from runtime.presets import normalize_agent
from tests.support.queued_chat import QueuedClient

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
    decoded = decode_draft_start(without(bundle, "player_state_schema"), CAST)
    start = decoded.value
    assert decoded.warnings == ()
    assert [t.to for t in start.nodes[0].transitions] == ["market"]
    assert start.player_state_schema.fields == {}
    assert start.world_state_schema.fields["gate_open"] == StateFieldSchema(ValueType.BOOL, False)
    assert start.graph == StoryGraph("dock", start.nodes)


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        (init_bundle(nodes=[]), "draft_init output must contain at least one node"),
        (without(init_bundle(), "world_state_schema"), "draft_init output is missing world_state_schema"),
        (init_bundle(introduction="  "), "draft_init output is missing introduction"),
        (without(init_bundle(), "section_summary"), "draft_init output is missing section_summary"),
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


@pytest.mark.parametrize(
    ("bundle", "warning", "check"),
    [
        (
            without(init_bundle(), "start_node"),
            "start_node 'None' is not a returned node: the first node 'dock' starts instead",
            lambda start: start.start_node == "dock",
        ),
        (
            init_bundle(start_node="pier"),
            "start_node 'pier' is not a returned node: the first node 'dock' starts instead",
            lambda start: start.start_node == "dock",
        ),
        (
            init_bundle(nodes=[node("dock"), node("dock", "dock")]),
            "node id 'dock' is already used: the new node is 'dock_2'",
            lambda start: (
                [(n.id, [t.to for t in n.transitions]) for n in start.nodes] == [("dock", []), ("dock_2", ["dock"])]
            ),
        ),
        (
            init_bundle(nodes=[node("dock", "future", "dock")]),
            "dropped transition from 'dock' to missing node 'future'",
            lambda start: [t.to for t in start.nodes[0].transitions] == ["dock"],
        ),
        (
            init_bundle(transition_patches=[{"node_id": "pier", "add_transitions": []}]),
            "dropped transition patch on missing node 'pier'",
            lambda start: [t.to for t in start.nodes[0].transitions] == ["market"],
        ),
        (
            init_bundle(transition_patches=[{"node_id": "dock", "add_transitions": [{"to": "pier"}]}]),
            "dropped transition from 'dock' to missing node 'pier'",
            lambda start: [t.to for t in start.nodes[0].transitions] == ["market"],
        ),
        (
            init_bundle(nodes=[node("dock", characters=["stranger", "guard"])]),
            "dropped character 'stranger' from node 'dock': not in the story cast",
            lambda start: start.nodes[0].characters == ["guard"],
        ),
        (
            init_bundle(nodes=[node("dock", on_enter_updates=[{"type": "SetCurrentNode", "node_id": "dock"}])]),
            "dropped SetCurrentNode from the on_enter_updates of node 'dock'",
            lambda start: start.nodes[0].on_enter_updates == [],
        ),
        (
            init_bundle(world_state_schema={"fields": {"open": {"value_type": "bool", "default": "no"}}}),
            "world_state_schema field 'open': default must match value_type 'bool', got \"no\"; its default and"
            " enum values were left out",
            lambda start: start.world_state_schema.fields["open"] == StateFieldSchema(ValueType.BOOL),
        ),
    ],
)
def test_draft_start_mends_what_has_one_obvious_repair(
    bundle: dict[str, Any], warning: str, check: Callable[[DraftStart], bool]
) -> None:
    decoded = decode_draft_start(bundle, CAST)
    assert decoded.warnings == (warning,)
    assert check(decoded.value)


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
    continuation = decode_draft_continuation(continue_bundle(), EXISTING, CAST).value
    existing = decode_draft_start(init_bundle(), CAST).value.graph
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
    ],
)
def test_continuation_checks_name_the_problem(bundle: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParams, match=f"^{message}"):
        decode_draft_continuation(bundle, EXISTING, CAST)


def test_a_continuation_renames_taken_ids_and_drops_dangling_links_and_foreign_characters() -> None:
    bundle = continue_bundle(
        nodes=[node("market"), node("alley", "void", "dock", characters=["merchant", "ghost"])],
        transition_patches=[
            {"node_id": "void", "add_transitions": [{"to": "alley"}]},
            {"node_id": "market", "add_transitions": [{"to": "alley"}, {"to": "nowhere"}]},
        ],
    )
    decoded = decode_draft_continuation(bundle, EXISTING, CAST)
    assert decoded.warnings == (
        "node id 'market' is already used: the new node is 'market_2'",
        "dropped transition from 'alley' to missing node 'void'",
        "dropped character 'ghost' from node 'alley': not in the story cast",
        "dropped transition patch on missing node 'void'",
        "dropped transition from 'market' to missing node 'nowhere'",
    )
    market_2, alley = decoded.value.nodes
    assert market_2.id == "market_2"
    assert [t.to for t in alley.transitions] == ["dock"] and alley.characters == ["merchant"]
    [patch] = decoded.value.transition_patches
    assert (patch.node_id, [t.to for t in patch.add_transitions]) == ("market", ["alley"])


def test_graph_mode_bundles_use_the_graph_rules() -> None:
    bundle = {
        "graph": {"start_node": "dock", "nodes": [node("dock")]},
        "world_state_schema": {"fields": {}},
        "introduction": "Hello.",
    }
    assert decode_graph_bundle(bundle, CAST).value.player_state_schema.fields == {}
    bundle["graph"]["nodes"] = []
    with pytest.raises(InvalidParams, match=r"^story graph must contain at least one node$"):
        decode_graph_bundle(bundle, CAST)


# -- settings and context -------------------------------------------------------------------


def architect_config(**settings: Any) -> AgentConfig:
    return normalize_agent(Agent.ARCHITECT, AgentSpec(**settings))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(ArchitectMode.DRAFT_INIT, 3072), (ArchitectMode.DRAFT_CONTINUE, 2560), (ArchitectMode.GRAPH, 4096)],
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
    assert context["player_state_schema_seed"] is None
    assert context["lorebook_base"] == "- gate | Gate | keywords= | Always shown."
    assert context["lorebook_matched"] == "- tides | Tides | keywords=tide | The tide rises at dusk."
    assert context["available_characters"] == (
        '- merchant | Old Merchant | role=shrewd | clipped | state_schema=trust:"int" default=1'
    )


def test_draft_init_shows_the_plan_once() -> None:
    without_plan = SectionTask(MATERIAL.story_concept, [MATERIAL.story_concept], 0)
    assert draft_init_context(MATERIAL, without_plan)["planned_story"] is None
    one_section = SectionTask("Only part.", ["Only part."], 0)
    assert draft_init_context(MATERIAL, one_section)["planned_story"] is None
    request = architect_request(architect_config(), ArchitectMode.DRAFT_INIT, draft_init_context(MATERIAL, one_section))
    assert request.user.count("Only part.") == 1 and request.user.count("A harbor at high tide") == 1


def test_draft_continue_context_shows_the_draft_so_far_and_no_plan() -> None:
    graph = decode_draft_start(init_bundle(), CAST).value.graph
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


def test_graph_context_leaves_a_missing_plan_out_and_the_planner_sees_the_full_cast() -> None:
    assert graph_context(MATERIAL)["planned_story"] is None
    planner = planner_context(MATERIAL)
    assert planner["available_characters"] == (
        '- merchant | Old Merchant | personality=shrewd | style=clipped | state_schema=trust:"int" default=1 desc=how much'
    )
    request = planner_request(normalize_agent(Agent.PLANNER, AgentSpec()), planner)
    assert request.temperature is None and request.max_tokens == 768
    assert "A harbor at high tide" in request.user and "Output contract for the Planner:" in request.system


# -- the call and its repair ------------------------------------------------------------------


REQUEST = ChatRequest(Agent.ARCHITECT, "system", "user", temperature=0.0, max_tokens=3072)


async def test_a_bad_start_bundle_is_repaired_once_and_warmer() -> None:
    bad = json.dumps(init_bundle(introduction=""))
    client = QueuedClient([bad, "```json\n" + json.dumps(init_bundle()) + "\n```"])
    start = await build_draft_start(client, REQUEST, CAST)
    assert start.start_node == "dock"
    first, repair = client.requests
    assert first.json_mode and repair.json_mode and repair.max_tokens == 3072
    assert first.output_schema is not None and repair.output_schema == first.output_schema
    assert (first.call_kind, repair.call_kind) == (CallKind.FIRST, CallKind.REPAIR)
    assert (first.temperature, repair.temperature) == (0.0, 0.5)
    assert repair.user.startswith("TARGET:\ndraft_init\n\nPARSER_ERROR:\ndraft_init output is missing introduction")
    assert repair.user.endswith("RAW_OUTPUT:\n" + bad)
    assert "draft_continue: return only nodes" in repair.system
    assert client.verdicts == [(CallOutcome.INVALID_OUTPUT, "draft_init output is missing introduction"), None]


async def test_a_mended_bundle_is_used_and_its_call_judged_a_format_warning() -> None:
    client = QueuedClient([json.dumps(init_bundle(start_node="pier"))])
    start = await build_draft_start(client, REQUEST, CAST)
    assert start.start_node == "dock" and len(client.requests) == 1
    assert client.verdicts == [
        (CallOutcome.FORMAT_WARNING, "start_node 'pier' is not a returned node: the first node 'dock' starts instead")
    ]


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


def test_variables_the_nodes_use_are_declared_and_updates_that_break_them_dropped() -> None:
    dock = node(
        "dock",
        on_enter_updates=[
            {"type": "SetState", "key": "tide", "value": "high"},
            {"type": "SetState", "key": "gate_open", "value": "yes"},
            {"type": "SetCharacterState", "character": "merchant", "key": "mood", "value": 1},
            {"type": "SetCharacterState", "character": "merchant", "key": "trust", "value": 2},
        ],
        transitions=[{"to": "dock", "condition": {"scope": "player", "key": "paid", "op": "eq", "value": 3}}],
    )
    characters = {"merchant": {"trust": StateFieldSchema(ValueType.INT)}}
    decoded = decode_draft_start(init_bundle(nodes=[dock]), CAST, characters)
    start = decoded.value
    assert start.world_state_schema.fields["tide"] == StateFieldSchema(ValueType.STRING)
    assert start.player_state_schema.fields["paid"] == StateFieldSchema(ValueType.INT)
    assert [CODEC.unstructure(op)["key"] for op in start.nodes[0].on_enter_updates] == ["tide", "trust"]
    assert decoded.warnings == (
        "player key 'paid' was used but not declared: declared as int",
        "world key 'tide' was used but not declared: declared as string",
        "node 'dock' on_enter_updates: SetState dropped: 'gate_open' takes a value of type bool, got \"yes\"",
        "node 'dock' on_enter_updates: SetCharacterState dropped: character 'merchant' declares no key 'mood'",
    )


def test_an_integral_number_for_an_int_field_is_stored_as_the_int_even_when_nothing_is_dropped() -> None:
    # keep_declared_values turns 3.0 into 3 for an int field; that must reach the node, not only
    # when some other update of the node happens to be dropped.
    dock = node("dock", on_enter_updates=[{"type": "SetState", "key": "coins", "value": 3.0}])
    world = {"fields": {"coins": {"value_type": "int", "default": 0}}}
    start = decode_draft_start(init_bundle(nodes=[dock], world_state_schema=world), CAST).value
    [op] = start.nodes[0].on_enter_updates
    assert type(CODEC.unstructure(op)["value"]) is int
