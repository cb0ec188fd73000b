"""Turns that fail, overlap, lose their client, crash the actor or lose the whole server:
each gives the documented error or `failed` frame, and the stored session stays exactly as it
was before the turn (R4, R5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from runtime.turns import EmitEvent, TurnOutcome, TurnSetup
from runtime.turns import run_turn as play_turn
from tests.support.llm_stub import RunningStub
from tests.support.processes import ServerProcess
from tests.support.server import RpcClient
from tests.support.session_world import (
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
from transport.server import run_server
from transport.settings import Settings

SLOW_MS = 1500  # how long the stub holds a turn that other requests must meet while it runs
SET_TRUST = {"type": "SetCharacterState", "character": "merchant", "key": "trust", "value": 1}
GUARD = {
    "type": "create_and_enter",
    "session_character_id": "guard",
    "display_name": "Impostor",
    "personality": "sly",
    "style": "curt",
    "system_prompt": "You pretend.",
}

FAILURES = {
    "keeper after the input": (
        [{"status": 401}],
        50002,
        "turn failed during KeeperAfterPlayerInput: authentication failed",
    ),
    "director provider error": (
        [ops(), {"status": 400, "error_message": "context too long"}],
        50002,
        "turn failed during Director: provider error (400): context too long",
    ),
    "narrator": (
        [ops(), plan(narrator_beat(), actor_beat()), {"status": 401}],
        50002,
        "turn failed during Narrator: authentication failed",
    ),
    "actor speaker": (
        [ops(), plan(narrator_beat(), actor_beat("guard")), narration()],
        50001,
        "turn failed during Actor: actor beat references invalid speaker_id 'guard' for node 'dock'",
    ),
    "actor output": (
        [ops(), plan(actor_beat()), {"text": "   "}],
        50001,
        "turn failed during Actor: stream parse error: actor output contained no text",
    ),
    "keeper after the outputs": (
        [ops(), plan(narrator_beat(), actor_beat()), narration(), performance(), {"status": 401}],
        50002,
        "turn failed during KeeperAfterTurnOutputs: authentication failed",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
async def test_a_failure_at_each_stage_leaves_the_session_unchanged(
    rpc: RpcClient, llm_stub: RunningStub, case: str
) -> None:
    steps, code, message = FAILURES[case]
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script(second_keeper=ops(SET_TRUST)))
    assert (await run_turn(rpc.http, session_id)).last_frame["type"] == "completed"
    before = await stored_state(rpc, session_id)

    await llm_stub.control.script(*steps)
    reply = await run_turn(rpc.http, session_id, "Try something.")
    assert reply.status == 200 and reply.content_type == "text/event-stream"
    assert [m["sequence"] for m in reply.messages] == list(range(len(reply.messages)))
    failed = reply.last_frame
    assert failed["type"] == "failed" and failed["error"]["code"] == code
    assert failed["error"]["message"].startswith(message)
    assert [frame["type"] for frame in reply.frames].count("failed") == 1
    assert await stored_state(rpc, session_id) == before

    # the next turn starts from the state before the failed one
    await llm_stub.control.script(*turn_script(director=plan(narrator_beat())))
    reply = await run_turn(rpc.http, session_id, "Again.")
    assert reply.last_frame["type"] == "completed"
    assert reply.bodies[0]["next_turn_index"] == 2
    assert reply.last_frame["response"]["result"]["snapshot"]["world_state"]["character_state"]["merchant"] == {
        "trust": 1
    }


async def test_created_characters_of_a_failed_turn_are_not_kept(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    ferryman = {**GUARD, "session_character_id": "ferryman"}
    await llm_stub.control.script(ops(), plan(narrator_beat(), role_actions=[ferryman]), {"status": 401})
    reply = await run_turn(rpc.http, session_id)
    assert "session_character_created" in [body["type"] for body in reply.bodies]  # streamed, not retracted
    assert reply.last_frame["type"] == "failed"
    assert (await rpc.result("session_character.list", session_id=session_id))["session_characters"] == []
    assert (await rpc.result("session.get_runtime_snapshot", session_id=session_id))["snapshot"]["world_state"][
        "active_characters"
    ] == ["merchant"]


async def test_a_client_that_leaves_mid_stream_does_not_cancel_the_turn(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(
        *turn_script(beats=[narration(chunk_size=2, chunk_delay_ms=20), performance()], second_keeper=ops(SET_TRUST))
    )
    async with rpc.http.stream("POST", "/rpc", json=turn_envelope(session_id, "Hello")) as response:
        received = b""
        async for chunk in response.aiter_bytes():
            received += chunk
            if b"narrator_text_delta" in received:
                break  # the client goes away in the middle of the narration
    # a change of the session waits for the turn, so when it answers the turn is over
    renamed = await rpc.result("session.update", {"display_name": "After"}, session_id=session_id)
    assert renamed["snapshot"]["turn_index"] == 1
    assert renamed["snapshot"]["world_state"]["character_state"]["merchant"] == {"trust": 1}
    assert [m["kind"] for m in renamed["history"]] == ["player_input", "narration", "action", "dialogue"]


async def test_a_second_turn_is_refused_while_other_calls_wait_or_read(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script(second_keeper={**ops(SET_TRUST), "delay_ms": SLOW_MS}))
    changed: list[dict[str, Any]] = []

    async def change_variables() -> None:
        update = {"ops": [{"type": "SetState", "key": "bell_rung", "value": True}]}
        changed.append(await rpc.result("session.update_variables", {"update": update}, session_id=session_id))

    async with rpc.http.stream("POST", "/rpc", json=turn_envelope(session_id, "First")) as response:
        chunks = response.aiter_bytes()
        received = await chunks.__anext__()
        assert received.startswith(b"event: ack\n")  # the turn is set up and now runs
        refused = await rpc.http.post("/rpc", json=turn_envelope(session_id, "Second", "req-7"))
        assert refused.headers["content-type"].startswith("application/json")
        assert refused.json() == {
            "jsonrpc": "2.0",
            "id": "req-7",
            "session_id": session_id,
            "error": {"code": 40909, "message": f"session '{session_id}' already has a turn in progress"},
        }
        during = await rpc.result("session.get", session_id=session_id)
        assert during["snapshot"]["turn_index"] == 0 and during["history"] == []  # reads see the last commit
        async with trio.open_nursery() as nursery:
            nursery.start_soon(change_variables)
            received += b"".join([chunk async for chunk in chunks])
    assert parse_sse(received)[-1].data["frame"]["type"] == "completed"
    # the change waited for the turn and applied to its result
    assert changed[0]["custom"]["bell_rung"] is True and changed[0]["character_state"]["merchant"] == {"trust": 1}
    final = await rpc.result("session.get", session_id=session_id)
    assert final["snapshot"]["turn_index"] == 1 and final["snapshot"]["world_state"]["custom"]["bell_rung"] is True
    await llm_stub.control.script(*turn_script())
    assert (await run_turn(rpc.http, session_id, "Third")).last_frame["type"] == "completed"


# -- a crash inside the actor ------------------------------------------------------------


async def crash_on_request(setup: TurnSetup, player_input: str, emit: EmitEvent) -> TurnOutcome:
    """The real pipeline, except that the input `crash` makes the engine fail like a bug would."""
    if player_input == "crash":
        raise RuntimeError("engine bug")
    return await play_turn(setup, player_input, emit)


@pytest.fixture
async def crashing_rpc(nursery: trio.Nursery, tmp_path: Path) -> AsyncIterator[RpcClient]:
    shutdown, stopped = trio.Event(), trio.Event()
    settings = Settings(listen="127.0.0.1:0", data_dir=tmp_path / "data", shutdown_grace_s=0.5)

    async def serve(task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            await run_server(settings, shutdown.wait, turn_engine=crash_on_request, task_status=task_status)
        finally:
            stopped.set()

    binds = await nursery.start(serve)
    async with httpx.AsyncClient(base_url=binds[0], timeout=30) as http:
        yield RpcClient(http)
    shutdown.set()
    await stopped.wait()


async def test_a_crash_inside_the_actor_is_survived(crashing_rpc: RpcClient, llm_stub: RunningStub) -> None:
    rpc = crashing_rpc
    session_id = await playable_session(rpc, llm_stub)
    await rpc.result("session.update", {"display_name": "Before"}, session_id=session_id)
    before = await stored_state(rpc, session_id)
    reply = await run_turn(rpc.http, session_id, "crash")
    assert reply.last_frame == {
        "type": "failed",
        "error": {"code": 50001, "message": "turn failed: internal error (RuntimeError)"},
    }
    assert await stored_state(rpc, session_id) == before
    await llm_stub.control.script(*turn_script())
    reply = await run_turn(rpc.http, session_id, "Hello")
    assert reply.last_frame["type"] == "completed" and reply.bodies[0]["next_turn_index"] == 1
    renamed = await rpc.result("session.update", {"display_name": "After"}, session_id=session_id)
    assert renamed["snapshot"]["turn_index"] == 1


# -- a server killed mid-turn ------------------------------------------------------------


async def test_a_server_killed_mid_turn_restarts_with_the_pre_turn_state(tmp_path: Path, llm_stub: RunningStub) -> None:
    data_dir = tmp_path / "data"
    first = ServerProcess(data_dir)
    await first.start()
    try:
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
            rpc = RpcClient(http)
            session_id = await playable_session(rpc, llm_stub)
            await llm_stub.control.script(*turn_script())
            assert (await run_turn(http, session_id)).last_frame["type"] == "completed"
            before = await stored_state(rpc, session_id)
            await llm_stub.control.script(*turn_script(second_keeper={**ops(SET_TRUST), "delay_ms": 30_000}))
            async with http.stream("POST", "/rpc", json=turn_envelope(session_id, "Doomed")) as response:
                received = b""
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if b"actor_completed" in received:
                        break  # every beat was performed; the turn now waits for the last Keeper
                await first.kill()
    finally:
        if first.process is not None and first.process.returncode is None:
            await first.kill()

    second = ServerProcess(data_dir)
    await second.start()
    try:
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
            rpc = RpcClient(http)
            assert await stored_state(rpc, session_id) == before
            await llm_stub.control.reset()
            await llm_stub.control.script(*turn_script())
            reply = await run_turn(http, session_id, "Again")
            assert reply.last_frame["type"] == "completed" and reply.bodies[0]["next_turn_index"] == 2
    finally:
        await second.terminate()
