"""`session.run_turn` over HTTP with the real pipeline and the LLM stub: the stream event by
event, transitions, role actions, the stored transcript, telemetry and the checks before the stream."""

from __future__ import annotations

import itertools
import json
from typing import Any

import duckdb

from runtime.store import DATABASE_FILE_NAME
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, RunningServer
from tests.support.session_world import (
    ACTION,
    DIALOGUE,
    NARRATION,
    THOUGHT,
    actor_beat,
    narration,
    narrator_beat,
    ops,
    parse_sse,
    performance,
    plan,
    playable_session,
    run_turn,
    stored_state,
    turn_envelope,
    turn_script,
)

TURN_EVENT_ORDER = [
    "turn_started",
    "player_input_recorded",
    "keeper_applied",
    "director_completed",
    "narrator_started",
    "narrator_text_delta",
    "narrator_completed",
    "actor_started",
    "actor_thought_delta",
    "actor_action_complete",
    "actor_dialogue_delta",
    "actor_completed",
    "keeper_applied",
]
SET_TRUST = {"type": "SetCharacterState", "character": "merchant", "key": "trust", "value": 1}
OPEN_GATE = {"type": "SetState", "key": "gate_open", "value": True}


def collapsed(types: list[str]) -> list[str]:
    """Runs of the same event type (the deltas) as one."""
    return [name for name, _ in itertools.groupby(types)]


def joined(bodies: list[dict[str, Any]], event_type: str) -> str:
    return "".join(body["delta"] for body in bodies if body["type"] == event_type)


async def test_a_turn_streams_every_event_in_order_and_is_stored(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script(second_keeper=ops(SET_TRUST)))
    reply = await run_turn(rpc.http, session_id, "Ask about the dock.", request_id="req-6")

    assert reply.status == 200 and reply.content_type == "text/event-stream"
    assert reply.raw.endswith(b"\n\n")
    assert [event.name for event in reply.events] == ["ack"] + ["message"] * (len(reply.events) - 1)
    assert reply.events[0].data == {
        "jsonrpc": "2.0",
        "id": "req-6",
        "session_id": session_id,
        "result": {"type": "turn_stream_accepted"},
    }
    messages = reply.messages
    assert [m["sequence"] for m in messages] == list(range(len(messages)))
    assert all(
        m["message_type"] == "stream" and m["request_id"] == "req-6" and m["session_id"] == session_id for m in messages
    )
    assert messages[0]["frame"] == {"type": "started"}
    assert reply.last_frame["type"] == "completed"
    bodies = reply.bodies
    assert collapsed([body["type"] for body in bodies]) == TURN_EVENT_ORDER
    assert bodies[0] == {"type": "turn_started", "next_turn_index": 1, "player_input": "Ask about the dock."}
    assert bodies[1]["entry"] == {
        "speaker_id": "player",
        "speaker_name": "Player",
        "kind": "player_input",
        "text": "Ask about the dock.",
    }
    assert [body["phase"] for body in bodies if body["type"] == "keeper_applied"] == [
        "after_player_input",
        "after_turn_outputs",
    ]

    # the deltas reassemble to the final texts
    assert joined(bodies, "narrator_text_delta") == NARRATION
    assert len([b for b in bodies if b["type"] == "narrator_text_delta"]) > 1
    narrator_done = next(body for body in bodies if body["type"] == "narrator_completed")
    assert narrator_done["response"]["text"] == NARRATION and narrator_done["beat_index"] == 0
    assert joined(bodies, "actor_thought_delta") == THOUGHT
    assert joined(bodies, "actor_dialogue_delta") == DIALOGUE
    assert next(b for b in bodies if b["type"] == "actor_action_complete")["text"] == ACTION
    actor_done = next(body for body in bodies if body["type"] == "actor_completed")
    assert actor_done["beat_index"] == 1 and actor_done["speaker_id"] == "merchant"
    assert actor_done["response"]["segments"] == [
        {"kind": "thought", "text": THOUGHT},
        {"kind": "action", "text": ACTION},
        {"kind": "dialogue", "text": DIALOGUE},
    ]

    result = reply.last_frame["response"]
    assert result["type"] == "turn_completed" and result["result"]["turn_index"] == 1
    assert result["result"]["second_keeper"]["update"] == {"ops": [SET_TRUST]}
    state = await stored_state(rpc, session_id)
    assert state["session"]["snapshot"] == result["result"]["snapshot"]
    assert state["session"]["snapshot"]["world_state"]["character_state"]["merchant"] == {"trust": 1}
    assert state["session"]["history"] == state["messages"]["messages"]
    history = state["messages"]["messages"]
    assert [
        (m["message_id"], m["sequence"], m["turn_index"], m["kind"], m["speaker_id"], m["text"]) for m in history
    ] == [
        (f"{session_id}-message-0", 0, 1, "player_input", "player", "Ask about the dock."),
        (f"{session_id}-message-1", 1, 1, "narration", "narrator", NARRATION),
        (f"{session_id}-message-2", 2, 1, "action", "merchant", ACTION),
        (f"{session_id}-message-3", 3, 1, "dialogue", "merchant", DIALOGUE),
    ]
    stamps = {(m["recorded_at_ms"], m["created_at_ms"], m["updated_at_ms"]) for m in history}
    assert len(stamps) == 1 and len(set(stamps.pop())) == 1


async def test_turns_continue_the_transcript_and_the_turn_index(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    for _ in range(2):
        await llm_stub.control.script(*turn_script(director=plan(narrator_beat())))
        await run_turn(rpc.http, session_id, "Look around.")
    history = (await rpc.result("session_message.list", session_id=session_id))["messages"]
    assert [(m["sequence"], m["turn_index"], m["kind"]) for m in history] == [
        (0, 1, "player_input"),
        (1, 1, "narration"),
        (2, 2, "player_input"),
        (3, 2, "narration"),
    ]
    summary = (await rpc.result("session.list"))["sessions"][0]
    assert summary["turn_index"] == 2


async def test_a_condition_met_moves_the_story_and_is_restated(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(
        *turn_script(
            first_keeper=ops(OPEN_GATE),
            director=plan(narrator_beat("DescribeTransition"), actor_beat("guard")),
            beats=[narration(), performance()],
        )
    )
    reply = await run_turn(rpc.http, session_id, "Open the gate.")
    assert reply.last_frame["type"] == "completed", reply.last_frame
    director = next(body for body in reply.bodies if body["type"] == "director_completed")
    assert director["result"]["previous_node_id"] == "dock" and director["result"]["current_node_id"] == "market"
    assert director["result"]["transitioned"] is True
    world = director["snapshot"]["world_state"]
    assert world["current_node"] == "market" and world["active_characters"] == ["merchant", "guard"]
    assert world["custom"]["visited_market"] is True  # the target's on_enter_updates
    second = [body for body in reply.bodies if body["type"] == "keeper_applied"][-1]
    assert second["update"] == {"ops": [OPEN_GATE]}  # the progression fallback restates the condition

    await llm_stub.control.script(*turn_script(director=plan(narrator_beat())))
    reply = await run_turn(rpc.http, session_id, "Move on.")
    director = next(body for body in reply.bodies if body["type"] == "director_completed")
    assert (director["result"]["current_node_id"], director["result"]["transitioned"]) == ("end", True)
    snapshot = (await rpc.result("session.get_runtime_snapshot", session_id=session_id))["snapshot"]
    assert snapshot["world_state"]["current_node"] == "end" and snapshot["world_state"]["active_characters"] == []


async def test_no_condition_met_keeps_the_node(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(
        *turn_script(first_keeper=ops({"type": "SetState", "key": "gate_open", "value": "yes"}))
    )
    reply = await run_turn(rpc.http, session_id)
    director = next(body for body in reply.bodies if body["type"] == "director_completed")["result"]
    assert (director["current_node_id"], director["transitioned"]) == ("dock", False)


async def test_role_actions_create_enter_and_leave_session_characters(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    ferryman = {
        "type": "create_and_enter",
        "session_character_id": "ferryman",
        "display_name": "Ferryman",
        "personality": "quiet",
        "style": "terse",
        "system_prompt": "You row the boat.",
    }
    leave = {"type": "leave_scene", "session_character_id": "merchant"}
    director = plan(actor_beat("ferryman"), role_actions=[ferryman, leave])
    await llm_stub.control.script(*turn_script(director=director, beats=[performance(dialogue="Get in.")]))
    reply = await run_turn(rpc.http, session_id, "Hail the boat.")
    assert reply.last_frame["type"] == "completed", reply.last_frame
    types = [body["type"] for body in reply.bodies]
    start = types.index("director_completed") + 1
    assert types[start : start + 3] == [
        "session_character_created",
        "session_character_entered_scene",
        "session_character_left_scene",
    ]
    created = reply.bodies[start]
    assert created["session_character"]["session_character_id"] == "ferryman"
    assert created["session_character"]["in_scene"] is True
    assert reply.bodies[start + 2]["session_character_id"] == "merchant"

    listed = (await rpc.result("session_character.list", session_id=session_id))["session_characters"]
    assert [(c["session_character_id"], c["display_name"], c["in_scene"]) for c in listed] == [
        ("ferryman", "Ferryman", True)
    ]
    assert listed[0]["created_at_ms"] == created["session_character"]["created_at_ms"]
    snapshot = (await rpc.result("session.get_runtime_snapshot", session_id=session_id))["snapshot"]
    assert snapshot["world_state"]["active_characters"] == ["ferryman"]

    # a known id re-enters (its stored card unchanged); leaving an inactive id does nothing
    renamed = {**ferryman, "display_name": "Old Ferryman"}
    nobody = {"type": "leave_scene", "session_character_id": "merchant"}
    await llm_stub.control.script(*turn_script(director=plan(role_actions=[renamed, nobody]), beats=[]))
    reply = await run_turn(rpc.http, session_id, "Wave.")
    types = [body["type"] for body in reply.bodies]
    assert "session_character_created" not in types and "session_character_left_scene" not in types
    assert types.count("session_character_entered_scene") == 1
    listed = (await rpc.result("session_character.list", session_id=session_id))["session_characters"]
    assert [(c["session_character_id"], c["display_name"]) for c in listed] == [("ferryman", "Ferryman")]


async def test_every_llm_call_of_a_turn_is_recorded_with_session_and_turn(
    server: RunningServer, llm_stub: RunningStub
) -> None:
    rpc = server.client
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script())
    assert (await run_turn(rpc.http, session_id)).last_frame["type"] == "completed"
    await server.stop()
    with duckdb.connect(str(server.data_dir / DATABASE_FILE_NAME), read_only=True) as database:
        rows = database.execute("SELECT agent, session_id, turn_index FROM llm_calls ORDER BY call_id").fetchall()
    assert rows == [
        ("keeper", session_id, 1),
        ("director", session_id, 1),
        ("narrator", session_id, 1),
        ("actor", session_id, 1),
        ("keeper", session_id, 1),
    ]


async def test_an_empty_player_input_is_played(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script())
    reply = await run_turn(rpc.http, session_id, "")
    assert reply.last_frame["type"] == "completed"
    assert reply.bodies[0] == {"type": "turn_started", "next_turn_index": 1, "player_input": ""}


async def test_a_too_long_player_input_is_refused_before_the_stream(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    before = await stored_state(rpc, session_id)
    reply = await run_turn(rpc.http, session_id, "x" * (16 * 1024 + 1))
    assert reply.status == 200 and reply.content_type.startswith("application/json")
    assert reply.envelope == {
        "jsonrpc": "2.0",
        "id": "req-turn",
        "session_id": session_id,
        "error": {"code": -32602, "message": "player_input must be at most 16384 characters, got 16385"},
    }
    assert await stored_state(rpc, session_id) == before
    assert await llm_stub.control.requests() == []


async def test_setup_errors_are_unary_json_answers(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await playable_session(rpc, llm_stub)
    missing = await run_turn(rpc.http, None)
    assert missing.content_type.startswith("application/json")
    assert missing.envelope == {
        "jsonrpc": "2.0",
        "id": "req-turn",
        "error": {"code": -32602, "message": "request requires session_id"},
    }
    unknown = await run_turn(rpc.http, "session-9")
    assert unknown.status == 200 and unknown.envelope == {
        "jsonrpc": "2.0",
        "id": "req-turn",
        "session_id": "session-9",
        "error": {"code": 40404, "message": "session 'session-9' not found"},
    }
    envelope = {
        "jsonrpc": "2.0",
        "id": "req-x",
        "session_id": "session-0",
        "method": "session.run_turn",
        "params": {"player_input": 7},
    }
    response = await rpc.http.post("/rpc", json=envelope)
    assert response.status_code == 400
    assert response.json()["error"] == {"code": -32602, "message": "params.player_input: expected string, got int"}


async def test_a_missing_api_of_the_group_is_a_setup_error(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await rpc.result(
        "api.create",
        {
            "api_id": "keyless",
            "display_name": "Keyless",
            "provider": "open_ai",
            "base_url": llm_stub.openai_base_url,
            "api_key": "",
            "model": "m",
        },
    )
    agents = ["planner", "architect", "director", "actor", "narrator", "keeper", "replyer"]
    await rpc.result(
        "api_group.create",
        {
            "api_group_id": "keyless-group",
            "display_name": "Keyless",
            "bindings": {f"{agent}_api_id": "keyless" for agent in agents},
        },
    )
    await rpc.result("session.update_config", {"api_group_id": "keyless-group"}, session_id=session_id)
    reply = await run_turn(rpc.http, session_id)
    assert reply.envelope is not None and reply.envelope["error"]["code"] == -32602
    assert reply.envelope["error"]["message"].startswith("invalid configuration")
    assert await llm_stub.control.requests() == []


async def test_replies_are_suggested_from_the_transcript(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script())
    await run_turn(rpc.http, session_id)
    before = await stored_state(rpc, session_id)
    await llm_stub.control.script(
        {
            "text": json.dumps(
                {
                    "replies": [
                        {"id": "a", "text": " Ask about the tide. "},
                        {"id": "b", "text": "Buy a map."},
                        {"id": "c", "text": "Buy a map."},
                        {"id": "d", "text": "Leave."},
                        {"id": "e", "text": "Wait."},
                    ]
                }
            )
        }
    )
    result = await rpc.result("session.suggest_replies", session_id=session_id)  # limit 3 by default
    assert result == {
        "type": "suggested_replies",
        "replies": [
            {"reply_id": "a", "text": "Ask about the tide."},
            {"reply_id": "b", "text": "Buy a map."},
            {"reply_id": "d", "text": "Leave."},
        ],
    }
    replyer_prompt = (await llm_stub.control.requests())[-1]["body"]["messages"][-1]["content"]
    assert "Welcome, traveller!" in replyer_prompt  # the transcript is what the Replyer sees
    assert await stored_state(rpc, session_id) == before


async def test_events_reach_the_client_while_the_turn_is_still_running(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script(beats=[narration(chunk_size=20, chunk_delay_ms=1000), performance()]))
    async with rpc.http.stream("POST", "/rpc", json=turn_envelope(session_id, "Hello")) as response:
        chunks = response.aiter_bytes()
        received = b""
        async for chunk in chunks:
            received += chunk
            if b"narrator_text_delta" in received:
                break
        # The stub still holds the rest of the narration, so nothing is committed yet.
        snapshot = await rpc.result("session.get_runtime_snapshot", session_id=session_id)
        assert snapshot["snapshot"]["turn_index"] == 0
        assert b'"type":"completed"' not in received
        async for chunk in chunks:
            received += chunk
    assert parse_sse(received)[-1].data["frame"]["type"] == "completed"
