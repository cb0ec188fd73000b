"""`analytics.*` reports over HTTP, on turns played through the real pipeline and the LLM stub."""

from __future__ import annotations

from typing import Any

import duckdb

from runtime.store import DATABASE_FILE_NAME
from tests.support.analytics_world import PRICES, play_a_story
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, RunningServer

TURN_COLUMNS = "turn_index, outcome, node_before, node_after, failed_stage, error_code, llm_calls"


async def test_every_turn_attempt_leaves_one_row_completed_or_failed(
    server: RunningServer, llm_stub: RunningStub
) -> None:
    played = await play_a_story(server.client, llm_stub)
    await server.stop()
    with duckdb.connect(str(server.data_dir / DATABASE_FILE_NAME), read_only=True) as database:
        rows = database.execute(
            f"SELECT session_id, story_id, {TURN_COLUMNS}, duration_ms > 0, error_message FROM turns ORDER BY started_at_ms"
        ).fetchall()
        calls = database.execute("SELECT count(*) FROM llm_calls").fetchall()[0][0]
    session, story = played.played_session_id, played.story_id
    assert rows == [
        (session, story, 1, "completed", "dock", "dock", None, None, 5, True, None),
        (
            session,
            story,
            2,
            "failed",
            "dock",
            None,
            "Director",
            50002,
            2,
            True,
            "turn failed during Director: provider error (400): context too long",
        ),
        (session, story, 2, "completed", "dock", "market", None, None, 4, True, None),
    ]
    assert calls == 5 + 2 + 4


async def test_play_report_counts_turns_failures_and_sessions_by_story_and_session(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    played = await play_a_story(rpc, llm_stub)
    by_story = await rpc.result("analytics.play", {"group_by": ["story"]})
    assert by_story["type"] == "play_report" and by_story["group_by"] == ["story"]
    (row,) = by_story["rows"]
    assert {key: row[key] for key in ("story_id", "session_id", "day")} == {
        "story_id": played.story_id,
        "session_id": None,
        "day": None,
    }
    assert (row["turns"], row["completed_turns"], row["failed_turns"]) == (3, 2, 1)
    assert row["failures"] == {"Director": 1}
    assert (row["sessions"], row["sessions_started"], row["llm_calls"]) == (1, 2, 11)
    assert 0 < row["turn_duration_p50_ms"] <= row["turn_duration_p95_ms"]
    assert by_story["totals"] == {**row, "story_id": None}

    by_session = (await rpc.result("analytics.play", {"group_by": ["session", "day"]}))["rows"]
    assert [(r["story_id"], r["session_id"], r["turns"], r["sessions_started"]) for r in by_session] == [
        (played.story_id, played.played_session_id, 3, 1),
        (played.story_id, played.idle_session_id, 0, 1),
    ]
    assert all(r["day"] == by_session[0]["day"] and len(r["day"]) == 10 for r in by_session)
    nothing = await rpc.result("analytics.play", {"group_by": ["story"], "story_id": "story-404"})
    assert nothing["rows"] == [] and nothing["totals"]["turns"] == 0


async def test_node_visits_follow_the_sessions_through_the_graph(rpc: RpcClient, llm_stub: RunningStub) -> None:
    played = await play_a_story(rpc, llm_stub)
    report = await rpc.result("analytics.node_visits", {"story_id": played.story_id})
    assert report["type"] == "node_visits_report"
    assert [
        (n["node_id"], n["title"], n["entries"], n["turns"], n["sessions"], n["failed_turns"]) for n in report["nodes"]
    ] == [
        ("dock", "Dock", 2, 1, 2, 1),  # both sessions start there; one turn stays, one fails there
        ("market", "Market", 1, 1, 1, 0),
        ("end", "End", 0, 0, 0, 0),
    ]
    missing = await rpc.error("analytics.node_visits", {"story_id": "story-404"})
    assert missing == {"code": 40404, "message": "story 'story-404' not found"}


async def test_llm_usage_reports_the_calls_the_stub_answered_with_their_cost(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await play_a_story(rpc, llm_stub)
    report = await rpc.result("analytics.llm_usage", {"group_by": ["agent"], "latency_histogram": True})
    rows = {row["agent"]: row for row in report["rows"]}
    assert {agent: row["calls"] for agent, row in rows.items()} == {
        "actor": 1,
        "director": 3,
        "keeper": 5,
        "narrator": 2,
    }
    director = rows["director"]
    assert director["failed_calls"] == 1 and sum(director["outcomes"].values()) == 3 and director["outcomes"]["ok"] == 2
    totals = report["totals"]
    assert totals["calls"] == 11 and totals["api_id"] is None
    assert totals["prompt_tokens"] > 0 and totals["completion_tokens"] > 0
    expected_cost = (
        totals["prompt_tokens"] * PRICES["input_per_million_tokens"]
        + totals["completion_tokens"] * PRICES["output_per_million_tokens"]
    ) / 1_000_000
    assert totals["cost"] == [{"currency": "USD", "amount": round(expected_cost, 6)}]
    assert totals["unpriced_calls"] == 0
    assert 0 < totals["latency_p50_ms"] <= totals["latency_p95_ms"]
    assert totals["first_token_p50_ms"] is not None  # the narrator and the actor stream
    assert sum(bar["calls"] for bar in totals["latency_histogram"]) == 11

    by_model = await rpc.result("analytics.llm_usage", {"group_by": ["api", "model", "day"], "agent": "keeper"})
    (row,) = by_model["rows"]
    assert (row["api_id"], row["model"], row["agent"], row["calls"]) == ("stub", "stub-model", None, 5)
    assert "latency_histogram" not in row


async def test_report_params_are_strict_and_name_the_field(rpc: RpcClient) -> None:
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "analytics.llm_usage": (
            {"group_by": ["agent", "week"]},
            'params.group_by[1]: expected one of agent, api, model, day, got "week"',
        ),
        "analytics.play": ({"since_ms": "yesterday"}, "params.since_ms: expected int, got string"),
        "analytics.node_visits": ({}, "params.story_id: missing required field"),
        "analytics.snapshot": ({"path": "/tmp/x"}, "params.path: unknown field"),
    }
    for method, (params, message) in cases.items():
        envelope = await rpc.call(method, params, expect_status=400)
        assert envelope["error"] == {"code": -32602, "message": message}, method
    empty_range = await rpc.error("analytics.play", {"since_ms": 10, "until_ms": 10})
    assert empty_range == {"code": -32602, "message": "params.until_ms: expected a time after since_ms (10), got 10"}
    twice = await rpc.error("analytics.play", {"group_by": ["day", "day"]})
    assert twice["message"] == "params.group_by[1]: 'day' is already in params.group_by"


async def test_rpc_discover_lists_the_analytics_methods(rpc: RpcClient) -> None:
    methods = {method["name"]: method for method in (await rpc.result("rpc.discover"))["methods"]}
    for name, tag in (
        ("analytics.llm_usage", "llm_usage_report"),
        ("analytics.play", "play_report"),
        ("analytics.node_visits", "node_visits_report"),
        ("analytics.snapshot", "analytics_snapshot"),
    ):
        assert methods[name]["x-implemented"] is True and methods[name]["summary"], name
        assert methods[name]["result"]["name"] == tag
    group_by = next(param for param in methods["analytics.llm_usage"]["params"] if param["name"] == "group_by")
    assert group_by["required"] is False
    assert group_by["schema"]["items"] == {"type": "string", "enum": ["agent", "api", "model", "day"]}
