"""`session_message.*` and `session_character.*` over HTTP against a real server."""

from __future__ import annotations

from typing import Any

import duckdb

from runtime.store import DATABASE_FILE_NAME
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, RunningServer
from tests.support.session_world import actor_beat, plan, playable_session, run_turn, start_session, turn_script

NOTE = {"kind": "narration", "speaker_id": "narrator", "speaker_name": "Narrator", "text": "Rain falls."}


async def session_with_characters(rpc: RpcClient, stub: RunningStub) -> str:
    """A session whose first turn created `ferryman` and `pilot` (both in the scene)."""
    session_id = await playable_session(rpc, stub)
    actions = [
        {
            "type": "create_and_enter",
            "session_character_id": character_id,
            "display_name": name,
            "personality": "quiet",
            "style": "terse",
            "system_prompt": f"You are {name}.",
        }
        for character_id, name in (("ferryman", "Ferryman"), ("pilot", "Pilot"))
    ]
    await stub.control.script(*turn_script(director=plan(role_actions=actions), beats=[]))
    reply = await run_turn(rpc.http, session_id, "Call for help.")
    assert reply.last_frame["type"] == "completed", reply.last_frame
    return session_id


async def snapshot(rpc: RpcClient, session_id: str) -> dict[str, Any]:
    return (await rpc.result("session.get_runtime_snapshot", session_id=session_id))["snapshot"]


async def test_messages_are_created_with_the_next_sequence_and_the_current_turn(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    session_id = await playable_session(rpc, llm_stub)
    before = await rpc.result("session.get", session_id=session_id)
    envelope = await rpc.call("session_message.create", NOTE, session_id=session_id)
    assert envelope["session_id"] == session_id
    first = envelope["result"]
    stamp = first["created_at_ms"]
    assert first == {
        "type": "session_message",
        "message_id": "session-message-0",
        "kind": "narration",
        "sequence": 0,
        "turn_index": 0,
        "recorded_at_ms": stamp,
        "created_at_ms": stamp,
        "updated_at_ms": stamp,
        "speaker_id": "narrator",
        "speaker_name": "Narrator",
        "text": "Rain falls.",
    }
    second = await rpc.result("session_message.create", {**NOTE, "kind": "dialogue"}, session_id=session_id)
    assert (second["message_id"], second["sequence"]) == ("session-message-1", 1)
    after = await rpc.result("session.get", session_id=session_id)
    assert after["updated_at_ms"] >= before["updated_at_ms"] and after["snapshot"] == before["snapshot"]
    assert [m["message_id"] for m in after["history"]] == ["session-message-0", "session-message-1"]


async def test_messages_after_a_turn_continue_its_sequence(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script())
    await run_turn(rpc.http, session_id)
    created = await rpc.result("session_message.create", NOTE, session_id=session_id)
    assert (created["sequence"], created["turn_index"]) == (4, 1)


async def test_get_update_and_delete_a_message(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    created = await rpc.result("session_message.create", NOTE, session_id=session_id)
    message_id = created["message_id"]
    assert await rpc.result("session_message.get", {"message_id": message_id}, session_id=session_id) == created
    updated = await rpc.result(
        "session_message.update",
        {
            "message_id": message_id,
            "kind": "action",
            "speaker_id": "merchant",
            "speaker_name": "Old Merchant",
            "text": "Counts coins.",
        },
        session_id=session_id,
    )
    assert {key: updated[key] for key in ("kind", "speaker_id", "speaker_name", "text", "sequence")} == {
        "kind": "action",
        "speaker_id": "merchant",
        "speaker_name": "Old Merchant",
        "text": "Counts coins.",
        "sequence": 0,
    }
    assert updated["created_at_ms"] == created["created_at_ms"]
    assert updated["updated_at_ms"] >= created["updated_at_ms"]
    assert await rpc.result("session_message.delete", {"message_id": message_id}, session_id=session_id) == {
        "type": "session_message_deleted",
        "message_id": message_id,
    }
    assert (await rpc.result("session_message.list", session_id=session_id))["messages"] == []
    for method, params in (
        ("session_message.delete", {"message_id": message_id}),
        ("session_message.get", {"message_id": message_id}),
    ):
        assert await rpc.error(method, params, session_id=session_id) == {
            "code": 40404,
            "message": f"session message '{message_id}' not found",
        }


async def test_a_message_of_another_session_is_not_found(rpc: RpcClient, llm_stub: RunningStub) -> None:
    first = await playable_session(rpc, llm_stub)
    story_id = (await rpc.result("session.get", session_id=first))["story_id"]
    second = await start_session(rpc, story_id)
    message_id = (await rpc.result("session_message.create", NOTE, session_id=first))["message_id"]
    not_found = {"code": 40404, "message": f"session message '{message_id}' not found"}
    assert await rpc.error("session_message.get", {"message_id": message_id}, session_id=second) == not_found
    update = {"message_id": message_id, **NOTE}
    assert await rpc.error("session_message.update", update, session_id=second) == not_found
    assert await rpc.error("session_message.delete", {"message_id": message_id}, session_id=second) == not_found
    assert (await rpc.result("session_message.get", {"message_id": message_id}, session_id=first))["text"] == NOTE[
        "text"
    ]


async def test_message_inputs_are_checked(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    envelope = await rpc.call(
        "session_message.create", {**NOTE, "kind": "thought"}, session_id=session_id, expect_status=400
    )
    assert envelope["error"]["message"] == (
        'params.kind: expected one of player_input, narration, dialogue, action, got "thought"'
    )
    assert await rpc.error("session_message.create", NOTE, session_id="session-9") == {
        "code": 40404,
        "message": "session 'session-9' not found",
    }
    assert await rpc.error("session_message.list", session_id="session-9") == {
        "code": 40404,
        "message": "session 'session-9' not found",
    }


async def test_session_characters_are_listed_by_creation(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await session_with_characters(rpc, llm_stub)
    envelope = await rpc.call("session_character.list", session_id=session_id)
    assert envelope["session_id"] == session_id
    listed = envelope["result"]["session_characters"]
    assert [c["session_character_id"] for c in listed] == ["ferryman", "pilot"]
    stamp = listed[0]["created_at_ms"]
    assert listed[0] == {
        "session_character_id": "ferryman",
        "display_name": "Ferryman",
        "personality": "quiet",
        "style": "terse",
        "system_prompt": "You are Ferryman.",
        "in_scene": True,
        "created_at_ms": stamp,
        "updated_at_ms": stamp,
    }
    got = await rpc.result("session_character.get", {"session_character_id": "pilot"}, session_id=session_id)
    assert got == {"type": "session_character", **listed[1]}


async def test_update_a_session_character(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await session_with_characters(rpc, llm_stub)
    card = {
        "session_character_id": "pilot",
        "display_name": "Harbor Pilot",
        "personality": "bold",
        "style": "loud",
        "system_prompt": "You guide ships.",
    }
    updated = await rpc.result("session_character.update", card, session_id=session_id)
    assert {key: updated[key] for key in card} == card and updated["in_scene"] is True
    assert updated["updated_at_ms"] >= updated["created_at_ms"]
    incomplete = await rpc.call(
        "session_character.update", {"session_character_id": "pilot"}, session_id=session_id, expect_status=400
    )
    assert incomplete["error"]["message"].endswith(": missing required field")


async def test_leave_and_enter_the_scene(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await session_with_characters(rpc, llm_stub)
    before = await rpc.result("session.get", session_id=session_id)
    left = await rpc.result(
        "session_character.leave_scene", {"session_character_id": "ferryman"}, session_id=session_id
    )
    assert left["in_scene"] is False
    assert (await snapshot(rpc, session_id))["world_state"]["active_characters"] == ["merchant", "pilot"]
    entered = await rpc.result(
        "session_character.enter_scene", {"session_character_id": "ferryman"}, session_id=session_id
    )
    assert entered["in_scene"] is True
    again = await rpc.result(
        "session_character.enter_scene", {"session_character_id": "ferryman"}, session_id=session_id
    )
    assert again["in_scene"] is True
    after = await rpc.result("session.get", session_id=session_id)
    assert after["snapshot"]["world_state"]["active_characters"] == ["merchant", "pilot", "ferryman"]
    assert after["updated_at_ms"] >= before["updated_at_ms"]


async def test_delete_a_session_character_forgets_it_in_the_state(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await session_with_characters(rpc, llm_stub)
    await rpc.result(
        "session.update_variables",
        {"update": {"ops": [{"type": "SetCharacterState", "character": "pilot", "key": "mood", "value": "calm"}]}},
        session_id=session_id,
    )
    await llm_stub.control.script(
        *turn_script(
            director=plan(actor_beat("pilot")),
            beats=[{"text": "<thought>Storm ahead.</thought><dialogue>Hold on.</dialogue>"}],
        )
    )
    assert (await run_turn(rpc.http, session_id)).last_frame["type"] == "completed"
    world = (await snapshot(rpc, session_id))["world_state"]
    assert "pilot" in world["actor_private_memory"] and "pilot" in world["character_state"]

    deleted = await rpc.result("session_character.delete", {"session_character_id": "pilot"}, session_id=session_id)
    assert deleted == {"type": "session_character_deleted", "session_character_id": "pilot"}
    world = (await snapshot(rpc, session_id))["world_state"]
    assert "pilot" not in world["active_characters"]
    assert "pilot" not in world["character_state"] and "pilot" not in world["actor_private_memory"]
    listed = (await rpc.result("session_character.list", session_id=session_id))["session_characters"]
    assert [c["session_character_id"] for c in listed] == ["ferryman"]


async def test_session_characters_of_other_or_missing_sessions_are_not_found(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    session_id = await session_with_characters(rpc, llm_stub)
    story_id = (await rpc.result("session.get", session_id=session_id))["story_id"]
    other = await start_session(rpc, story_id)
    not_found = {"code": 40404, "message": "session character 'ferryman' not found"}
    for method in (
        "session_character.get",
        "session_character.delete",
        "session_character.enter_scene",
        "session_character.leave_scene",
    ):
        assert await rpc.error(method, {"session_character_id": "ferryman"}, session_id=other) == not_found
    assert await rpc.error("session_character.get", {"session_character_id": "merchant"}, session_id=session_id) == {
        "code": 40404,
        "message": "session character 'merchant' not found",
    }
    assert await rpc.error("session_character.list", session_id="session-9") == {
        "code": 40404,
        "message": "session 'session-9' not found",
    }
    assert (await snapshot(rpc, other))["world_state"]["active_characters"] == ["merchant"]


async def test_deleting_a_session_deletes_its_transcript_and_characters(
    server: RunningServer, llm_stub: RunningStub
) -> None:
    rpc = server.client
    session_id = await session_with_characters(rpc, llm_stub)
    await rpc.result("session_message.create", NOTE, session_id=session_id)
    await rpc.result("session.delete", session_id=session_id)
    assert await rpc.error("session_character.get", {"session_character_id": "ferryman"}, session_id=session_id) == {
        "code": 40404,
        "message": f"session '{session_id}' not found",
    }
    await server.stop()
    with duckdb.connect(str(server.data_dir / DATABASE_FILE_NAME), read_only=True) as database:
        counts = [
            database.execute(f"SELECT count(*) FROM {table} WHERE session_id = ?", [session_id]).fetchone()[0]
            for table in ("sessions", "session_messages", "session_characters")
        ]
    assert counts == [0, 0, 0]
