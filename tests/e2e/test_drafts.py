"""`story_draft.*` over HTTP with the real LLM stub as the provider (PROTOCOL §6.14, §14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import trio

from runtime.store import DATABASE_FILE_NAME
from tests.support.generation import (
    API_GROUP_ID,
    PRESET_ID,
    answer,
    bind_engine_to_stub,
    create_resource,
    draft_continue_bundle,
    draft_init_bundle,
    node,
    patch,
    plan_of,
)
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, start_server

DRAFT_KEYS = {
    "type",
    "draft_id",
    "display_name",
    "resource_id",
    "api_group_id",
    "preset_id",
    "planned_story",
    "outline_sections",
    "next_section_index",
    "partial_graph",
    "world_schema_id",
    "player_schema_id",
    "introduction",
    "common_variables",
    "section_summaries",
    "status",
    "final_story_id",
    "created_at_ms",
    "updated_at_ms",
    "total_sections",
    "graph_warnings",
}


def architect_calls(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [request for request in requests if request["path"] in ("/v1/chat/completions", "/v1/messages")]


def user_text(request: dict[str, Any]) -> str:
    return next(message["content"] for message in request["body"]["messages"] if message["role"] == "user")


@pytest.mark.parametrize("provider", ["open_ai", "anthropic"])
async def test_plan_then_draft_start_continue_finalize(rpc: RpcClient, llm_stub: RunningStub, provider: str) -> None:
    await bind_engine_to_stub(rpc, llm_stub, provider=provider)
    resource_id = await create_resource(rpc)
    plan = await rpc.result("story.generate_plan", {"resource_id": resource_id})
    await rpc.result("story_resources.update", {"resource_id": resource_id, "planned_story": plan["story_script"]})
    sections = [part.strip() for part in plan["story_script"].split("\n\n")]

    draft = await rpc.result("story_draft.start", {"resource_id": resource_id})
    assert set(draft) == DRAFT_KEYS
    assert (draft["draft_id"], draft["world_schema_id"], draft["player_schema_id"]) == (
        "draft-0",
        "schema-generated-0",
        "schema-generated-1",
    )
    assert draft["outline_sections"] == sections and draft["total_sections"] == len(sections)
    assert (draft["status"], draft["next_section_index"], draft["final_story_id"]) == ("building", 1, None)
    assert (draft["api_group_id"], draft["preset_id"]) == (API_GROUP_ID, PRESET_ID)
    assert draft["planned_story"] == plan["story_script"] and len(draft["section_summaries"]) == 1
    first_nodes = [item["id"] for item in draft["partial_graph"]["nodes"]]

    while draft["status"] == "building":
        previous = draft
        draft = await rpc.result("story_draft.continue", {"draft_id": "draft-0"})
        assert draft["next_section_index"] == previous["next_section_index"] + 1
        assert len(draft["partial_graph"]["nodes"]) > len(previous["partial_graph"]["nodes"])
    assert draft["status"] == "ready_to_finalize"
    assert [item["id"] for item in draft["partial_graph"]["nodes"]][: len(first_nodes)] == first_nodes
    assert len(draft["section_summaries"]) == len(sections)

    story = await rpc.result("story_draft.finalize", {"draft_id": "draft-0"})
    assert story["type"] == "story_generated" and story["story_id"] == "story-0"
    assert story["graph"] == draft["partial_graph"] and story["introduction"] == draft["introduction"]
    assert (story["world_schema_id"], story["player_schema_id"]) == ("schema-generated-0", "schema-generated-1")
    assert story["graph_warnings"] == []
    assert await rpc.result("story.get", {"story_id": "story-0"}) == {**story, "type": "story"}
    finalized = await rpc.result("story_draft.get", {"draft_id": "draft-0"})
    assert (finalized["status"], finalized["final_story_id"]) == ("finalized", "story-0")

    calls = architect_calls(await llm_stub.control.requests())
    assert len(calls) == 1 + len(sections)  # the plan, the start, one call per further section
    if provider == "open_ai":
        # the bundle's schema maps field names to fields: not strict-expressible, so sent as a guide
        response_format = calls[1]["body"]["response_format"]
        assert response_format["type"] == "json_schema" and response_format["json_schema"]["strict"] is False
        assert response_format["json_schema"]["name"] == "draft_init"
        assert "response_format" not in calls[0]["body"]


async def test_request_settings_default_to_zero_temperature_and_the_mode_token_limits(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    bare_preset = {
        "preset_id": "aaa-bare",
        "display_name": "Bare",
        "agents": {
            agent: {"modules": []}
            for agent in ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")
        },
    }
    await rpc.result("preset.create", bare_preset)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    await rpc.result("story_draft.start", {"resource_id": resource_id, "preset_id": "aaa-bare"})
    await rpc.result("story_draft.continue", {"draft_id": "draft-0"})
    start, follow_up = architect_calls(await llm_stub.control.requests())
    assert (start["body"]["temperature"], start["body"]["max_tokens"]) == (0.0, 3072)
    assert (follow_up["body"]["temperature"], follow_up["body"]["max_tokens"]) == (0.0, 2560)
    assert "Draft start output shape:" in start["body"]["messages"][0]["content"]
    assert "Draft continuation output shape:" in follow_up["body"]["messages"][0]["content"]


async def test_generated_schemas_are_named_and_tagged_after_the_draft(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2), concept="  Storm  ", display_name="Harbor")
    await llm_stub.control.script(answer(draft_init_bundle()))
    draft = await rpc.result("story_draft.start", {"resource_id": resource_id})
    world = await rpc.result("schema.get", {"schema_id": draft["world_schema_id"]})
    player = await rpc.result("schema.get", {"schema_id": draft["player_schema_id"]})
    assert (world["display_name"], world["tags"]) == ("Storm world schema", ["world", "generated", "draft:draft-0"])
    assert (player["display_name"], player["tags"]) == (
        "Harbor player schema",
        ["player", "generated", "draft:draft-0"],
    )
    assert world["fields"]["gate_open"] == {"value_type": "bool", "default": False, "description": "gate"}
    assert draft["display_name"] == "Harbor"

    await llm_stub.control.script(answer(draft_init_bundle()))
    named = await rpc.result("story_draft.start", {"resource_id": resource_id, "display_name": "Mine"})
    world = await rpc.result("schema.get", {"schema_id": named["world_schema_id"]})
    assert (named["display_name"], world["display_name"]) == ("Mine", "Mine world schema")


async def test_a_one_section_outline_is_ready_at_once_and_finalize_is_idempotent(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story="Only one paragraph.")
    await llm_stub.control.script(answer(draft_init_bundle()))
    draft = await rpc.result("story_draft.start", {"resource_id": resource_id})
    assert (draft["status"], draft["total_sections"]) == ("ready_to_finalize", 1)
    error = await rpc.error("story_draft.continue", {"draft_id": "draft-0"})
    assert error == {"code": -32602, "message": "invalid story draft: story draft 'draft-0' is not in building state"}
    first = await rpc.result("story_draft.finalize", {"draft_id": "draft-0"})
    again = await rpc.result("story_draft.finalize", {"draft_id": "draft-0"})
    assert first == again and first["story_id"] == "story-0"
    assert [story["story_id"] for story in (await rpc.result("story.list"))["stories"]] == ["story-0"]
    error = await rpc.error(
        "story_draft.update_graph", {"draft_id": "draft-0", "partial_graph": draft["partial_graph"]}
    )
    assert error == {"code": -32602, "message": "invalid story draft: story draft 'draft-0' is already finalized"}
    assert await rpc.error("story_draft.continue", {"draft_id": "draft-0"}) == error | {
        "message": "invalid story draft: story draft 'draft-0' is not in building state"
    }


async def test_finalize_while_building_is_refused(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    await rpc.result("story_draft.start", {"resource_id": resource_id})
    error = await rpc.error("story_draft.finalize", {"draft_id": "draft-0"})
    assert error == {"code": -32602, "message": "invalid story draft: story draft 'draft-0' is not ready to finalize"}
    assert (await rpc.result("story.list"))["stories"] == []


async def test_continue_merges_nodes_and_patches_and_shows_the_graph_to_the_architect(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(3))
    await llm_stub.control.script(
        answer(draft_init_bundle()),
        answer(draft_continue_bundle([node("alley", "dock", characters=["guard"])], [patch("market", "alley")])),
    )
    await rpc.result("story_draft.start", {"resource_id": resource_id})
    draft = await rpc.result("story_draft.continue", {"draft_id": "draft-0"})
    nodes = {item["id"]: item for item in draft["partial_graph"]["nodes"]}
    assert list(nodes) == ["dock", "market", "alley"]
    assert nodes["market"]["transitions"] == [{"to": "alley", "condition": None}]
    assert draft["section_summaries"] == ["The story opens at the dock.", "The story goes on."]
    continue_prompt = user_text(architect_calls(await llm_stub.control.requests())[1])
    assert '"id":"dock"' in continue_prompt and "Section 1: the story moves to place 1." in continue_prompt
    assert "[0] The story opens at the dock." in continue_prompt


async def test_two_concurrent_continue_calls_on_one_draft_run_one_after_the_other(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(3))
    await llm_stub.control.script(answer(draft_init_bundle()))
    await rpc.result("story_draft.start", {"resource_id": resource_id})
    # A slow first continuation: without ownership, the second call would read the same draft.
    await llm_stub.control.script({"delay_ms": 300}, {})
    results: list[dict[str, Any]] = []

    async def continue_once() -> None:
        results.append(await rpc.result("story_draft.continue", {"draft_id": "draft-0"}))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(continue_once)
        nursery.start_soon(continue_once)
    assert sorted(result["next_section_index"] for result in results) == [2, 3]
    final = await rpc.result("story_draft.get", {"draft_id": "draft-0"})
    ids = [item["id"] for item in final["partial_graph"]["nodes"]]
    assert len(ids) == len(set(ids)) and final["status"] == "ready_to_finalize"
    assert len(final["section_summaries"]) == 3
    first_continue, second_continue = architect_calls(await llm_stub.control.requests())[1:]
    assert "Section 1: the story" in user_text(first_continue)
    assert "Section 2: the story" in user_text(second_continue)


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        ({"start_node": "dock", "nodes": []}, "story graph must contain at least one node"),
        (
            {"start_node": "dock", "nodes": [node("dock"), node("dock")]},
            "story graph contains duplicate node id 'dock'",
        ),
        ({"start_node": "pier", "nodes": [node("dock")]}, "story graph start node 'pier' does not exist"),
        (
            {"start_node": "dock", "nodes": [node("dock", "pier")]},
            "transition from 'dock' points to missing node 'pier'",
        ),
        (
            {"start_node": "dock", "nodes": [node("dock", characters=["ghost"])]},
            "node 'dock' references character 'ghost' that is not part of the story cast",
        ),
        (
            {
                "start_node": "dock",
                "nodes": [node("dock", on_enter_updates=[{"type": "SetCurrentNode", "node_id": "dock"}])],
            },
            "node 'dock' on_enter_updates must not contain SetCurrentNode",
        ),
    ],
)
async def test_update_graph_applies_the_draft_rules(
    rpc: RpcClient, llm_stub: RunningStub, graph: dict[str, Any], message: str
) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    await llm_stub.control.script(answer(draft_init_bundle()))
    before = await rpc.result("story_draft.start", {"resource_id": resource_id})
    error = await rpc.error("story_draft.update_graph", {"draft_id": "draft-0", "partial_graph": graph})
    assert error == {"code": -32602, "message": f"invalid story draft: {message}"}
    assert await rpc.result("story_draft.get", {"draft_id": "draft-0"}) == before


async def test_update_graph_replaces_the_graph_and_recomputes_warnings(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    await llm_stub.control.script(answer(draft_init_bundle()))
    await rpc.result("story_draft.start", {"resource_id": resource_id})
    looped = node("dock", "dock")
    looped["transitions"] = [
        {"to": "dock", "condition": {"scope": "global", "key": "tide", "op": "eq", "value": 1}},
        {"to": "pier", "condition": {"scope": "player", "key": "coins", "op": "gt", "value": 1}},
    ]
    graph = {"start_node": "dock", "nodes": [looped, node("pier"), node("attic")]}
    draft = await rpc.result("story_draft.update_graph", {"draft_id": "draft-0", "partial_graph": graph})
    assert draft["partial_graph"]["nodes"][0]["transitions"][0]["condition"]["key"] == "tide"
    assert draft["graph_warnings"] == [
        "node 'attic' is unreachable from start node 'dock'",
        "transition from 'dock' to 'dock' uses global key 'tide' that is not in the bound schema",
    ]
    assert draft["updated_at_ms"] >= draft["created_at_ms"]


async def test_delete_removes_the_draft_and_its_schemas_unless_finalized(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story="One paragraph.")
    await llm_stub.control.script(answer(draft_init_bundle()), answer(draft_init_bundle()))
    await rpc.result("story_draft.start", {"resource_id": resource_id})
    await rpc.result("story_draft.start", {"resource_id": resource_id})
    await rpc.result("story_draft.finalize", {"draft_id": "draft-1"})

    assert await rpc.result("story_draft.delete", {"draft_id": "draft-0"}) == {
        "type": "story_draft_deleted",
        "draft_id": "draft-0",
    }
    assert await rpc.result("story_draft.delete", {"draft_id": "draft-1"}) == {
        "type": "story_draft_deleted",
        "draft_id": "draft-1",
    }
    schema_ids = [schema["schema_id"] for schema in (await rpc.result("schema.list"))["schemas"]]
    assert "schema-generated-0" not in schema_ids and "schema-generated-1" not in schema_ids
    assert {"schema-generated-2", "schema-generated-3"} <= set(schema_ids)
    assert (await rpc.result("story_draft.list"))["drafts"] == []
    assert await rpc.result("story.get", {"story_id": "story-0"})
    for method in ("story_draft.get", "story_draft.delete", "story_draft.continue", "story_draft.finalize"):
        assert await rpc.error(method, {"draft_id": "draft-0"}) == {
            "code": 40404,
            "message": "story draft 'draft-0' not found",
        }


async def test_list_summarises_drafts_sorted_by_id(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    await llm_stub.control.script(answer(draft_init_bundle()), answer(draft_init_bundle()))
    for _ in range(2):
        await rpc.result("story_draft.start", {"resource_id": resource_id})
    listed = await rpc.result("story_draft.list")
    assert [item["draft_id"] for item in listed["drafts"]] == ["draft-0", "draft-1"]
    summary = listed["drafts"][0]
    assert summary == {
        "draft_id": "draft-0",
        "display_name": "A flooded harbor town",
        "resource_id": resource_id,
        "api_group_id": API_GROUP_ID,
        "preset_id": PRESET_ID,
        "status": "building",
        "next_section_index": 1,
        "total_sections": 2,
        "partial_node_count": 2,
        "final_story_id": None,
        "created_at_ms": summary["created_at_ms"],
        "updated_at_ms": summary["created_at_ms"],
    }


async def test_outline_cast_and_concept_are_checked_before_any_call(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    no_outline = await create_resource(rpc, concept="Heading only:")
    error = await rpc.error("story_draft.start", {"resource_id": no_outline})
    assert error == {
        "code": -32602,
        "message": "invalid story draft: planned_story did not contain any outline sections",
    }
    blank = (
        await rpc.result(
            "story_resources.create",
            {"story_concept": "   ", "character_ids": ["merchant"], "planned_story": "A plan."},
        )
    )["resource_id"]
    error = await rpc.error("story_draft.start", {"resource_id": blank})
    assert error == {"code": -32602, "message": "story_concept cannot be empty"}
    assert await rpc.error("story_draft.start", {"resource_id": "resource-9"}) == {
        "code": 40404,
        "message": "story resources 'resource-9' not found",
    }
    assert await llm_stub.control.requests() == []


async def test_binding_defaults_and_errors(rpc: RpcClient, llm_stub: RunningStub) -> None:
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    error = await rpc.error("story_draft.start", {"resource_id": resource_id})
    assert error == {"code": 40909, "message": "llm engine config is not initialized"}
    await bind_engine_to_stub(rpc, llm_stub)
    error = await rpc.error("story_draft.start", {"resource_id": resource_id, "preset_id": "nope"})
    assert error == {"code": 40404, "message": "preset 'nope' not found"}
    error = await rpc.error("story_draft.start", {"resource_id": resource_id, "api_group_id": "nope"})
    assert error == {"code": 40404, "message": "api group 'nope' not found"}
    draft = await rpc.result("story_draft.start", {"resource_id": resource_id, "api_group_id": f" {API_GROUP_ID} "})
    assert (draft["api_group_id"], draft["preset_id"]) == (API_GROUP_ID, PRESET_ID)
    assert await rpc.error("api_group.delete", {"api_group_id": API_GROUP_ID}) == {
        "code": 40909,
        "message": f"api group '{API_GROUP_ID}' is still referenced by draft or session",
    }


async def test_common_variables_are_checked_against_the_generated_schemas(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    good = [
        {"scope": "world", "key": "gate_open", "display_name": "Gate"},
        {"scope": "player", "key": "coins", "display_name": "Coins"},
        {"scope": "character", "key": "trust", "display_name": "Trust", "character_id": "merchant"},
    ]
    await llm_stub.control.script(answer(draft_init_bundle()), answer(draft_init_bundle()))
    draft = await rpc.result("story_draft.start", {"resource_id": resource_id, "common_variables": good})
    assert draft["common_variables"] == [{**item, "pinned": True} for item in good]
    bad = [{"scope": "world", "key": "tide", "display_name": "Tide"}]
    error = await rpc.error("story_draft.start", {"resource_id": resource_id, "common_variables": bad})
    assert error == {
        "code": -32602,
        "message": "invalid common variable: world variable 'tide' does not exist in the bound schema",
    }
    assert [item["draft_id"] for item in (await rpc.result("story_draft.list"))["drafts"]] == ["draft-0"]
    generated = [item for item in (await rpc.result("schema.list"))["schemas"] if "generated" in item["tags"]]
    assert len(generated) == 2


async def test_a_generated_schema_field_with_a_bad_default_is_saved_without_it(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    bad_world = {
        "fields": {"mood": {"value_type": "string", "default": "calm", "description": None, "enum_values": ["tense"]}}
    }
    await llm_stub.control.script(answer(draft_init_bundle(world_state_schema=bad_world)))
    draft = await rpc.result("story_draft.start", {"resource_id": resource_id})
    world = await rpc.result("schema.get", {"schema_id": draft["world_schema_id"]})
    assert world["fields"] == {
        "mood": {"value_type": "string", "default": None, "description": None, "enum_values": ["tense"]}
    }
    assert len(architect_calls(await llm_stub.control.requests())) == 1  # mended, no repair call


async def test_a_transition_to_a_node_never_written_is_dropped_without_a_repair_call(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    dangling = draft_init_bundle([node("dock", "lighthouse", "market"), node("market")])
    await llm_stub.control.script(answer(dangling))
    draft = await rpc.result("story_draft.start", {"resource_id": resource_id})
    [dock, _] = draft["partial_graph"]["nodes"]
    assert [t["to"] for t in dock["transitions"]] == ["market"]
    assert len(architect_calls(await llm_stub.control.requests())) == 1


async def test_the_architect_repair_path_fixes_a_bad_bundle(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    untold = draft_init_bundle(introduction="   ")
    await llm_stub.control.script({"text": "```json\n" + json.dumps(untold) + "\n```"}, answer(draft_init_bundle()))
    draft = await rpc.result("story_draft.start", {"resource_id": resource_id})
    assert [item["id"] for item in draft["partial_graph"]["nodes"]] == ["dock", "market"]
    first, repair = architect_calls(await llm_stub.control.requests())
    repair_user = user_text(repair)
    assert repair_user.startswith("TARGET:\ndraft_init\n\nPARSER_ERROR:\ndraft_init output is missing introduction")
    assert "EXPECTED_SHAPE:" in repair_user and '"introduction": "   "' in repair_user.split("RAW_OUTPUT:")[1]
    assert repair["body"]["messages"][0]["content"].startswith("You repair story-graph data")
    # a repair at the first call's temperature would mostly repeat its mistake
    assert (first["body"]["temperature"], repair["body"]["temperature"]) == (0.5, 1.0)


async def test_a_continuation_that_reuses_an_id_gets_a_fresh_one(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    reused = answer(draft_continue_bundle([node("market", "dock")], [patch("market", "market")]))
    await llm_stub.control.script(answer(draft_init_bundle()), reused)
    await rpc.result("story_draft.start", {"resource_id": resource_id})
    draft = await rpc.result("story_draft.continue", {"draft_id": "draft-0"})
    nodes = {item["id"]: item for item in draft["partial_graph"]["nodes"]}
    assert list(nodes) == ["dock", "market", "market_2"]
    # the patch names the node that had the id: the existing market links to itself
    assert [t["to"] for t in nodes["market"]["transitions"]] == ["market"]
    assert len(architect_calls(await llm_stub.control.requests())) == 2


async def test_a_continuation_without_nodes_is_repaired_then_refused(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(2))
    empty = answer(draft_continue_bundle([]))
    await llm_stub.control.script(answer(draft_init_bundle()), empty, empty)
    before = await rpc.result("story_draft.start", {"resource_id": resource_id})
    error = await rpc.error("story_draft.continue", {"draft_id": "draft-0"})
    assert error == {
        "code": 50002,
        "message": "structured output parse error: draft_continue output must contain at least one node",
    }
    assert await rpc.result("story_draft.get", {"draft_id": "draft-0"}) == before
    repair = architect_calls(await llm_stub.control.requests())[2]
    assert user_text(repair).startswith(
        "TARGET:\ndraft_continue\n\nPARSER_ERROR:\ndraft_continue output must contain at least one node"
    )


async def test_llm_calls_of_a_draft_are_tagged_with_its_id(
    nursery: trio.Nursery, tmp_path: Path, llm_stub: RunningStub
) -> None:
    server = await start_server(nursery, tmp_path / "data")
    try:
        await bind_engine_to_stub(server.client, llm_stub)
        resource_id = await create_resource(server.client, planned_story=plan_of(3))
        await server.client.result("story_draft.start", {"resource_id": resource_id})
        await server.client.result("story_draft.continue", {"draft_id": "draft-0"})
        await server.client.result("story_draft.continue", {"draft_id": "draft-0"})
    finally:
        await server.client.http.aclose()
        await server.stop()
    connection = duckdb.connect(str(tmp_path / "data" / DATABASE_FILE_NAME), read_only=True)
    try:
        rows = connection.execute("SELECT agent, draft_id, outcome FROM llm_calls ORDER BY call_id").fetchall()
    finally:
        connection.close()
    assert rows == [("architect", None, "ok"), ("architect", "draft-0", "ok"), ("architect", "draft-0", "ok")]
