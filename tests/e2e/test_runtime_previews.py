"""`preset_preview.runtime` for the session agents: the prompt as the agent would see it now."""

from __future__ import annotations

from tests.support.generation import PRESET_ID
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient
from tests.support.session_world import playable_session


async def test_director_preview_renders_the_live_session(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    envelope = await rpc.call(
        "preset_preview.runtime", {"preset_id": PRESET_ID, "agent": "director"}, session_id=session_id
    )
    assert envelope["session_id"] == session_id
    preview = envelope["result"]
    assert preview["type"] == "preset_prompt_preview" and preview["preview_kind"] == "runtime"
    assert preview["message_role"] == "full"
    texts = [
        entry["compiled_text"]
        for message in preview["messages"]
        for module in message["modules"]
        for entry in module["entries"]
    ]
    assert any("Flooded dock" in text or "A flooded dock." in text for text in texts)
    assert any("merchant" in text for text in texts)


async def test_actor_preview_needs_a_cast_character(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    error = await rpc.error(
        "preset_preview.runtime",
        {"preset_id": PRESET_ID, "agent": "actor", "character_id": "ghost"},
        session_id=session_id,
    )
    assert error["code"] == -32602 and "ghost" in error["message"]
    preview = await rpc.result(
        "preset_preview.runtime",
        {"preset_id": PRESET_ID, "agent": "actor", "character_id": "merchant"},
        session_id=session_id,
    )
    system = preview["messages"][0]
    assert system["role"] == "system"


async def test_session_agents_need_a_session_and_an_existing_preset(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    assert await rpc.error("preset_preview.runtime", {"preset_id": PRESET_ID, "agent": "keeper"}) == {
        "code": -32602,
        "message": "request requires session_id",
    }
    missing = await rpc.error("preset_preview.runtime", {"preset_id": "nope", "agent": "keeper"}, session_id=session_id)
    assert missing == {"code": 40404, "message": "preset 'nope' not found"}
    unknown = await rpc.error(
        "preset_preview.runtime", {"preset_id": PRESET_ID, "agent": "keeper"}, session_id="session-99"
    )
    assert unknown == {"code": 40404, "message": "session 'session-99' not found"}
