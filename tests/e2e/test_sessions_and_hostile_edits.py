"""Sessions against edits that would break them (issue 10, findings 3 and 7) and the integer ids
of turn streams."""

from __future__ import annotations

import copy
import json

import duckdb
import trio

from runtime.store import DATABASE_FILE_NAME
from tests.support.generation import API_ID
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, RunningServer, start_server
from tests.support.session_world import (
    narration,
    narrator_beat,
    ops,
    plan,
    playable_session,
    run_turn,
    stored_state,
    story_graph,
    turn_envelope,
    turn_script,
)


def graph_without_dock() -> dict:
    graph = copy.deepcopy(story_graph())
    graph["start_node"] = "market"
    graph["nodes"] = [node for node in graph["nodes"] if node["id"] != "dock"]
    return graph


async def test_a_graph_edit_that_removes_a_sessions_node_is_refused_naming_it(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    session_id = await playable_session(rpc, llm_stub)
    story_id = (await rpc.result("session.get", session_id=session_id))["story_id"]
    before = await rpc.result("story.get", {"story_id": story_id})
    error = await rpc.error("story.update_graph", {"story_id": story_id, "graph": graph_without_dock()})
    assert error == {
        "code": 40909,
        "message": f"story '{story_id}' graph update removes the node that sessions stand on: {session_id} (at node 'dock')",
    }
    assert (await rpc.result("story.get", {"story_id": story_id}))["graph"] == before["graph"]
    # The session still plays.
    await llm_stub.control.script(*turn_script(director=plan(narrator_beat())))
    reply = await run_turn(rpc.http, session_id)
    assert reply.events[-1].data["frame"]["type"] == "completed"
    # An edit that keeps the node is fine; so is the removal once the session is gone.
    kept = copy.deepcopy(story_graph())
    kept["nodes"][1]["scene"] = "A quieter market."
    assert (await rpc.result("story.update_graph", {"story_id": story_id, "graph": kept}))["graph"]["nodes"][1][
        "scene"
    ] == "A quieter market."
    await rpc.result("session.delete", session_id=session_id)
    await rpc.result("story.update_graph", {"story_id": story_id, "graph": graph_without_dock()})


async def test_a_turn_echoes_an_integer_id_in_the_ack_and_every_frame(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    await llm_stub.control.script(*turn_script(director=plan(narrator_beat())))
    envelope = {**turn_envelope(session_id, "Look around."), "id": 42}
    response = await rpc.http.post("/rpc", json=envelope)
    frames = [json.loads(line[6:]) for line in response.text.split("\n") if line.startswith("data: ")]
    assert frames[0]["id"] == 42
    assert {frame["request_id"] for frame in frames[1:]} == {42}


async def test_a_stored_key_that_cannot_be_sent_fails_the_turn_before_the_stream(
    server: RunningServer, llm_stub: RunningStub
) -> None:
    rpc = server.client
    session_id = await playable_session(rpc, llm_stub)
    before = await stored_state(rpc, session_id)
    # An api stored by an older version, which did not check keys.
    await rpc.http.aclose()
    await server.stop()
    connection = duckdb.connect(str(server.data_dir / DATABASE_FILE_NAME))
    doc = json.loads(connection.execute("SELECT doc FROM apis WHERE api_id = ?", [API_ID]).fetchone()[0])
    connection.execute("UPDATE apis SET doc = ? WHERE api_id = ?", [json.dumps({**doc, "api_key": "sk-‘x’"}), API_ID])
    connection.close()
    async with trio.open_nursery() as nursery:
        restarted = await start_server(nursery, server.data_dir)
        try:
            reply = await run_turn(restarted.client.http, session_id)
            assert reply.content_type.startswith("application/json")
            assert reply.envelope is not None
            assert reply.envelope["error"]["code"] == -32602
            assert reply.envelope["error"]["message"].startswith("invalid configuration: api_key")
            assert await stored_state(restarted.client, session_id) == before
        finally:
            await restarted.client.http.aclose()
            await restarted.stop()


async def test_a_turn_that_moved_on_in_a_graph_edited_meanwhile_fails_and_leaves_the_session(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    session_id = await playable_session(rpc, llm_stub)
    story_id = (await rpc.result("session.get", session_id=session_id))["story_id"]
    before = await stored_state(rpc, session_id)
    # The first Keeper opens the gate (old graph: dock → market), slowly enough to edit meanwhile.
    open_gate = {"type": "SetState", "key": "gate_open", "value": True}
    await llm_stub.control.script(
        *turn_script(
            first_keeper={**ops(open_gate), "delay_ms": 1500}, director=plan(narrator_beat()), beats=[narration()]
        )
    )
    edited = copy.deepcopy(story_graph())
    edited["nodes"] = [edited["nodes"][0], edited["nodes"][2]]
    edited["nodes"][0]["transitions"][0]["to"] = "end"
    received = b""
    async with rpc.http.stream("POST", "/rpc", json=turn_envelope(session_id, "Open the gate.")) as response:
        async for chunk in response.aiter_bytes():
            received += chunk
            if b"player_input_recorded" in received and b"keeper_applied" not in received:
                # The session still stands on `dock`, which the edit keeps: it is accepted.
                await rpc.result("story.update_graph", {"story_id": story_id, "graph": edited})
    last = json.loads(received.decode().strip().split("\n")[-1].removeprefix("data: "))["frame"]
    assert last["type"] == "failed" and last["error"]["code"] == 50001
    assert "the story graph changed during the turn: node 'market' was removed" in last["error"]["message"]
    assert await stored_state(rpc, session_id) == before
