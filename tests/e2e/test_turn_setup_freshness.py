"""A turn's setup is kept between turns (the store's read cache and the session actor's ledger);
these tests change what it was built from between two turns and check that the second turn
sees the change: the bindings, the cast, the transcript and the session characters."""

from __future__ import annotations

import json
from typing import Any

from tests.support.generation import API_ID, PRESET_ID
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient
from tests.support.session_world import (
    PROFILE_ID,
    actor_beat,
    narrator_beat,
    performance,
    plan,
    playable_session,
    run_turn,
    turn_script,
)


async def _play(rpc: RpcClient, stub: RunningStub, session_id: str, **script: Any) -> None:
    await stub.control.script(*turn_script(**script))
    reply = await run_turn(rpc.http, session_id, "Look around.")
    assert reply.last_frame["type"] == "completed", reply.last_frame


async def _requests_of_next_turn(rpc: RpcClient, stub: RunningStub, session_id: str) -> list[dict[str, Any]]:
    before = len(await stub.control.requests())
    await _play(rpc, stub, session_id)
    return (await stub.control.requests())[before:]


def _prompt_text(request: dict[str, Any]) -> str:
    return json.dumps(request["body"]["messages"])


async def test_changed_bindings_and_cast_reach_the_next_turn(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    first = await _requests_of_next_turn(rpc, llm_stub, session_id)
    assert {request["body"]["model"] for request in first} == {"stub-model"}
    assert all("Mira" in _prompt_text(request) for request in first[:2])

    await rpc.result("player_profile.update", {"player_profile_id": PROFILE_ID, "display_name": "Captain Rhea"})
    merchant = await rpc.result("character.get", {"character_id": "merchant"})
    await rpc.result(
        "character.update",
        {"character_id": "merchant", "content": {**merchant["content"], "personality": "newly paranoid"}},
    )
    await rpc.result("api.update", {"api_id": API_ID, "model": "stub-model-2"})

    second = await _requests_of_next_turn(rpc, llm_stub, session_id)
    assert {request["body"]["model"] for request in second} == {"stub-model-2"}
    prompts = " ".join(_prompt_text(request) for request in second)
    assert "Captain Rhea" in prompts and "Mira" not in prompts
    assert "newly paranoid" in prompts


async def test_a_changed_preset_reaches_the_next_turn(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    first = await _requests_of_next_turn(rpc, llm_stub, session_id)
    preset = await rpc.result("preset.get", {"preset_id": PRESET_ID})
    agents = preset["agents"]
    agents["narrator"]["temperature"] = 0.123
    await rpc.result("preset.update", {"preset_id": PRESET_ID, "agents": agents})

    second = await _requests_of_next_turn(rpc, llm_stub, session_id)
    assert 0.123 not in [request["body"].get("temperature") for request in first]
    assert 0.123 in [request["body"].get("temperature") for request in second]


async def test_a_message_added_between_turns_is_followed_by_the_next_turn(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await _play(rpc, llm_stub, session_id, director=plan(narrator_beat()), beats=[{"text": "Fog."}])
    note = {"kind": "narration", "speaker_id": "narrator", "speaker_name": "Narrator", "text": "A bell rings."}
    await rpc.result("session_message.create", note, session_id=session_id)
    await _play(rpc, llm_stub, session_id, director=plan(narrator_beat()), beats=[{"text": "Rain."}])

    history = (await rpc.result("session_message.list", session_id=session_id))["messages"]
    assert [(m["sequence"], m["turn_index"], m["text"]) for m in history] == [
        (0, 1, "Look around."),
        (1, 1, "Fog."),
        (2, 1, "A bell rings."),
        (3, 2, "Look around."),
        (4, 2, "Rain."),
    ]


async def test_session_characters_created_or_deleted_between_turns_are_in_the_next_cast(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    session_id = await playable_session(rpc, llm_stub)
    ferryman = {
        "type": "create_and_enter",
        "session_character_id": "ferryman",
        "display_name": "Ferryman",
        "personality": "quiet",
        "style": "terse",
        "system_prompt": "You row the boat.",
    }
    await _play(
        rpc,
        llm_stub,
        session_id,
        director=plan(actor_beat("ferryman"), role_actions=[ferryman]),
        beats=[performance(dialogue="Get in.")],
    )
    # the next turn's Director may cast the character the previous turn created
    await _play(
        rpc, llm_stub, session_id, director=plan(actor_beat("ferryman")), beats=[performance(dialogue="Sit down.")]
    )

    await rpc.result("session_character.delete", {"session_character_id": "ferryman"}, session_id=session_id)
    # deleted, the id is new again: a Director that creates it creates and stores it anew
    await llm_stub.control.script(*turn_script(director=plan(role_actions=[ferryman]), beats=[]))
    reply = await run_turn(rpc.http, session_id, "Call him back.")
    assert reply.last_frame["type"] == "completed", reply.last_frame
    assert "session_character_created" in [body["type"] for body in reply.bodies]
    listed = (await rpc.result("session_character.list", session_id=session_id))["session_characters"]
    assert [c["session_character_id"] for c in listed] == ["ferryman"]
