"""A small played history for the analytics tests: two sessions of one story, three turns
(one failed, one moving to another node), every LLM call made through the real stub."""

from __future__ import annotations

import attrs

from tests.support.generation import API_ID
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient
from tests.support.session_world import (
    create_story,
    narration,
    narrator_beat,
    ops,
    plan,
    run_turn,
    start_session,
    turn_script,
)

OPEN_GATE = {"type": "SetState", "key": "gate_open", "value": True}
PRICES = {"input_per_million_tokens": 2.0, "output_per_million_tokens": 8.0, "currency": "USD"}


@attrs.frozen
class PlayedStory:
    story_id: str
    played_session_id: str  # three turns: completed at dock, failed at the Director, completed into market
    idle_session_id: str  # started, never played


async def play_a_story(rpc: RpcClient, stub: RunningStub) -> PlayedStory:
    """The history above; the stub's api is priced with PRICES."""
    story_id = await create_story(rpc, stub)
    await rpc.result("api.update", {"api_id": API_ID, "prices": PRICES})
    played = await start_session(rpc, story_id)
    await stub.control.script(*turn_script())  # Keeper, Director, Narrator, Actor, Keeper
    assert (await run_turn(rpc.http, played)).last_frame["type"] == "completed"
    await stub.control.script(ops(), {"status": 400, "error_message": "context too long"})  # Keeper, Director
    assert (await run_turn(rpc.http, played)).last_frame["type"] == "failed"
    # Keeper, Director, Narrator, Keeper
    await stub.control.script(
        *turn_script(first_keeper=ops(OPEN_GATE), director=plan(narrator_beat()), beats=[narration()])
    )
    assert (await run_turn(rpc.http, played, "Open the gate.")).last_frame["type"] == "completed"
    idle = await start_session(rpc, story_id)
    return PlayedStory(story_id, played, idle)
