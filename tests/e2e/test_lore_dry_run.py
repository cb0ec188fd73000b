"""`lorebook.dry_run` and the lore trace of the runtime previews, over HTTP."""

from __future__ import annotations

from typing import Any

from tests.support.generation import PRESET_ID, bind_engine_to_stub, create_resource
from tests.support.llm_stub import RunningStub
from tests.support.lore_world import harbor_lore, session_with_lore, story_with_lore
from tests.support.server import RpcClient
from tests.support.session_world import playable_session


def reasons(trace: dict[str, Any]) -> dict[str, str]:
    return {row["entry_id"]: row["reason"] for row in trace["entries"]}


def activated(trace: dict[str, Any]) -> list[str]:
    return [ref["entry_id"] for ref in trace["activated"]]


async def test_a_dry_run_over_lorebooks_traces_every_entry_and_renders_the_values(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", harbor_lore())
    result = await rpc.result(
        "lorebook.dry_run", {"lorebook_ids": ["harbor"], "text": "I light a lantern by the dock.", "seed": 5}
    )
    assert result["type"] == "lorebook_dry_run"
    trace = result["trace"]
    assert (trace["seed"], trace["turn"], trace["recursion_steps"]) == (5, 1, 0)
    assert activated(trace) == ["world", "dock", "lantern", "oil"]
    assert reasons(trace) == {
        "world": "constant",
        "dock": "keyword",
        "lantern": "keyword",
        "oil": "keyword",
        "rumor": "no_keyword_match",
    }
    dock = next(row for row in trace["entries"] if row["entry_id"] == "dock")
    assert dock == {
        "lorebook_id": "harbor",
        "entry_id": "dock",
        "title": "Dock",
        "activated": True,
        "reason": "keyword",
        "bucket": "matched",
        "recursion_level": 0,
        "key": {"keyword": "dock", "excerpt": "I light a lantern by the dock."},
    }
    assert result["lorebook_base"] == "- world | World | keywords= | About world."
    assert result["lorebook_matched"].splitlines()[0] == "- dock | Dock | keywords=dock | About dock."


async def test_history_is_cut_to_the_scan_depth(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", harbor_lore(scan_depth=1))
    params = {"lorebook_ids": ["harbor"], "history": ["a dock", "a lantern"], "text": "hello"}
    assert activated((await rpc.result("lorebook.dry_run", params))["trace"]) == ["world", "lantern", "oil"]


async def test_the_same_seed_replays_the_same_trace(rpc: RpcClient) -> None:
    await rpc.result("lorebook.create", harbor_lore())
    params = {"lorebook_ids": ["harbor"], "text": "a tavern"}
    outcomes = {}
    for seed in range(40):
        trace = (await rpc.result("lorebook.dry_run", {**params, "seed": seed}))["trace"]
        outcomes["rumor" in activated(trace)] = (seed, trace)
        if len(outcomes) == 2:
            break
    assert set(outcomes) == {True, False}  # probability 50: both outcomes occur
    for seed, trace in outcomes.values():
        assert (await rpc.result("lorebook.dry_run", {**params, "seed": seed}))["trace"] == trace
    unseeded = (await rpc.result("lorebook.dry_run", params))["trace"]
    assert type(unseeded["seed"]) is int


async def test_a_dry_run_of_a_story_uses_its_lorebooks(rpc: RpcClient, llm_stub: RunningStub) -> None:
    story_id = await story_with_lore(rpc, llm_stub, harbor_lore())
    trace = (await rpc.result("lorebook.dry_run", {"story_id": story_id, "text": "the lantern"}))["trace"]
    assert activated(trace) == ["world", "lantern", "oil"]


async def test_a_dry_run_of_a_session_scans_its_node_and_takes_the_text_as_input(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    session_id = await session_with_lore(rpc, llm_stub, harbor_lore())
    before = await rpc.result("session.get", session_id=session_id)
    envelope = await rpc.call("lorebook.dry_run", {"text": "Light the lantern."}, session_id=session_id)
    assert envelope["session_id"] == session_id
    trace = envelope["result"]["trace"]
    assert activated(trace) == ["world", "dock", "lantern", "oil"] and trace["turn"] == 1
    dock = next(row for row in trace["entries"] if row["entry_id"] == "dock")
    assert dock["key"] == {"keyword": "dock", "excerpt": "Dock A flooded dock. Get to the…"}
    without_text = (await rpc.result("lorebook.dry_run", {}, session_id=session_id))["trace"]
    assert activated(without_text) == ["world", "dock"]
    assert await rpc.result("session.get", session_id=session_id) == before


async def test_a_dry_run_needs_exactly_one_source(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await session_with_lore(rpc, llm_stub, harbor_lore())
    assert await rpc.error("lorebook.dry_run", {"text": "x"}) == {
        "code": -32602,
        "message": "lorebook.dry_run needs exactly one of lorebook_ids, story_id or the envelope session_id, got none",
    }
    both = await rpc.error("lorebook.dry_run", {"lorebook_ids": ["harbor"]}, session_id=session_id)
    assert both["message"].endswith("got lorebook_ids and session_id")
    assert await rpc.error("lorebook.dry_run", {"history": ["x"]}, session_id=session_id) == {
        "code": -32602,
        "message": "params.history: not allowed with a session (the session's own history is scanned)",
    }
    assert await rpc.error("lorebook.dry_run", {"lorebook_ids": ["harbor", "ghost"]}) == {
        "code": 40404,
        "message": "lorebook 'ghost' not found",
    }
    assert (await rpc.error("lorebook.dry_run", {}, session_id="session-99"))["code"] == 40404
    envelope = await rpc.call("lorebook.dry_run", {"lorebook_ids": ["harbor"], "seed": "1"}, expect_status=400)
    assert envelope["error"] == {"code": -32602, "message": "params.seed: expected int, got string"}


# -- previews ----------------------------------------------------------------------------


async def test_a_runtime_preview_carries_its_prompts_lore_trace(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await session_with_lore(rpc, llm_stub, harbor_lore())
    params = {"preset_id": PRESET_ID, "agent": "narrator", "player_input": "the lantern"}
    preview = await rpc.result("preset_preview.runtime", params, session_id=session_id)
    trace = preview["lore_trace"]
    assert activated(trace) == ["world", "dock", "lantern", "oil"] and trace["turn"] == 1
    assert {row["entry_id"] for row in trace["entries"]} == {"world", "dock", "lantern", "oil", "rumor"}
    texts = [
        entry["compiled_text"] for m in preview["messages"] for module in m["modules"] for entry in module["entries"]
    ]
    assert any("- lantern | Lantern | keywords=lantern | About lantern." in text for text in texts)


async def test_a_planner_preview_carries_the_resources_lore_trace(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await bind_engine_to_stub(rpc, llm_stub)
    await rpc.result("lorebook.create", harbor_lore())
    resource_id = await create_resource(rpc, concept="A tavern by the dock", lorebook_ids=["harbor"])
    params = {"preset_id": PRESET_ID, "agent": "planner", "resource_id": resource_id}
    trace = (await rpc.result("preset_preview.runtime", params))["lore_trace"]
    assert trace["seed"] == 0 and activated(trace)[:2] == ["world", "dock"]


async def test_previews_without_lore_have_no_trace(rpc: RpcClient, llm_stub: RunningStub) -> None:
    session_id = await playable_session(rpc, llm_stub)
    runtime = await rpc.result(
        "preset_preview.runtime", {"preset_id": PRESET_ID, "agent": "director"}, session_id=session_id
    )
    template = await rpc.result("preset_preview.template", {"preset_id": PRESET_ID, "agent": "director"})
    assert "lore_trace" not in runtime and "lore_trace" not in template
