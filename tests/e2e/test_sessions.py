"""`story.start_session` and the unary `session.*` methods over HTTP against a real server."""

from __future__ import annotations

from typing import Any

import trio

from tests.support.fixtures import web_client_preset
from tests.support.generation import API_GROUP_ID, API_ID, PRESET_ID
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, RunningServer, start_server
from tests.support.session_world import PROFILE_ID, create_story, playable_session


async def detail(rpc: RpcClient, session_id: str) -> dict[str, Any]:
    return await rpc.result("session.get", session_id=session_id)


async def test_start_session_seeds_the_state_and_answers_with_the_new_id(rpc: RpcClient, llm_stub: RunningStub) -> None:
    story_id = await create_story(rpc, llm_stub)
    envelope = await rpc.call(
        "story.start_session",
        {"story_id": story_id, "player_profile_id": PROFILE_ID, "api_group_id": API_GROUP_ID, "preset_id": PRESET_ID},
    )
    assert envelope["session_id"] == "session-0"
    result = envelope["result"]
    assert "session_id" not in result
    created = result["created_at_ms"]
    assert result == {
        "type": "session_started",
        "story_id": story_id,
        "display_name": "Flooded Harbor",
        "snapshot": {
            "story_id": story_id,
            "player_description": "A cautious courier.",
            "turn_index": 0,
            "world_state": {
                "current_node": "dock",
                "active_characters": ["merchant"],
                "custom": {"gate_open": False, "tide": "high"},  # defaults, then on_enter
                "player_state": {"coins": 5},  # `title` has no default
                "character_state": {"merchant": {"trust": 0}, "guard": {"trust": 0}},
                "actor_shared_history": [],
                "actor_private_memory": {},
            },
        },
        "player_profile_id": PROFILE_ID,
        "player_schema_id": "schema-player",
        "api_group_id": API_GROUP_ID,
        "preset_id": PRESET_ID,
        "history": [],
        "created_at_ms": created,
        "updated_at_ms": created,
        "character_summaries": result["character_summaries"],
        "config": {"api_group_id": API_GROUP_ID, "preset_id": PRESET_ID},
    }
    assert [c["character_id"] for c in result["character_summaries"]] == ["merchant", "guard"]
    assert set(result["character_summaries"][0]) == {
        "character_id",
        "name",
        "personality",
        "style",
        "tags",
        "folder",
        "cover_file_name",
        "cover_mime_type",
    }
    second = await rpc.call("story.start_session", {"story_id": story_id, "display_name": "Second run"})
    assert second["session_id"] == "session-1"
    assert second["result"]["display_name"] == "Second run" and second["result"]["player_profile_id"] is None
    assert second["result"]["snapshot"]["player_description"] == ""
    assert second["result"]["config"] == {"api_group_id": API_GROUP_ID, "preset_id": PRESET_ID}  # the global pair


async def test_start_session_refusals(rpc: RpcClient, llm_stub: RunningStub) -> None:
    story_id = await create_story(rpc, llm_stub)
    cases = [
        ({"story_id": "story-9"}, 40404, "story 'story-9' not found"),
        ({"story_id": story_id, "player_profile_id": "ghost"}, 40404, "player profile 'ghost' not found"),
        ({"story_id": story_id, "api_group_id": "ghost"}, 40404, "api group 'ghost' not found"),
        ({"story_id": story_id, "preset_id": "ghost"}, 40404, "preset 'ghost' not found"),
    ]
    for params, code, message in cases:
        assert await rpc.error("story.start_session", params) == {"code": code, "message": message}
    await rpc.result("preset.delete", {"preset_id": PRESET_ID})
    assert await rpc.error("story.start_session", {"story_id": story_id, "api_group_id": API_GROUP_ID}) == {
        "code": 40909,
        "message": "llm engine config is not initialized",
    }
    assert (await rpc.result("session.list"))["sessions"] == []


async def test_a_graph_that_no_longer_fits_the_cast_cannot_start(rpc: RpcClient, llm_stub: RunningStub) -> None:
    story_id = await create_story(rpc, llm_stub)
    story = await rpc.result("story.get", {"story_id": story_id})
    await rpc.result("story_resources.update", {"resource_id": story["resource_id"], "character_ids": ["merchant"]})
    error = await rpc.error("story.start_session", {"story_id": story_id})
    assert error == {
        "code": -32602,
        "message": "invalid story graph: node 'market' references character 'guard' that is not part of the story cast",
    }


async def test_session_bound_methods_need_the_envelope_session_id(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await playable_session(rpc, llm_stub)
    for method in ("session.get", "session.delete", "session.get_variables", "session_message.list"):
        envelope = await rpc.call(method, expect_status=200)
        assert envelope == {
            "jsonrpc": "2.0",
            "id": envelope["id"],
            "error": {"code": -32602, "message": "request requires session_id"},
        }


async def test_unknown_sessions_are_not_found_and_the_id_is_echoed(rpc: RpcClient) -> None:
    for method in ("session.get", "session.update", "session.get_config", "session.set_player_profile"):
        params = {"display_name": "x"} if method == "session.update" else {}
        envelope = await rpc.call(method, params, session_id="session-7")
        assert envelope["session_id"] == "session-7"
        assert envelope["error"] == {"code": 40404, "message": "session 'session-7' not found"}


async def test_get_update_and_list(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    envelope = await rpc.call("session.get", session_id=session_id)
    assert envelope["session_id"] == session_id
    before = envelope["result"]
    assert before["history"] == [] and before["config"] == {"api_group_id": API_GROUP_ID, "preset_id": PRESET_ID}
    renamed = await rpc.result("session.update", {"display_name": "Night at the harbor"}, session_id=session_id)
    assert renamed["display_name"] == "Night at the harbor"
    assert renamed["updated_at_ms"] >= before["updated_at_ms"] and renamed["snapshot"] == before["snapshot"]
    listed = await rpc.call("session.list")
    assert "session_id" not in listed
    assert listed["result"]["sessions"] == [
        {
            "session_id": session_id,
            "story_id": before["story_id"],
            "display_name": "Night at the harbor",
            "player_profile_id": PROFILE_ID,
            "player_schema_id": "schema-player",
            "api_group_id": API_GROUP_ID,
            "preset_id": PRESET_ID,
            "turn_index": 0,
            "created_at_ms": before["created_at_ms"],
            "updated_at_ms": renamed["updated_at_ms"],
        }
    ]


async def test_player_profile_switches_copy_the_description(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await rpc.result(
        "player_profile.create",
        {"player_profile_id": "smuggler", "display_name": "Vex", "description": "A bold smuggler."},
    )
    switched = await rpc.result("session.set_player_profile", {"player_profile_id": "smuggler"}, session_id=session_id)
    assert switched["player_profile_id"] == "smuggler"
    assert switched["snapshot"]["player_description"] == "A bold smuggler."
    assert switched["snapshot"]["world_state"]["player_state"] == {"coins": 5}
    error = await rpc.error("session.set_player_profile", {"player_profile_id": "ghost"}, session_id=session_id)
    assert error == {"code": 40404, "message": "player profile 'ghost' not found"}
    assert (await detail(rpc, session_id))["player_profile_id"] == "smuggler"
    cleared = await rpc.result("session.set_player_profile", {}, session_id=session_id)
    assert cleared["player_profile_id"] is None and cleared["snapshot"]["player_description"] == ""

    await rpc.result("session.set_player_profile", {"player_profile_id": "smuggler"}, session_id=session_id)
    described = await rpc.result(
        "session.update_player_description", {"player_description": "Tired."}, session_id=session_id
    )
    assert described["type"] == "player_description_updated"
    assert described["snapshot"]["player_description"] == "Tired."
    assert (await detail(rpc, session_id))["player_profile_id"] is None


async def test_variables_take_only_the_six_variable_ops(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    variables = await rpc.result("session.get_variables", session_id=session_id)
    assert variables == {
        "type": "session_variables",
        "custom": {"gate_open": False, "tide": "high"},
        "player_state": {"coins": 5},
        "character_state": {"merchant": {"trust": 0}, "guard": {"trust": 0}},
    }
    update = {
        "ops": [
            {"type": "SetState", "key": "gate_open", "value": True},
            {"type": "RemoveState", "key": "tide"},
            {"type": "SetPlayerState", "key": "coins", "value": "not an int"},  # values are not checked
            {"type": "RemovePlayerState", "key": "missing"},
            {"type": "SetCharacterState", "character": "ferryman", "key": "mood", "value": {"x": [1]}},
            {"type": "RemoveCharacterState", "character": "guard", "key": "trust"},
        ]
    }
    changed = await rpc.result("session.update_variables", {"update": update}, session_id=session_id)
    assert changed == {
        "type": "session_variables",
        "custom": {"gate_open": True},
        "player_state": {"coins": "not an int"},
        "character_state": {"merchant": {"trust": 0}, "ferryman": {"mood": {"x": [1]}}},
    }
    assert (await detail(rpc, session_id))["snapshot"]["world_state"]["current_node"] == "dock"


async def test_other_ops_are_refused_before_the_session_is_looked_up(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    before = await detail(rpc, session_id)
    for op in ({"type": "SetCurrentNode", "node_id": "market"}, {"type": "AddActiveCharacter", "character": "guard"}):
        update = {"ops": [{"type": "SetState", "key": "a", "value": 1}, op]}
        for target in (session_id, "session-404"):
            error = await rpc.error("session.update_variables", {"update": update}, session_id=target)
            assert error == {
                "code": -32602,
                "message": f"invalid session variable update: op '{op['type']}' is not allowed",
            }
    assert await detail(rpc, session_id) == before
    bad_shape = await rpc.call("session.update_variables", {"update": {}}, session_id=session_id, expect_status=400)
    assert bad_shape["error"] == {"code": -32602, "message": "params.update.ops: missing required field"}


async def test_config_keeps_omitted_ids_and_checks_given_ones(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    assert await rpc.result("session.get_config", session_id=session_id) == {
        "type": "session_config",
        "api_group_id": API_GROUP_ID,
        "preset_id": PRESET_ID,
    }
    await rpc.result("preset.create", web_client_preset("preset-other"))
    changed = await rpc.result("session.update_config", {"preset_id": " preset-other "}, session_id=session_id)
    assert changed == {"type": "session_config", "api_group_id": API_GROUP_ID, "preset_id": "preset-other"}
    for params, message in (
        ({"api_group_id": "ghost"}, "api group 'ghost' not found"),
        ({"preset_id": "ghost"}, "preset 'ghost' not found"),
    ):
        assert await rpc.error("session.update_config", params, session_id=session_id) == {
            "code": 40404,
            "message": message,
        }
    assert await rpc.error("session.update_config", {"api_group_id": " "}, session_id=session_id) == {
        "code": -32602,
        "message": "api_group_id must not be empty",
    }
    stored = await detail(rpc, session_id)
    assert stored["config"] == {"api_group_id": API_GROUP_ID, "preset_id": "preset-other"}
    assert stored["preset_id"] == "preset-other"


async def test_runtime_snapshot(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    envelope = await rpc.call("session.get_runtime_snapshot", session_id=session_id)
    assert envelope["session_id"] == session_id
    assert envelope["result"] == {"type": "runtime_snapshot", "snapshot": (await detail(rpc, session_id))["snapshot"]}


async def test_reply_limit_is_checked_before_anything_else(rpc: RpcClient) -> None:
    for limit in (1, 6, 7):
        envelope = await rpc.call("session.suggest_replies", {"limit": limit}, session_id="session-404")
        assert envelope["error"] == {
            "code": -32602,
            "message": f"suggested reply limit must be between 2 and 5, got {limit}",
        }
    error = await rpc.error("session.suggest_replies", {"limit": 2}, session_id="session-404")
    assert error == {"code": 40404, "message": "session 'session-404' not found"}


async def test_delete_cascades_and_reports_missing_sessions_after(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    message = {"kind": "narration", "speaker_id": "narrator", "speaker_name": "Narrator", "text": "Rain."}
    created = await rpc.result("session_message.create", message, session_id=session_id)
    envelope = await rpc.call("session.delete", session_id=session_id)
    assert envelope == {
        "jsonrpc": "2.0",
        "id": envelope["id"],
        "result": {"type": "session_deleted", "session_id": session_id},
    }
    assert await rpc.error("session_message.get", {"message_id": created["message_id"]}, session_id=session_id) == {
        "code": 40404,
        "message": f"session message '{created['message_id']}' not found",
    }
    assert await rpc.error("session.delete", session_id=session_id) == {
        "code": 40404,
        "message": f"session '{session_id}' not found",
    }
    assert (await rpc.result("session.list"))["sessions"] == []


async def test_records_used_by_a_session_cannot_be_deleted(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    story_id = (await detail(rpc, session_id))["story_id"]
    refusals = [
        ("story.delete", {"story_id": story_id}, f"story '{story_id}' still has active sessions"),
        ("preset.delete", {"preset_id": PRESET_ID}, f"preset '{PRESET_ID}' is still referenced by draft or session"),
        (
            "api_group.delete",
            {"api_group_id": API_GROUP_ID},
            f"api group '{API_GROUP_ID}' is still referenced by draft or session",
        ),
        (
            "player_profile.delete",
            {"player_profile_id": PROFILE_ID},
            f"player profile '{PROFILE_ID}' is still referenced by a session",
        ),
        ("schema.delete", {"schema_id": "schema-player"}, "schema 'schema-player' is still referenced"),
    ]
    for method, params, message in refusals:
        assert await rpc.error(method, params) == {"code": 40909, "message": message}
    await rpc.result("session.delete", session_id=session_id)
    for method, params in [
        ("story.delete", {"story_id": story_id}),
        ("preset.delete", {"preset_id": PRESET_ID}),
        ("api_group.delete", {"api_group_id": API_GROUP_ID}),
        ("player_profile.delete", {"player_profile_id": PROFILE_ID}),
        ("api.delete", {"api_id": API_ID}),
    ]:
        await rpc.result(method, params)


async def test_concurrent_changes_of_one_session_lose_nothing(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)

    async def set_variable(index: int) -> None:
        update = {"ops": [{"type": "SetState", "key": f"k{index}", "value": index}]}
        await rpc.result("session.update_variables", {"update": update}, session_id=session_id)

    async def add_message(index: int) -> None:
        await rpc.result(
            "session_message.create",
            {"kind": "action", "speaker_id": "player", "speaker_name": "Player", "text": f"step {index}"},
            session_id=session_id,
        )

    async with trio.open_nursery() as nursery:
        for index in range(15):
            nursery.start_soon(set_variable, index)
            nursery.start_soon(add_message, index)
    custom = (await rpc.result("session.get_variables", session_id=session_id))["custom"]
    assert {f"k{index}" for index in range(15)} <= custom.keys()
    messages = (await rpc.result("session_message.list", session_id=session_id))["messages"]
    assert [message["sequence"] for message in messages] == list(range(15))
    assert len({message["message_id"] for message in messages}) == 15


async def test_sessions_survive_a_restart(server: RunningServer, llm_stub: RunningStub, nursery: trio.Nursery) -> None:
    rpc = server.client
    session_id = await playable_session(rpc, llm_stub)
    await rpc.result("session.update", {"display_name": "Kept"}, session_id=session_id)
    before = await detail(rpc, session_id)
    await server.stop()
    again = await start_server(nursery, server.data_dir)
    try:
        assert await again.client.result("session.get", session_id=session_id) == before
    finally:
        await again.client.http.aclose()
        await again.stop()
