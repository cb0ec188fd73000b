"""The sessions benchmark: many sessions playing turns at once against the LLM stub.

Each case starts its own Dramaturg server (fresh DuckDB in a temporary directory), its own LLM
stub (`dramaturg llm-stub --mode auto` at the case's latency and token rate) and one turn load
process (`benchmarks._turn_load`): three processes, so the CPU table shows which one was the
limit. Over RPC the case builds one playable story: a single scene (no transitions) with two
cast members, so every turn makes the same five LLM calls (Keeper, Director, a Narrator beat, an
Actor beat, Keeper: PROTOCOL §8.4; the stub's auto Director always plans those two beats when a
cast is listed). The calls per turn are checked, not assumed.

| case | sessions × turns | stub per call | what it answers |
| --- | --- | --- | --- |
| `overhead` | 1 × 200 (+1 warm-up; quick 1 × 5) | 0 ms | server overhead per turn p50/p99, ack → first delta |
| `throughput` | 100 × 3 (quick 10 × 1) | 200 ms | turns/s against the ideal, CPU of each process |
| `realistic` | 1,000 × 3 (1st: warm-up) | 5 s | ≥ 95 % of ideal in the steady state, no errors (not --quick) |
| `idle` | 10,000 (quick 200) | – | server RSS of idle session actors |

The stub's time of a turn comes from the server's telemetry (`llm_calls.latency_ms` summed per
session and turn, read from the DuckDB file once the server has stopped), so a turn's server
overhead is its wall time minus the time its own LLM calls took. The ideal throughput is N
divided by the stub's time of one turn played alone: a calibration session plays its turns
while the case's sessions are being created (the stub is idle then; the server is busy, which
can only lengthen the calibration, so the ideal is never overstated). A case with warm-up turns
also reports its steady state: the LLM calls that ended while every session was past its
warm-up and none had finished, ÷ 5 ÷ that span (`steady_window`).

Set `DRAMATURG_BENCH_SLOW=0` to skip the two long cases (`realistic`, `idle`) of a full run.
`python -m benchmarks.bench_sessions --case throughput --sessions 200 --latency-ms 500` runs one
case with other settings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

import attrs
import duckdb
import httpx

from benchmarks import BenchmarkFailed
from benchmarks._load import percentile_ms
from benchmarks._processes import (
    DRAMATURG,
    LLM_STUB,
    dramaturg_server,
    llm_stub,
    serving,
)
from benchmarks._rpc import Rpc
from benchmarks._turn_load import (
    TOUCH_WARMUP,
    MemoryReading,
    SessionStart,
    TurnLoadResult,
    TurnLoadSpec,
    TurnSample,
    play,
)
from runtime.store import DATABASE_FILE_NAME

NAME: Final = "sessions"
SLOW_ENV: Final = "DRAMATURG_BENCH_SLOW"
AGENTS: Final = ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")
CALLS_PER_TURN: Final = 5
STUB_KEY: Final = "bench-key"
STUB_MODEL: Final = "stub-bench"
OVERHEAD_P50_TARGET_MS: Final = 5.0
OVERHEAD_P99_TARGET_MS: Final = 25.0
THROUGHPUT_TARGET: Final = 0.95
IDLE_RSS_TARGET_MB: Final = 100.0
IDLE_TARGET_ACTORS: Final = 10_000
QUICK_IDLE_ACTORS: Final = 200
SERVER_FLAGS: Final = ("--session-idle-s", "3600")  # no actor may stop while a case measures it
_SETUP_TIMEOUT_S: Final = 60.0


@attrs.frozen
class TurnCase:
    name: str
    sessions: int
    turns: int  # per session, warm-up included
    latency_ms: int
    tokens_per_s: float = 0.0
    warmup_turns: int = 0  # the first turns of each session, played but not counted
    calibration_turns: int = 0
    target_ratio: float | None = None  # of ideal throughput, when the case has that target
    overhead_targets: bool = False  # whether the overhead p50/p99 targets apply
    turn_timeout_s: float = 60.0
    bound_s: float | None = None  # of the turns phase; turns still running then are "unfinished"

    def turns_bound_s(self) -> float:
        return self.bound_s if self.bound_s is not None else self.turns * self.turn_timeout_s + 30.0


@attrs.frozen
class IdleCase:
    name: str
    sessions: int


def cases(quick: bool, slow: bool) -> list[TurnCase | IdleCase]:
    chosen: list[TurnCase | IdleCase] = [
        TurnCase("overhead", 1, 6 if quick else 201, 0, warmup_turns=1, overhead_targets=True),
        TurnCase("throughput", 10 if quick else 100, 1 if quick else 3, 200, calibration_turns=1 if quick else 2),
    ]
    if slow and not quick:
        # Three turns of ~25 s each: the first (all 1,000 sessions starting in the same instant)
        # is the warm-up; the target applies to the steady state of the turns after it.
        chosen.append(
            TurnCase(
                "realistic",
                1_000,
                3,
                5_000,
                warmup_turns=1,
                calibration_turns=1,
                target_ratio=THROUGHPUT_TARGET,
                turn_timeout_s=120.0,
            )
        )
    chosen.append(IdleCase("idle", IDLE_TARGET_ACTORS if slow and not quick else QUICK_IDLE_ACTORS))
    return chosen


def run(quick: bool) -> dict[str, Any]:
    """Run every case, print a table, return `{"benchmark": "sessions", "cases": {…}, "errors": n}`.

    Raises BenchmarkFailed when a process does not start or the set-up over RPC fails.
    """
    slow = os.environ.get(SLOW_ENV, "1") != "0"
    results: dict[str, dict[str, Any]] = {}
    for case in cases(quick, slow):
        print(f"-- {case.name}", flush=True)
        results[case.name] = run_idle_case(case) if isinstance(case, IdleCase) else run_turn_case(case)
    print(_table(results))
    errors = sum(result["errors"] for result in results.values())
    return {"benchmark": NAME, "quick": quick, "slow_cases": slow and not quick, "cases": results, "errors": errors}


# -- set-up over RPC -------------------------------------------------------------------------


def _story_graph() -> dict[str, Any]:
    """One scene, both cast members in it, no way out: every turn plays the same five calls."""
    return {
        "start_node": "harbor",
        "nodes": [
            {
                "id": "harbor",
                "title": "Harbor",
                "scene": "A flooded harbor at dusk, boats knocking together.",
                "goal": "Find out who opened the sluice gate.",
                "characters": ["merchant", "guard"],
                "transitions": [],
                "on_enter_updates": [{"type": "SetState", "key": "tide", "value": "high"}],
            }
        ],
    }


def set_up_story(server_url: str, stub_url: str) -> SessionStart:
    """The engine on the stub, a cast, schemas, a profile and a story; how to start its sessions."""
    with httpx.Client(base_url=server_url, timeout=_SETUP_TIMEOUT_S) as http:
        rpc = Rpc(http)
        rpc.result(
            "api.create",
            {
                "api_id": "stub",
                "display_name": "Stub",
                "provider": "open_ai",
                "base_url": f"{stub_url}/v1",
                "api_key": STUB_KEY,
                "model": STUB_MODEL,
            },
        )
        rpc.result(
            "api_group.create",
            {
                "api_group_id": "bench",
                "display_name": "Bench",
                "bindings": {f"{agent}_api_id": "stub" for agent in AGENTS},
            },
        )
        rpc.result(
            "preset.create",
            {
                "preset_id": "bench",
                "display_name": "Bench",
                "agents": {agent: {"temperature": 0.7, "max_tokens": 512, "modules": []} for agent in AGENTS},
            },
        )
        no_description = None
        rpc.result(
            "schema.create",
            {
                "schema_id": "bench-character",
                "display_name": "Character",
                "fields": {"trust": {"value_type": "int", "default": 0, "description": no_description}},
            },
        )
        rpc.result(
            "schema.create",
            {
                "schema_id": "bench-world",
                "display_name": "World",
                "fields": {
                    "tide": {"value_type": "string", "default": "low", "description": no_description},
                    "sluice_open": {"value_type": "bool", "default": True, "description": no_description},
                },
            },
        )
        rpc.result(
            "schema.create",
            {
                "schema_id": "bench-player",
                "display_name": "Player",
                "fields": {"coins": {"value_type": "int", "default": 5, "description": no_description}},
            },
        )
        for character_id, personality in (("merchant", "greedy but kind"), ("guard", "tired and suspicious")):
            rpc.result(
                "character.create",
                {
                    "content": {
                        "id": character_id,
                        "name": character_id.title(),
                        "personality": personality,
                        "style": "terse",
                        "schema_id": "bench-character",
                        "system_prompt": "You are {{char}}, talking to {{user}}.",
                    }
                },
            )
        resource = rpc.result(
            "story_resources.create",
            {"story_concept": "A harbor town under a storm", "character_ids": ["merchant", "guard"]},
        )
        rpc.result(
            "player_profile.create",
            {"player_profile_id": "courier", "display_name": "Mira", "description": "A cautious courier."},
        )
        story = rpc.result(
            "story.create",
            {
                "resource_id": resource["resource_id"],
                "display_name": "Flooded Harbor",
                "graph": _story_graph(),
                "world_schema_id": "bench-world",
                "player_schema_id": "bench-player",
                "introduction": "You arrive at the harbor as the water rises.",
            },
        )
    return SessionStart(story["story_id"], "courier", "bench", "bench")


# -- the stub's time per turn, from the server's telemetry -------------------------------------


@attrs.frozen
class TurnCalls:
    calls: int
    stub_ms: float  # the sum of the calls' latency_ms
    attempts: int
    failed: int


@attrs.frozen
class Telemetry:
    turns: dict[tuple[str, int], TurnCalls]  # per (session id, turn index)
    call_ends: list[tuple[str, float]]  # (session id, when the call ended in ms since the epoch) of every call


def read_telemetry(database: Path) -> Telemetry:
    """The LLM calls the server recorded, per turn and one by one."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        rows = connection.execute(
            "SELECT session_id, turn_index, count(*), sum(latency_ms), sum(attempts),"
            " count(*) FILTER (WHERE outcome <> 'ok')"
            " FROM llm_calls WHERE session_id IS NOT NULL GROUP BY session_id, turn_index"
        ).fetchall()
        ends = connection.execute(
            "SELECT session_id, started_at_ms + latency_ms FROM llm_calls WHERE session_id IS NOT NULL"
        ).fetchall()
    finally:
        connection.close()
    turns = {
        (session_id, int(turn)): TurnCalls(int(calls), float(stub_ms), int(attempts), int(failed))
        for session_id, turn, calls, stub_ms, attempts, failed in rows
    }
    return Telemetry(turns, [(session_id, float(ended)) for session_id, ended in ends])


def calls_in_window(telemetry: Telemetry, session_ids: list[str], start_ms: float, length_s: float) -> int:
    """How many LLM calls of these sessions ended inside the window."""
    wanted = set(session_ids)
    end_ms = start_ms + length_s * 1000.0
    return sum(1 for session_id, ended in telemetry.call_ends if session_id in wanted and start_ms <= ended <= end_ms)


@attrs.frozen
class TurnTiming:
    sample: TurnSample
    calls: TurnCalls

    @property
    def overhead_ms(self) -> float:
        return self.sample.wall_ms - self.calls.stub_ms


def _pair(samples: list[TurnSample], calls: dict[tuple[str, int], TurnCalls]) -> list[TurnTiming]:
    timings = []
    for sample in samples:
        recorded = calls.get((sample.session_id, sample.turn_index))
        if recorded is None:
            raise BenchmarkFailed(f"{sample.session_id} turn {sample.turn_index}: no LLM calls in the telemetry")
        timings.append(TurnTiming(sample, recorded))
    return timings


# -- the cases -----------------------------------------------------------------------------


def _ms(values: list[float], fraction: float) -> float:
    return round(percentile_ms(sorted(value / 1000.0 for value in values), fraction), 2)


def run_turn_case(case: TurnCase) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"dramaturg-bench-sessions-{case.name}-") as tmp:
        data_dir, log_dir = Path(tmp) / "data", Path(tmp) / "logs"
        commands = [llm_stub(case.latency_ms, case.tokens_per_s), dramaturg_server(data_dir, *SERVER_FLAGS)]
        with serving(commands, log_dir) as servers:
            server, stub = servers[DRAMATURG], servers[LLM_STUB]
            start = set_up_story(server.url, stub.url)
            spec = TurnLoadSpec(
                url=server.url,
                sessions=case.sessions,
                turns_per_session=case.turns,
                start=start,
                calibration_turns=case.calibration_turns,
                create_concurrency=min(32, case.sessions),
                turn_timeout_s=case.turn_timeout_s,
                turns_timeout_s=case.turns_bound_s(),
                server_pid=server.process.pid,
                stub_pid=stub.process.pid,
            )
            load = play(spec)
        telemetry = read_telemetry(data_dir / DATABASE_FILE_NAME)
    return _turn_numbers(case, load, telemetry)


def _turn_numbers(case: TurnCase, load: TurnLoadResult, telemetry: Telemetry) -> dict[str, Any]:
    measured = [sample for sample in load.turns if sample.turn_index > case.warmup_turns]
    timings = _pair(measured, telemetry.turns)
    calibration = _pair(load.calibration, telemetry.turns)
    calls_per_turn = sorted({timing.calls.calls for timing in timings + calibration})
    retried = sum(timing.calls.attempts - timing.calls.calls for timing in timings)
    overheads = [timing.overhead_ms for timing in timings]
    stub_ms = [timing.calls.stub_ms for timing in timings]
    # The ideal: every session plays turn after turn, each taking exactly the stub's time of a turn alone.
    alone = calibration or timings
    stub_turn_alone_ms = statistics.fmean(timing.calls.stub_ms for timing in alone) if alone else 0.0
    counted = len(timings)
    turns_per_s = len(load.turns) / load.window_s if load.window_s > 0 else 0.0
    ideal_turns_per_s = case.sessions / (stub_turn_alone_ms / 1000.0) if stub_turn_alone_ms > 0 else 0.0
    # Turns still running at the bound did part of their work: their calls that ended in the
    # window count, as fractions of a turn. Without unfinished turns both rates agree.
    window_calls = calls_in_window(telemetry, load.session_ids, load.window_start_ms, load.window_s)
    call_turns_per_s = window_calls / CALLS_PER_TURN / load.window_s if load.window_s > 0 else 0.0
    achieved = call_turns_per_s if load.unfinished else turns_per_s
    ratio = achieved / ideal_turns_per_s if ideal_turns_per_s > 0 else 0.0
    # One session has no steady state to speak of: its warm-up and its last turn are the span.
    has_steady_state = case.warmup_turns > 0 and case.sessions > 1
    steady = steady_window(load.turns, case.warmup_turns, case.turns) if has_steady_state else None
    steady_turns_per_s = steady_ratio = None
    if steady is not None:
        start_s, length_s = steady
        steady_calls = calls_in_window(telemetry, load.session_ids, load.window_start_ms + start_s * 1000.0, length_s)
        steady_turns_per_s = steady_calls / CALLS_PER_TURN / length_s
        steady_ratio = steady_turns_per_s / ideal_turns_per_s if ideal_turns_per_s > 0 else 0.0
    errors = load.errors + load.skipped + load.setup_errors
    result: dict[str, Any] = {
        "kind": "turns",
        "sessions": case.sessions,
        "turns_per_session": case.turns,
        "warmup_turns": case.warmup_turns,
        "stub_latency_ms": case.latency_ms,
        "stub_tokens_per_s": case.tokens_per_s,
        "turns_counted": counted,
        "calls_per_turn": calls_per_turn,
        "retried_calls": retried,
        "setup_s": load.setup_s,
        "window_s": load.window_s,
        "turns_per_s": round(turns_per_s, 2),
        "calls_in_window": window_calls,
        "call_turns_per_s": round(call_turns_per_s, 2),
        "stub_turn_alone_ms": round(stub_turn_alone_ms, 1),
        "ideal_turns_per_s": round(ideal_turns_per_s, 2),
        "ratio_to_ideal": round(ratio, 4),
        "steady_window_s": None if steady is None else [round(value, 2) for value in steady],
        "steady_turns_per_s": None if steady_turns_per_s is None else round(steady_turns_per_s, 2),
        "steady_ratio_to_ideal": None if steady_ratio is None else round(steady_ratio, 4),
        "wall_p50_ms": _ms([timing.sample.wall_ms for timing in timings], 0.50),
        "wall_p99_ms": _ms([timing.sample.wall_ms for timing in timings], 0.99),
        "stub_p50_ms": _ms(stub_ms, 0.50),
        "stub_p99_ms": _ms(stub_ms, 0.99),
        "overhead_p50_ms": _ms(overheads, 0.50),
        "overhead_p99_ms": _ms(overheads, 0.99),
        "ack_p50_ms": _ms([timing.sample.ack_ms for timing in timings], 0.50),
        "ack_p99_ms": _ms([timing.sample.ack_ms for timing in timings], 0.99),
        "first_delta_p50_ms": _ms(_first_deltas(timings), 0.50),
        "first_delta_p99_ms": _ms(_first_deltas(timings), 0.99),
        "errors": errors,
        "failed_frames": load.failed_frames,
        "skipped_turns": load.skipped,
        "unfinished_turns": load.unfinished,
        "setup_errors": load.setup_errors,
        "first_error": load.first_error,
        "server_cpu": load.server_cpu,
        "stub_cpu": load.stub_cpu,
        "client_cpu": load.client_cpu,
        "other_cpu": load.other_cpu,
        "server_rss_mb": _rss(load.server_memory_after_turns),
        "server_peak_rss_mb": _peak(load.server_memory_after_turns),
    }
    if calls_per_turn and calls_per_turn != [CALLS_PER_TURN]:
        result["note"] = f"expected {CALLS_PER_TURN} LLM calls per turn, saw {calls_per_turn}"
    if case.overhead_targets:
        result["targets"] = {"overhead_p50_ms": OVERHEAD_P50_TARGET_MS, "overhead_p99_ms": OVERHEAD_P99_TARGET_MS}
        result["meets_target"] = (
            result["overhead_p50_ms"] <= OVERHEAD_P50_TARGET_MS and result["overhead_p99_ms"] <= OVERHEAD_P99_TARGET_MS
        )
    if case.target_ratio is not None:
        result["targets"] = {"steady_ratio_to_ideal": case.target_ratio, "errors": 0, "bound_s": case.turns_bound_s()}
        result["meets_target"] = (
            steady_ratio is not None and steady_ratio >= case.target_ratio and errors == 0 and load.unfinished == 0
        )
    return result


def steady_window(samples: list[TurnSample], warmup_turns: int, turns: int) -> tuple[float, float] | None:
    """(start, length) in seconds from the turns phase's start of the span in which every
    session was past its warm-up and none had finished: from the end of the last warm-up turn
    to the end of the first session's last turn. None when there is no such span (a session
    did not play all its turns, or the spans do not overlap)."""
    warmed_up: dict[str, float] = {}
    finished: dict[str, float] = {}
    for sample in samples:
        ended_s = sample.started_s + sample.wall_ms / 1000.0
        if sample.turn_index == warmup_turns:
            warmed_up[sample.session_id] = ended_s
        if sample.turn_index == turns:
            finished[sample.session_id] = ended_s
    if not finished or warmed_up.keys() != finished.keys():
        return None
    start_s, end_s = max(warmed_up.values()), min(finished.values())
    return (start_s, end_s - start_s) if end_s > start_s else None


def _first_deltas(timings: list[TurnTiming]) -> list[float]:
    return [timing.sample.first_delta_ms for timing in timings if timing.sample.first_delta_ms is not None]


def _rss(reading: MemoryReading | None) -> float | None:
    return None if reading is None else reading.rss_mb


def _peak(reading: MemoryReading | None) -> float | None:
    return None if reading is None else reading.peak_rss_mb


def run_idle_case(case: IdleCase) -> dict[str, Any]:
    """Create the sessions, read the server's RSS, wake every session's actor with one
    `session.update`, read the RSS again: the difference is what the idle actors hold."""
    with tempfile.TemporaryDirectory(prefix=f"dramaturg-bench-sessions-{case.name}-") as tmp:
        data_dir, log_dir = Path(tmp) / "data", Path(tmp) / "logs"
        with serving([llm_stub(), dramaturg_server(data_dir, *SERVER_FLAGS)], log_dir) as servers:
            server, stub = servers[DRAMATURG], servers[LLM_STUB]
            start = set_up_story(server.url, stub.url)
            spec = TurnLoadSpec(
                url=server.url,
                sessions=case.sessions,
                turns_per_session=0,
                start=start,
                touch=True,
                setup_timeout_s=600.0,
                turns_timeout_s=10.0,
                server_pid=server.process.pid,
                stub_pid=stub.process.pid,
            )
            load = play(spec)
    before, after = load.server_memory_before_touch, load.server_memory_after_touch
    measured = len(load.session_ids) - TOUCH_WARMUP
    growth_mb = None if before is None or after is None else round(after.rss_mb - before.rss_mb, 1)
    per_actor_kb = None if growth_mb is None else round(growth_mb * 1024.0 / max(measured, 1), 2)
    projected_mb = None if per_actor_kb is None else round(per_actor_kb * IDLE_TARGET_ACTORS / 1024.0, 1)
    errors = load.setup_errors + load.touch_errors
    return {
        "kind": "idle",
        "sessions": case.sessions,
        "created": len(load.session_ids),
        "create_s": load.setup_s,
        "sessions_per_s": round(len(load.session_ids) / load.setup_s, 1) if load.setup_s else 0.0,
        "measured_actors": measured,
        "touch_s": load.touch_s,
        "server_rss_before_mb": _rss(before),
        "server_rss_after_mb": _rss(after),
        "server_peak_rss_mb": _peak(after),
        "rss_growth_mb": growth_mb,
        "per_actor_kb": per_actor_kb,
        "projected_10k_mb": projected_mb,
        "targets": {"projected_10k_mb": IDLE_RSS_TARGET_MB},
        "meets_target": projected_mb is not None and projected_mb <= IDLE_RSS_TARGET_MB,
        "errors": errors,
        "first_error": load.first_error,
    }


# -- the table -------------------------------------------------------------------------------


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _verdict(result: dict[str, Any]) -> str:
    if "meets_target" not in result:
        return ""
    return "ok" if result["meets_target"] else "MISSED"


def _table(results: dict[str, dict[str, Any]]) -> str:
    turn_rows = [(name, r) for name, r in results.items() if r["kind"] == "turns"]
    lines = []
    if turn_rows:
        lines.append(
            f"{'case':<11} {'N x M':>10} {'stub ms':>7} {'turns/s':>8} {'ideal':>8} {'ratio':>6} "
            f"{'steady':>6} {'ovh p50':>8} {'ovh p99':>8} {'ack>d p50':>9} {'ack>d p99':>9} {'errors':>6} "
            f"{'unfin':>5}  target"
        )
        for name, r in turn_rows:
            shape = f"{r['sessions']} x {r['turns_per_session']}"
            lines.append(
                f"{name:<11} {shape:>10} {r['stub_latency_ms']:>7} {_cell(r['turns_per_s'], 2):>8}"
                f" {_cell(r['ideal_turns_per_s'], 2):>8} {_cell(r['ratio_to_ideal'], 3):>6}"
                f" {_cell(r['steady_ratio_to_ideal'], 3):>6}"
                f" {_cell(r['overhead_p50_ms']):>8} {_cell(r['overhead_p99_ms']):>8}"
                f" {_cell(r['first_delta_p50_ms']):>9} {_cell(r['first_delta_p99_ms']):>9} {r['errors']:>6}"
                f" {r['unfinished_turns']:>5}  {_verdict(r)}"
            )
        lines.append("")
        lines.append(
            f"{'case':<11} {'cpu srv':>7} {'cpu stub':>8} {'cpu cli':>7} {'cpu oth':>7} {'srv RSS MB':>10} "
            f"{'peak MB':>8}"
        )
        for name, r in turn_rows:
            lines.append(
                f"{name:<11} {_cell(r['server_cpu'], 2):>7} {_cell(r['stub_cpu'], 2):>8} {_cell(r['client_cpu'], 2):>7}"
                f" {_cell(r['other_cpu'], 2):>7} {_cell(r['server_rss_mb']):>10} {_cell(r['server_peak_rss_mb']):>8}"
            )
    for name, r in results.items():
        if r["kind"] == "idle":
            lines.append(
                f"{name}: {r['created']} sessions created in {_cell(r['create_s'])} s, {r['measured_actors']} of their "
                f"actors woken in {_cell(r['touch_s'])} s; server RSS {_cell(r['server_rss_before_mb'])} -> "
                f"{_cell(r['server_rss_after_mb'])} MB (+{_cell(r['rss_growth_mb'])} MB, {_cell(r['per_actor_kb'])} KB "
                f"per actor, {_cell(r['projected_10k_mb'])} MB per 10,000); errors {r['errors']}  {_verdict(r)}"
            )
        if r.get("first_error"):
            lines.append(f"{name}: first error: {r['first_error']}")
        if r.get("note"):
            lines.append(f"{name}: {r['note']}")
    return "\n".join(lines)


# -- one case by hand ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_sessions", description="Run one sessions case with chosen settings."
    )
    parser.add_argument("--case", choices=["overhead", "throughput", "realistic", "idle"], required=True)
    parser.add_argument("--sessions", type=int)
    parser.add_argument("--turns", type=int)
    parser.add_argument("--latency-ms", type=int)
    parser.add_argument("--tokens-per-s", type=float)
    parser.add_argument("--bound-s", type=float, help="end the turns phase after this many seconds")
    args = parser.parse_args(argv)
    base = {case.name: case for case in cases(quick=False, slow=True)}[args.case]
    if isinstance(base, IdleCase):
        idle_case = attrs.evolve(base, sessions=args.sessions or base.sessions)
        result = run_idle_case(idle_case)
        name = idle_case.name
    else:
        changes = {
            "sessions": args.sessions,
            "turns": args.turns,
            "latency_ms": args.latency_ms,
            "tokens_per_s": args.tokens_per_s,
            "bound_s": args.bound_s,
        }
        turn_case = attrs.evolve(base, **{key: value for key, value in changes.items() if value is not None})
        result = run_turn_case(turn_case)
        name = turn_case.name
    print(_table({name: result}))
    print(json.dumps(result, indent=1))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
