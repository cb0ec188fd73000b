"""Auto mode: for each agent's prompt (rendered as PROTOCOL §11 renders it) an answer of the right shape."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from runtime.agents._output_schemas import (
    ArchitectKnowledge,
    architect_schema,
    director_schema,
    keeper_schema,
    replyer_schema,
)
from runtime.agents.replyer import ReplyerOutput
from runtime.codec import CODEC
from runtime.model.graph import NarrativeNode, StoryGraph
from runtime.model.presets import ArchitectMode
from runtime.model.schemas import StateFieldSchema, ValueType
from runtime.model.state import VARIABLE_OPS, SetCurrentNode, StateUpdate
from runtime.state import DeclaredFields
from transport.llm_stub import auto_answer
from transport.llm_stub._answer import held_to_schema

CAST = (
    '- merchant | Old Merchant | personality=Greedy but fair | style=Terse | state_schema=trust:"int" default=0\n'
    "- guard | Harbor Guard | personality=Stern | style=Loud | state_schema=none"
)
ARCHITECT_CAST = '- merchant | Old Merchant | role=Greedy but fair | Terse | state_schema=trust:"int" default=0'
NODE = (
    "id:\ndock\n\ntitle:\nFlooded Dock\n\nscene:\nWater everywhere.\n\ngoal:\nFind the ledger.\n\n"
    "characters:\nmerchant\n\ntransitions:\n- to node=market when global.clue_found == true"
)
WORLD = (
    "current_node:\ndock\n\nactive_characters:\nmerchant\n\nworld_state:\nclue_found=false\nprogress=0\n\n"
    "player_state:\nnone\n\ncharacter_state:\nnone"
)
PLAYER = "name:\nMira\n\ndescription:\nA curious traveller."


def prompt(contract: str, user: str, *, system_extra: str = "") -> tuple[str, str]:
    system = f"Role:\nYou are a test agent.\n\nOutput:\n{contract}\nAnswer in the shape described."
    return system + system_extra, user


def answer(contract: str, user: str, **kwargs: Any) -> str:
    system, user_message = prompt(contract, user, **kwargs)
    return auto_answer(system, user_message)


def architect(mode_line: str, user: str) -> dict[str, Any]:
    system = (
        "Role:\nYou are Architect.\n\nOutput:\nOutput contract for the Architect:\nOne JSON object.\n\n"
        f"{mode_line}\nReturn one object of this shape."
    )
    return json.loads(auto_answer(system, user))


def check_nodes(nodes: list[dict[str, Any]], characters: set[str]) -> list[NarrativeNode]:
    decoded = [CODEC.structure(node, NarrativeNode, path="node") for node in nodes]
    ids = [node.id for node in decoded]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", node_id) for node_id in ids)
    for node in decoded:
        assert set(node.characters) <= characters
        assert all(isinstance(op, VARIABLE_OPS) for op in node.on_enter_updates)
    return decoded


def check_schema(schema: dict[str, Any]) -> None:
    assert set(schema) == {"fields"} and schema["fields"]
    for field in schema["fields"].values():
        assert field["value_type"] in {"bool", "int", "float", "string", "array", "object", "null"}
        if field.get("enum_values"):
            assert field["default"] in field["enum_values"]


# -- Planner -------------------------------------------------------------------------------


def test_planner_writes_plain_paragraphs_naming_the_cast() -> None:
    text = answer("Output contract for the Planner:", f"Static Context:\nA flooded harbor town.\n\n{CAST}")
    paragraphs = text.split("\n\n")
    assert 4 <= len(paragraphs) <= 7
    assert not any(paragraph.rstrip().endswith(":") for paragraph in paragraphs)
    assert "Old Merchant" in text and "{" not in text


# -- Architect -----------------------------------------------------------------------------

SEEDS = "\n\n"
DRAFT_INIT_USER = (
    f"Static Context:\nStory Concept:\nA flooded harbor town.\n\nAvailable Characters:\n{ARCHITECT_CAST}{SEEDS}"
    "Dynamic Context:\nCurrent Section:\nThe player arrives at the dock at dusk.\n\nSection Index:\n0\n\n"
    "Total Sections:\n3\n\nTarget Node Count:\n4\n\nGraph Summary:\n[]"
)


def test_draft_init_bundle_is_a_valid_first_chunk() -> None:
    bundle = architect("Draft start output shape:", DRAFT_INIT_USER)
    assert set(bundle) == {
        "nodes",
        "transition_patches",
        "section_summary",
        "start_node",
        "world_state_schema",
        "player_state_schema",
        "introduction",
    }
    nodes = check_nodes(bundle["nodes"], {"merchant"})
    ids = {node.id for node in nodes}
    assert 2 <= len(nodes) <= 4 and bundle["start_node"] in ids
    transitions = [t for node in nodes for t in node.transitions]
    assert {t.to for t in transitions} <= ids
    world_fields = bundle["world_state_schema"]["fields"]
    assert any(t.condition is not None and t.condition.key in world_fields for t in transitions)
    assert any(t.condition is None for t in transitions)
    assert bundle["transition_patches"] == []
    check_schema(bundle["world_state_schema"])
    check_schema(bundle["player_state_schema"])
    assert bundle["introduction"] and bundle["section_summary"]


def test_draft_init_keeps_the_fields_of_schema_seeds() -> None:
    user = DRAFT_INIT_USER.replace(
        SEEDS,
        '\n\nWorld State Schema Seed:\n{"fields":{"tide":{"value_type":"string","default":"low"}}}\n\n'
        'Player State Schema Seed:\n{"fields":{"coins":{"value_type":"int","default":3}}}\n\n',
    )
    bundle = architect("Draft start output shape:", user)
    assert bundle["world_state_schema"]["fields"]["tide"]["default"] == "low"
    assert bundle["player_state_schema"]["fields"]["coins"]["value_type"] == "int"


def test_draft_continue_adds_new_ids_and_links_them_from_an_existing_node() -> None:
    summary = json.dumps(
        [
            {
                "id": "harbor_1",
                "title": "Harbor",
                "scene_summary": "s",
                "goal": "g",
                "characters": [],
                "transition_targets": ["market_1"],
            },
            {
                "id": "market_1",
                "title": "Market",
                "scene_summary": "s",
                "goal": "g",
                "characters": [],
                "transition_targets": [],
            },
        ],
        separators=(",", ":"),
    )
    world = '{"fields":{"clue_found":{"value_type":"bool","default":false},"progress":{"value_type":"int"}}}'
    user = (
        f"Static Context:\nStory Concept:\nA flooded harbor town.\n\nAvailable Characters:\n{ARCHITECT_CAST}\n\n"
        f"World State Schema:\n{world}\n\nPlayer State Schema:\n"
        f'{{"fields":{{}}}}\n\nSection Summaries:\n- [0] The opening.\n\n'
        "Dynamic Context:\nCurrent Section:\nThe chase through the market.\n\n"
        f"Section Index:\n1\n\nTotal Sections:\n3\n\nTarget Node Count:\n4\n\nGraph Summary:\n{summary}\n\n"
        f"Recent Section Detail:\n{summary}"
    )
    bundle = architect("Draft continuation output shape:", user)
    assert set(bundle) == {"nodes", "transition_patches", "section_summary"}
    nodes = check_nodes(bundle["nodes"], {"merchant"})
    new_ids = {node.id for node in nodes}
    assert not new_ids & {"harbor_1", "market_1"}
    targets = {t.to for node in nodes for t in node.transitions}
    targets |= {t["to"] for patch in bundle["transition_patches"] for t in patch["add_transitions"]}
    assert targets <= new_ids | {"harbor_1", "market_1"}
    [patch] = bundle["transition_patches"]
    assert patch["node_id"] in {"harbor_1", "market_1"} and patch["add_transitions"][0]["to"] in new_ids


def test_graph_mode_returns_a_whole_graph() -> None:
    bundle = architect("Graph mode output shape:", f"Static Context:\nA flooded harbor town.\n\n{ARCHITECT_CAST}")
    assert set(bundle) == {"graph", "world_state_schema", "player_state_schema", "introduction"}
    graph = CODEC.structure(bundle["graph"], StoryGraph, path="graph")
    ids = {node.id for node in graph.nodes}
    assert graph.start_node in ids
    assert all(t.to in ids for node in graph.nodes for t in node.transitions)


# -- turn agents ---------------------------------------------------------------------------


def director_user(cast: str) -> str:
    return f"Static Context:\n{PLAYER}\n\n{cast}\n\n{NODE}\n\nDynamic Context:\n{WORLD}\n\n- none"


def test_director_plans_a_narrator_beat_and_an_actor_beat_for_the_cast() -> None:
    plan = json.loads(answer("Output contract for the Director:", director_user(CAST)))
    assert set(plan) == {"role_actions", "beats"} and plan["role_actions"] == []
    narrator, actor = plan["beats"]
    assert narrator["type"] == "Narrator"
    assert narrator["purpose"] in {"DescribeTransition", "DescribeScene", "DescribeResult"}
    assert actor["type"] == "Actor" and actor["speaker_id"] in {"merchant", "guard"}
    assert actor["purpose"] in {"AdvanceGoal", "ReactToPlayer", "CommentOnScene"}


def test_director_without_a_cast_plans_only_narration() -> None:
    plan = json.loads(answer("Output contract for the Director:", director_user("- none")))
    assert [beat["type"] for beat in plan["beats"]] == ["Narrator"]


def test_actor_writes_only_tagged_segments_in_character() -> None:
    text = answer(
        "Output contract for the Actor:",
        f'Static Context:\n{PLAYER}\n\n{CAST}\n\n"AdvanceGoal"',
        system_extra="\n\nCHARACTER_ID:\nmerchant\n\nCHARACTER_NAME:\nOld Merchant",
    )
    segments = re.findall(r"<(thought|action|dialogue)>([^<]+)</\1>", text)
    assert "".join(f"<{tag}>{body}</{tag}>" for tag, body in segments) == text
    assert [tag for tag, _ in segments] == ["thought", "action", "dialogue"]
    assert "Old Merchant" in text


def test_narrator_writes_plain_sentences() -> None:
    text = answer("Output contract for the Narrator:", f'Static Context:\n{PLAYER}\n\n{NODE}\n\n"DescribeScene"')
    assert text.strip() and text.count(".") >= 2
    assert not any(mark in text for mark in "<{[")


@pytest.mark.parametrize("player_input", [f"I look around ({n})." for n in range(12)])
def test_keeper_answers_a_state_update_without_node_moves(player_input: str) -> None:
    hints = "- target_node=market | condition=global.clue_found eq true | likely_state_scope=global | tracked_key=clue_found"
    user = f'Static Context:\n{PLAYER}\n\n{NODE}\n\n"after_player_input"\n\n{hints}\n\nDynamic Context:\n{WORLD}\n\n{player_input}'
    update = CODEC.structure(json.loads(answer("Output contract for the Keeper:", user)), StateUpdate, path="output")
    assert not any(isinstance(op, SetCurrentNode) for op in update.ops)
    assert all(CODEC.unstructure(op)["key"] in {"clue_found", "progress"} for op in update.ops)


def test_keeper_sometimes_moves_the_story_towards_a_hinted_transition() -> None:
    hints = "- target_node=market | condition=global.clue_found eq true | likely_state_scope=global | tracked_key=clue_found"
    outputs = {
        answer("Output contract for the Keeper:", f"Static Context:\n{hints}\n\nDynamic Context:\nInput {n}")
        for n in range(20)
    }
    assert '{"ops":[]}' in outputs
    assert '{"ops":[{"type":"SetState","key":"clue_found","value":true}]}' in outputs


@pytest.mark.parametrize("limit", [2, 3, 5])
def test_replyer_writes_exactly_the_reply_limit(limit: int) -> None:
    user = (
        f"Static Context:\n{PLAYER}\n\nReply Limit:\n{limit}\n\n{CAST}\n\n{NODE}\n\nDynamic Context:\n{WORLD}\n\n- none"
    )
    replies = json.loads(answer("Output contract for the Replyer:", user))["replies"]
    assert len(replies) == limit
    assert len({reply["id"] for reply in replies}) == limit and len({reply["text"] for reply in replies}) == limit
    assert all(set(reply) == {"id", "text"} and reply["text"].strip() for reply in replies)


# -- repair calls, unknown prompts, determinism --------------------------------------------


@pytest.mark.parametrize(
    ("target", "keys"),
    [("response_plan", {"role_actions", "beats"}), ("state_update", {"ops"}), ("replies", {"replies"})],
)
def test_repair_calls_get_a_valid_output_for_their_target(target: str, keys: set[str]) -> None:
    user = f"TARGET:\n{target}\n\nPARSER_ERROR:\nexpected object\n\nEXPECTED_SHAPE:\n{{}}\n\nRAW_OUTPUT:\nnot json"
    assert set(json.loads(auto_answer("You repair outputs.", user))) == keys


def test_architect_repair_returns_the_json_inside_a_fenced_output() -> None:
    raw = '```json\n{"nodes":[],"transition_patches":[],"section_summary":"x"}\n```'
    user = f"TARGET:\ndraft_continue\n\nPARSER_ERROR:\nbad\n\nEXPECTED_SHAPE:\n{{}}\n\nRAW_OUTPUT:\n{raw}"
    assert json.loads(auto_answer("You repair outputs.", user)) == {
        "nodes": [],
        "transition_patches": [],
        "section_summary": "x",
    }


def test_an_unknown_prompt_gets_plain_text() -> None:
    assert "stub" in auto_answer("Be helpful.", "Hello?")


def test_answers_are_deterministic_and_depend_on_the_prompt() -> None:
    first = answer("Output contract for the Replyer:", "Static Context:\n5\n\nplayer said A")
    assert first == answer("Output contract for the Replyer:", "Static Context:\n5\n\nplayer said A")
    others = {answer("Output contract for the Replyer:", f"Static Context:\n5\n\nplayer said {n}") for n in range(5)}
    assert len(others) > 1


def test_the_built_in_output_contracts_are_recognised() -> None:
    texts = pytest.importorskip("runtime.presets._texts")
    director = json.loads(auto_answer(f"Output:\n{texts.DIRECTOR_OUTPUT}", director_user(CAST)))
    assert set(director) == {"role_actions", "beats"}
    keeper = json.loads(auto_answer(f"Output:\n{texts.KEEPER_OUTPUT}", "Dynamic Context:\nx"))
    assert set(keeper) == {"ops"}
    init_system = f"Output:\n{texts.ARCHITECT_OUTPUT}\n\n{texts.ARCHITECT_DRAFT_INIT_OUTPUT}"
    assert "start_node" in json.loads(auto_answer(init_system, DRAFT_INIT_USER))


# -- auto answers keep to the schemas Dramaturg sends -------------------------------------------


@pytest.mark.parametrize("player_input", [f"I look around ({n})." for n in range(6)])
def test_auto_answers_already_follow_the_tightened_schemas(player_input: str) -> None:
    # Held to a schema, an auto answer that breaks it would be replaced by the schema's smallest
    # instance: the plausible answers must be the ones that pass.
    declared = DeclaredFields(
        world={"clue_found": StateFieldSchema(ValueType.BOOL), "progress": StateFieldSchema(ValueType.INT)},
        characters={"merchant": {"trust": StateFieldSchema(ValueType.INT)}},
    )
    hints = "- target_node=market | condition=global.clue_found eq true | likely_state_scope=global | tracked_key=clue_found"
    keeper_user = f"Static Context:\n{NODE}\n\n{hints}\n\nDynamic Context:\n{WORLD}\n\n{player_input}"
    replyer_user = f"Static Context:\n{PLAYER}\n\nReply Limit:\n3\n\n{CAST}\n\nDynamic Context:\n{player_input}"
    cases = [
        ("Output contract for the Keeper:", keeper_user, keeper_schema(declared, ["merchant", "guard"])),
        (
            "Output contract for the Director:",
            director_user(CAST) + player_input,
            director_schema(["merchant", "guard"]),
        ),
        ("Output contract for the Replyer:", replyer_user, replyer_schema(ReplyerOutput, 3)),
    ]
    for contract, user, schema in cases:
        text = answer(contract, user)
        assert held_to_schema(text, schema) == text, (contract, text)


def test_auto_architect_bundles_follow_their_schemas_once_their_optional_nulls_are_written() -> None:
    schema = architect_schema(ArchitectMode.DRAFT_INIT, ArchitectKnowledge(cast_ids=["merchant"]))
    system = (
        "Role:\nYou are Architect.\n\nOutput:\nOutput contract for the Architect:\nOne JSON object.\n\n"
        "Draft start output shape:\nReturn one object of this shape."
    )
    text = auto_answer(system, DRAFT_INIT_USER)
    held = json.loads(held_to_schema(text, schema))
    assert held["nodes"] and held["nodes"][0]["id"] == json.loads(text)["nodes"][0]["id"]
