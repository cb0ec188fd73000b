"""`story.*` over HTTP (PROTOCOL §6.13): stored stories, the plan, and one-shot generation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runtime.errors import Conflict
from runtime.model.stories import StoryIdParams
from runtime.services import Services
from runtime.services.stories import delete_story
from runtime.store import open_store
from tests.support.fixtures import create_schema
from tests.support.generation import answer, bind_engine_to_stub, create_resource, draft_init_bundle, node, plan_of
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient

STORY_KEYS = {
    "type",
    "story_id",
    "resource_id",
    "display_name",
    "graph",
    "world_schema_id",
    "player_schema_id",
    "introduction",
    "common_variables",
    "graph_warnings",
}


async def story_inputs(rpc: RpcClient) -> str:
    """A resource over merchant and guard, a world schema (`gate_open`) and a player schema (`coins`)."""
    resource_id = await create_resource(rpc)
    await create_schema(rpc, "world", {"gate_open": {"value_type": "bool", "default": False, "description": None}})
    await create_schema(rpc, "player", {"coins": {"value_type": "int", "default": 0, "description": None}})
    return resource_id


def graph(*nodes: dict[str, Any], start: str = "dock") -> dict[str, Any]:
    return {"start_node": start, "nodes": list(nodes) or [node("dock", "market"), node("market")]}


def create_params(resource_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "resource_id": resource_id,
        "graph": graph(),
        "world_schema_id": "world",
        "player_schema_id": "player",
        "introduction": "You arrive.",
        **changes,
    }


async def test_create_get_list_update_delete(rpc: RpcClient) -> None:
    resource_id = await story_inputs(rpc)
    created = await rpc.result("story.create", create_params(resource_id))
    assert set(created) == STORY_KEYS and created["type"] == "story_generated"
    assert (created["story_id"], created["display_name"]) == ("story-0", "A flooded harbor town")
    assert created["common_variables"] == [] and created["graph_warnings"] == []
    assert created["graph"]["nodes"][0]["on_enter_updates"] == []
    assert await rpc.result("story.get", {"story_id": "story-0"}) == {**created, "type": "story"}

    named = await rpc.result("story.create", create_params(resource_id, display_name=" Second "))
    assert (named["story_id"], named["display_name"]) == ("story-1", "Second")
    listed = await rpc.result("story.list")
    assert [item["story_id"] for item in listed["stories"]] == ["story-0", "story-1"]
    assert set(listed["stories"][0]) == STORY_KEYS - {"type", "graph", "graph_warnings"}

    variables = [{"scope": "world", "key": "gate_open", "display_name": "Gate", "pinned": False}]
    updated = await rpc.result(
        "story.update", {"story_id": "story-0", "display_name": "Renamed", "common_variables": variables}
    )
    assert (updated["type"], updated["display_name"], updated["common_variables"]) == ("story", "Renamed", variables)
    kept = await rpc.result("story.update", {"story_id": "story-0"})
    assert kept["display_name"] == "Renamed" and kept["common_variables"] == variables

    new_graph = graph(node("dock"))
    regraphed = await rpc.result("story.update_graph", {"story_id": "story-0", "graph": new_graph})
    assert regraphed["graph"]["nodes"] == [{**node("dock"), "on_enter_updates": []}]

    assert await rpc.result("story.delete", {"story_id": "story-1"}) == {"type": "story_deleted", "story_id": "story-1"}
    assert await rpc.error("story.get", {"story_id": "story-1"}) == {
        "code": 40404,
        "message": "story 'story-1' not found",
    }
    assert await rpc.error("story.delete", {"story_id": "story-1"}) == {
        "code": 40404,
        "message": "story 'story-1' not found",
    }
    third = await rpc.result("story.create", create_params(resource_id))
    assert third["story_id"] == "story-2"  # never reused (R1)
    assert (await rpc.result("schema.get", {"schema_id": "world"}))["schema_id"] == "world"  # schemas stay


async def test_create_checks_references_in_order(rpc: RpcClient) -> None:
    resource_id = await story_inputs(rpc)
    assert await rpc.error("story.create", create_params("resource-9", world_schema_id="nope")) == {
        "code": 40404,
        "message": "story resources 'resource-9' not found",
    }
    assert await rpc.error(
        "story.create", create_params(resource_id, world_schema_id="nope", player_schema_id="nada")
    ) == {"code": 40404, "message": "schema 'nope' not found"}
    assert await rpc.error("story.create", create_params(resource_id, player_schema_id="nada")) == {
        "code": 40404,
        "message": "schema 'nada' not found",
    }
    assert (await rpc.result("story.list"))["stories"] == []


INVALID_GRAPHS = [
    (graph(node("dock"), node("dock")), "story graph contains duplicate node id 'dock'"),
    (graph(node("dock", "pier")), "transition from 'dock' points to missing node 'pier'"),
    (graph(node("dock"), start="pier"), "start node 'pier' does not exist"),
    ({"start_node": "dock", "nodes": []}, "start node 'dock' does not exist"),
    (
        graph(node("dock", characters=["merchant", "ghost"])),
        "node 'dock' references character 'ghost' that is not part of the story cast",
    ),
    (
        graph(
            node(
                "dock",
                on_enter_updates=[
                    {"type": "SetState", "key": "k", "value": 1},
                    {"type": "SetCurrentNode", "node_id": "dock"},
                ],
            )
        ),
        "node 'dock' on_enter_updates must not contain SetCurrentNode",
    ),
]


@pytest.mark.parametrize(("bad_graph", "message"), INVALID_GRAPHS)
async def test_create_and_update_graph_reject_invalid_graphs(
    rpc: RpcClient, bad_graph: dict[str, Any], message: str
) -> None:
    resource_id = await story_inputs(rpc)
    error = await rpc.error("story.create", create_params(resource_id, graph=bad_graph), expect_status=200)
    assert error == {"code": -32602, "message": f"invalid story graph: {message}"}
    assert (await rpc.result("story.list"))["stories"] == []
    story = await rpc.result("story.create", create_params(resource_id))
    error = await rpc.error("story.update_graph", {"story_id": story["story_id"], "graph": bad_graph})
    assert error == {"code": -32602, "message": f"invalid story graph: {message}"}
    assert await rpc.result("story.get", {"story_id": story["story_id"]}) == {**story, "type": "story"}


async def test_graph_objects_ignore_unknown_keys(rpc: RpcClient) -> None:
    resource_id = await story_inputs(rpc)
    extra = graph(node("dock", "market", mood="grim"), node("market"))
    extra["layout"] = {"zoom": 2}
    story = await rpc.result("story.create", create_params(resource_id, graph=extra))
    assert "mood" not in story["graph"]["nodes"][0] and "layout" not in story["graph"]


async def test_warnings_report_unreachable_dead_end_and_unbound_keys(rpc: RpcClient) -> None:
    resource_id = await story_inputs(rpc)
    dock = node("dock")
    dock["transitions"] = [
        {"to": "loop", "condition": {"scope": "global", "key": "gate_open", "op": "eq", "value": True}},
        {"to": "end", "condition": {"scope": "player", "key": "luck", "op": "gt", "value": 1}},
        {
            "to": "end",
            "condition": {"scope": "character", "character": "merchant", "key": "trust", "op": "gte", "value": 2},
        },
        {
            "to": "end",
            "condition": {"scope": "character", "character": "merchant", "key": "fear", "op": "gte", "value": 2},
        },
    ]
    story = await rpc.result(
        "story.create", create_params(resource_id, graph=graph(dock, node("loop", "loop"), node("end"), node("island")))
    )
    assert story["graph_warnings"] == [
        "node 'island' is unreachable from start node 'dock'",
        "node 'loop' cannot reach any terminal node",
        "transition from 'dock' to 'end' uses player key 'luck' that is not in the bound schema",
        "transition from 'dock' to 'end' uses character key 'fear' that is not in the bound schema",
    ]
    assert (await rpc.result("story.get", {"story_id": story["story_id"]}))["graph_warnings"] == story["graph_warnings"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ([{"scope": "world", "key": " ", "display_name": "X"}], "key must not be empty"),
        (
            [{"scope": "world", "key": "gate_open", "display_name": ""}],
            "display_name must not be empty for key 'gate_open'",
        ),
        (
            [{"scope": "world", "key": "tide", "display_name": "Tide"}],
            "world variable 'tide' does not exist in the bound schema",
        ),
        (
            [{"scope": "character", "key": "trust", "display_name": "Trust", "character_id": "stranger"}],
            "character variable 'stranger.trust' references a character not used by this story",
        ),
        ([{"scope": "player", "key": "coins", "display_name": "Coins"}] * 2, "duplicate player variable 'coins'"),
    ],
)
async def test_common_variables_are_validated_on_create_and_update(
    rpc: RpcClient, variables: list[dict[str, Any]], message: str
) -> None:
    resource_id = await story_inputs(rpc)
    error = await rpc.error("story.create", create_params(resource_id, common_variables=variables))
    assert error == {"code": -32602, "message": f"invalid common variable: {message}"}
    story = await rpc.result("story.create", create_params(resource_id))
    error = await rpc.error("story.update", {"story_id": story["story_id"], "common_variables": variables})
    assert error == {"code": -32602, "message": f"invalid common variable: {message}"}
    assert (await rpc.result("story.get", {"story_id": story["story_id"]}))["common_variables"] == []


async def test_character_variables_use_the_characters_own_schema(rpc: RpcClient) -> None:
    resource_id = await story_inputs(rpc)
    variables = [{"scope": "character", "key": "trust", "display_name": "Trust", "character_id": "guard"}]
    story = await rpc.result("story.create", create_params(resource_id, common_variables=variables))
    assert story["common_variables"] == [{**variables[0], "pinned": True}]


async def test_story_in_use_by_a_session_cannot_be_deleted(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        services = Services(store=store)

        def seed(cursor: Any) -> None:
            cursor.execute(
                "INSERT INTO sessions (session_id, story_id, player_schema_id, api_group_id, preset_id, turn_index,"
                " doc) VALUES ('session-0', 'story-7', 'player', 'group', 'preset', 0, '{}')"
            )

        await store.write(seed)
        with pytest.raises(Conflict, match=r"^story 'story-7' still has active sessions$"):
            await delete_story(services, StoryIdParams("story-7"))


# -- the Planner and one-shot generation --------------------------------------------------------


async def test_generate_plan_returns_the_planner_text_and_saves_nothing(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, concept="A drowned lighthouse")
    await llm_stub.control.script({"text": "First part.\n\nSecond part."})
    planned = await rpc.result("story.generate_plan", {"resource_id": resource_id})
    assert planned == {
        "type": "story_planned",
        "resource_id": resource_id,
        "story_script": "First part.\n\nSecond part.",
    }
    assert (await rpc.result("story_resources.get", {"resource_id": resource_id}))["planned_story"] is None
    [call] = await llm_stub.control.requests()
    system, user = (message["content"] for message in call["body"]["messages"])
    assert "Output contract for the Planner:" in system and "response_format" not in call["body"]
    assert "A drowned lighthouse" in user
    assert '- merchant | Merchant | personality=curious | style=plain | state_schema=trust:"int" default=0' in user
    assert (call["body"]["temperature"], call["body"]["max_tokens"]) == (0.5, 1024)


async def test_generate_plan_checks_the_resource_and_the_binding(rpc: RpcClient, llm_stub: RunningStub) -> None:
    resource_id = await create_resource(rpc)
    assert await rpc.error("story.generate_plan", {"resource_id": resource_id}) == {
        "code": 40909,
        "message": "llm engine config is not initialized",
    }
    await bind_engine_to_stub(rpc, llm_stub)
    assert await rpc.error("story.generate_plan", {"resource_id": "resource-5"}) == {
        "code": 40404,
        "message": "story resources 'resource-5' not found",
    }
    assert await rpc.error("story.generate_plan", {"resource_id": resource_id, "preset_id": "  "}) == {
        "code": -32602,
        "message": "preset_id must not be empty",
    }
    blank = await rpc.result("story_resources.create", {"story_concept": " ", "character_ids": ["guard"]})
    assert await rpc.error("story.generate_plan", {"resource_id": blank["resource_id"]}) == {
        "code": -32602,
        "message": "story_concept cannot be empty",
    }
    assert await llm_stub.control.requests() == []


@pytest.mark.parametrize("provider", ["open_ai", "anthropic"])
async def test_generate_builds_a_whole_story_and_removes_its_draft(
    rpc: RpcClient, llm_stub: RunningStub, provider: str
) -> None:
    await bind_engine_to_stub(rpc, llm_stub, provider=provider)
    resource_id = await create_resource(rpc, planned_story=plan_of(3))
    variables = [{"scope": "world", "key": "clue_found", "display_name": "Clue"}]
    story = await rpc.result(
        "story.generate", {"resource_id": resource_id, "display_name": "Storm", "common_variables": variables}
    )
    assert set(story) == STORY_KEYS and story["type"] == "story_generated"
    assert (story["story_id"], story["display_name"]) == ("story-0", "Storm")
    assert (story["world_schema_id"], story["player_schema_id"]) == ("schema-generated-0", "schema-generated-1")
    assert story["common_variables"] == [{**variables[0], "pinned": True}]
    assert len(story["graph"]["nodes"]) >= 3
    assert (await rpc.result("story_draft.list"))["drafts"] == []
    world = await rpc.result("schema.get", {"schema_id": "schema-generated-0"})
    assert world["tags"] == ["world", "generated", "draft:draft-0"]
    assert len(await llm_stub.control.requests()) == 3  # start plus two continuations


async def test_generate_that_fails_midway_leaves_nothing_behind(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    resource_id = await create_resource(rpc, planned_story=plan_of(3))
    await llm_stub.control.script(answer(draft_init_bundle()), {}, {"status": 401})
    error = await rpc.error("story.generate", {"resource_id": resource_id})
    assert error == {"code": 50002, "message": "authentication failed"}
    assert (await rpc.result("story_draft.list"))["drafts"] == []
    assert (await rpc.result("story.list"))["stories"] == []
    assert all("generated" not in schema["tags"] for schema in (await rpc.result("schema.list"))["schemas"])
    assert await rpc.result("story_resources.delete", {"resource_id": resource_id})
