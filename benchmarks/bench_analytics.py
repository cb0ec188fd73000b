"""The analytics benchmark: every report over a million LLM calls and a million transcript messages.

A real server builds the structure over RPC (the sessions benchmark's story, four more stories
with 12-node graphs, three priced apis, one session per story) and stops. The history is then
written straight into its DuckDB file, the fast way (`INSERT … SELECT … FROM range(…)`), as the
server would have written it over 30 days: 10,000 sessions cloned from the real ones, 100
messages each, 20 turns each (3 % failed), and 1,000,000 LLM calls spread over the 30 days.
The server starts again on that file and each case is one JSON-RPC request over HTTP, timed by
the client from the request to the whole answer: one warm-up, then REPEATS in a row.

The first LLM usage report folds the 30 past days into the day rollups (`runtime.analytics`);
that one-time fold is timed and reported on its own (`first_report_ms`). Targets: every report
≤ 200 ms, `dashboard.get` ≤ 50 ms (p50). `--quick` writes 5,000 calls and messages.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import attrs
import duckdb
import httpx
import trio

from benchmarks import BenchmarkFailed
from benchmarks._cpu import take_sample
from benchmarks._load import percentile_ms
from benchmarks._processes import DRAMATURG, dramaturg_server, serving
from benchmarks._rpc import Rpc
from benchmarks.bench_sessions import set_up_story
from runtime.store import DATABASE_FILE_NAME

NAME: Final = "analytics"
REPORT_TARGET_MS: Final = 200.0
DASHBOARD_TARGET_MS: Final = 50.0
DAY_MS: Final = 86_400_000
DAYS: Final = 30
NODES: Final = 12
EXTRA_STORIES: Final = 4
AGENTS: Final = ("keeper", "director", "narrator", "actor", "keeper", "replyer", "planner", "architect")
OUTCOMES: Final = ("timeout", "provider_error", "invalid_output", "format_warning", "cancelled")
STAGES: Final = ("KeeperAfterPlayerInput", "Director", "Narrator", "Actor", "KeeperAfterTurnOutputs")
UNREACHABLE_URL: Final = "http://127.0.0.1:9"  # no LLM is called: the apis only need to exist
HTTP_TIMEOUT_S: Final = 600.0


@attrs.frozen
class Sizes:
    llm_calls: int
    sessions: int
    messages_per_session: int
    turns_per_session: int
    repeats: int


FULL = Sizes(llm_calls=1_000_000, sessions=10_000, messages_per_session=100, turns_per_session=20, repeats=15)
QUICK = Sizes(llm_calls=5_000, sessions=50, messages_per_session=100, turns_per_session=20, repeats=2)


@attrs.frozen
class Case:
    name: str
    method: str
    params: dict[str, Any]
    target_ms: float = REPORT_TARGET_MS


def cases(story_id: str, now_ms: int) -> list[Case]:
    month_ago = now_ms - DAYS * DAY_MS
    return [
        Case("llm_usage totals", "analytics.llm_usage", {}),
        Case("llm_usage by agent", "analytics.llm_usage", {"group_by": ["agent"]}),
        Case("llm_usage by day, agent", "analytics.llm_usage", {"group_by": ["day", "agent"], "since_ms": month_ago}),
        Case("llm_usage by api, model", "analytics.llm_usage", {"group_by": ["api", "model"]}),
        Case(
            "llm_usage by agent, api, model, day", "analytics.llm_usage", {"group_by": ["agent", "api", "model", "day"]}
        ),
        Case("llm_usage histogram by agent", "analytics.llm_usage", {"group_by": ["agent"], "latency_histogram": True}),
        Case(
            "llm_usage last 36 h by agent",  # cuts through a day: that day is read from llm_calls
            "analytics.llm_usage",
            {"group_by": ["agent"], "since_ms": now_ms - 36 * 3_600_000},
        ),
        Case("play by story", "analytics.play", {"group_by": ["story"]}),
        Case("play by day", "analytics.play", {"group_by": ["day"]}),
        Case("play by story, day", "analytics.play", {"group_by": ["story", "day"]}),
        Case("play by session, one story", "analytics.play", {"group_by": ["session"], "story_id": story_id}),
        Case("play by session, all (10k rows)", "analytics.play", {"group_by": ["session"]}),
        Case("play by session, first 1,000", "analytics.play", {"group_by": ["session"], "limit": 1000}),
        Case(
            "play by session, last 1,000",
            "analytics.play",
            {"group_by": ["session"], "limit": 1000, "offset": 9000},
        ),
        Case("node_visits", "analytics.node_visits", {"story_id": story_id}),
        Case("dashboard.get", "dashboard.get", {}, DASHBOARD_TARGET_MS),
    ]


# -- the structure, over RPC -------------------------------------------------------------


def _chain_graph() -> dict[str, Any]:
    """NODES scenes in a row, each leading to the next once its gate is open; the last one ends."""
    ids = [f"scene-{index}" for index in range(NODES)]
    nodes = [
        {
            "id": node_id,
            "title": f"Scene {index}",
            "scene": "Rain on the harbor.",
            "goal": "Move on.",
            "characters": ["merchant", "guard"] if index < NODES - 1 else [],
            "transitions": [] if index == NODES - 1 else [{"to": ids[index + 1], "condition": None}],
        }
        for index, node_id in enumerate(ids)
    ]
    return {"start_node": ids[0], "nodes": nodes}


def build_structure(server_url: str) -> list[str]:
    """Stories, apis and one real session per story; returns the story ids."""
    start = set_up_story(server_url, UNREACHABLE_URL)
    with httpx.Client(base_url=server_url, timeout=HTTP_TIMEOUT_S) as http:
        rpc = Rpc(http)
        rpc.result(
            "api.update",
            {"api_id": "stub", "prices": {"input_per_million_tokens": 0.15, "output_per_million_tokens": 0.6}},
        )
        for api_id, prices in (
            ("large", {"input_per_million_tokens": 3.0, "output_per_million_tokens": 15.0}),
            ("local", None),
        ):
            api = {"api_id": api_id, "display_name": api_id, "provider": "open_ai", "base_url": UNREACHABLE_URL}
            rpc.result("api.create", {**api, "api_key": "sk-bench", "model": f"{api_id}-model", "prices": prices})
        resource_id = rpc.result("story_resources.list", {})["resources"][0]["resource_id"]
        story_ids = [start.story_id]
        for index in range(EXTRA_STORIES):
            story = rpc.result(
                "story.create",
                {
                    "resource_id": resource_id,
                    "display_name": f"Harbor {index}",
                    "graph": _chain_graph(),
                    "world_schema_id": "bench-world",
                    "player_schema_id": "bench-player",
                    "introduction": "The water rises.",
                },
            )
            story_ids.append(story["story_id"])
        for story_id in story_ids:
            rpc.result("story.start_session", attrs.asdict(attrs.evolve(start, story_id=story_id)))
    return story_ids


# -- the history, straight into the file -------------------------------------------------


def write_history(database: Path, sizes: Sizes, now_ms: int) -> float:
    """Write the sessions, messages, turns and calls described in the module docstring; seconds taken."""
    started = time.perf_counter()
    first_ms = now_ms - DAYS * DAY_MS
    span_ms = DAYS * DAY_MS
    with duckdb.connect(str(database)) as db:
        db.execute(
            "CREATE TEMP TABLE templates AS SELECT *, row_number() OVER (ORDER BY session_id) - 1 AS n FROM sessions"
        )
        template_count = db.execute("SELECT count(*) FROM templates").fetchall()[0][0]
        db.execute(
            f"""
            INSERT INTO sessions
            SELECT 'bench-session-' || i, t.story_id, t.player_profile_id, t.player_schema_id, t.api_group_id,
                   t.preset_id, {sizes.turns_per_session}, {first_ms} + i * {span_ms // sizes.sessions},
                   {now_ms}, json_merge_patch(t.doc, json_object('session_id', 'bench-session-' || i))
            FROM range({sizes.sessions}) AS r(i) JOIN templates AS t ON t.n = i % {template_count}
            """
        )
        db.execute(
            f"""
            INSERT INTO session_messages
            SELECT session_id || '-message-' || seq, session_id, seq,
                   json_object('message_id', session_id || '-message-' || seq,
                               'kind', ['player_input', 'narration', 'dialogue', 'action', 'narration'][seq % 5 + 1],
                               'sequence', seq, 'turn_index', seq // 5 + 1, 'recorded_at_ms', at_ms, 'created_at_ms', at_ms,
                               'updated_at_ms', at_ms, 'speaker_id', 'narrator', 'speaker_name', 'Narrator',
                               'text', 'The water climbs another step up the harbor stairs.')
            FROM (
                SELECT s.session_id, m.seq, s.created_at_ms + m.seq * 60000 AS at_ms
                FROM sessions AS s, range({sizes.messages_per_session}) AS m(seq)
                WHERE s.session_id LIKE 'bench-session-%'
            )
            """
        )
        db.execute(
            f"""
            INSERT INTO turns
            SELECT s.session_id, s.story_id, t.k + 1, s.created_at_ms + t.k * 300000, 2000 + hash(s.session_id, t.k) % 9000,
                   CASE WHEN hash(s.session_id, t.k) % 33 = 0 THEN 'failed' ELSE 'completed' END,
                   'scene-' || least(t.k // 2, {NODES - 1}), 'scene-' || least((t.k + 1) // 2, {NODES - 1}),
                   NULL, NULL, NULL, 5
            FROM sessions AS s, range({sizes.turns_per_session}) AS t(k)
            WHERE s.session_id LIKE 'bench-session-%'
            """
        )
        db.execute(
            f"""
            UPDATE turns SET node_after = NULL, llm_calls = 2, error_code = 50002,
                   failed_stage = {_sql_list(STAGES)}[CAST(hash(session_id, turn_index) % {len(STAGES)} AS BIGINT) + 1],
                   error_message = 'turn failed: provider error (500)'
            WHERE outcome = 'failed'
            """
        )
        db.execute(
            f"""
            INSERT INTO llm_calls
            SELECT nextval('llm_call_ids'), {first_ms} + i * ({span_ms} // {sizes.llm_calls}),
                   {_sql_list(AGENTS)}[i % {len(AGENTS)} + 1], api, 'open_ai', api || '-model', i % 3 = 0,
                   800 + h % 3000, 50 + h % 400, latency, CASE WHEN i % 3 = 0 THEN latency / (2 + h % 5) END,
                   1 + (h % 97 = 0)::INTEGER,
                   CASE WHEN h % 50 = 0 THEN {_sql_list(OUTCOMES)}[h // 50 % {len(OUTCOMES)} + 1] ELSE 'ok' END,
                   NULL, 'bench-session-' || (i % {sizes.sessions}), i % {sizes.turns_per_session} + 1, NULL,
                   CASE WHEN h % 61 = 0 THEN 'repair' WHEN h % 83 = 0 THEN 'retry' ELSE 'first' END, NULL, 1024
            FROM (
                SELECT i, CAST(hash(i) % 1000000007 AS BIGINT) AS h, ['stub', 'large', 'local'][i % 3 + 1] AS api,
                       exp(5.5 + (hash(i * 7) % 1000) / 400.0) AS latency
                FROM range({sizes.llm_calls}) AS r(i)
            )
            """
        )
        db.execute("CHECKPOINT")
    return time.perf_counter() - started


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{value}'" for value in values) + "]"


# -- the measurements --------------------------------------------------------------------


def _timed_call(http: httpx.Client, method: str, params: dict[str, Any]) -> tuple[float, int]:
    """Seconds for one request, answer read; and the answer's size. Raises BenchmarkFailed on an error."""
    envelope = {"jsonrpc": "2.0", "id": "bench", "method": method, "params": params}
    started = time.perf_counter()
    response = http.post("/rpc", json=envelope)
    body = response.content
    seconds = time.perf_counter() - started
    answer = json.loads(body)
    if "error" in answer:
        raise BenchmarkFailed(f"{method} {params}: {answer['error']}")
    return seconds, len(body)


def _server_cpu_s(pid: int) -> float:
    """CPU seconds the server process has used so far (0.0 where /proc cannot be read)."""
    return trio.run(take_sample, pid).process_s or 0.0


def measure(http: httpx.Client, server_pid: int, case: Case, repeats: int) -> dict[str, Any]:
    """`repeats` requests after a warm-up: wall time per request, and the server's CPU time per
    request (which a busy machine lengthens far less than the wall time)."""
    _timed_call(http, case.method, case.params)
    cpu_before_s = _server_cpu_s(server_pid)
    samples = [_timed_call(http, case.method, case.params) for _ in range(repeats)]
    server_cpu_ms = (_server_cpu_s(server_pid) - cpu_before_s) * 1000 / repeats
    latencies = sorted(seconds for seconds, _ in samples)
    p50_ms = percentile_ms(latencies, 0.5)
    return {
        "method": case.method,
        "params": case.params,
        "p50_ms": round(p50_ms, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "server_cpu_ms": round(server_cpu_ms, 1),
        "answer_bytes": samples[-1][1],
        "target_ms": case.target_ms,
        "meets_target": p50_ms <= case.target_ms,
    }


def run(quick: bool) -> dict[str, Any]:
    """Build, fill, measure; print the table and return the numbers. Raises BenchmarkFailed."""
    sizes = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="dramaturg-bench-analytics-") as temp:
        root = Path(temp)
        data_dir = root / "data"
        with serving([dramaturg_server(data_dir)], root / "logs") as servers:
            story_ids = build_structure(servers[DRAMATURG].url)
        now_ms = int(time.time() * 1000)
        fill_s = write_history(data_dir / DATABASE_FILE_NAME, sizes, now_ms)
        with (
            serving([dramaturg_server(data_dir)], root / "logs-measured") as servers,
            httpx.Client(base_url=servers[DRAMATURG].url, timeout=HTTP_TIMEOUT_S) as http,
        ):
            first_s, _ = _timed_call(http, "analytics.llm_usage", {})
            server_pid = servers[DRAMATURG].process.pid
            results = {
                case.name: measure(http, server_pid, case, sizes.repeats) for case in cases(story_ids[-1], now_ms)
            }
            snapshot_s, _ = _timed_call(http, "analytics.snapshot", {})
    report = {
        "benchmark": NAME,
        "quick": quick,
        "llm_calls": sizes.llm_calls,
        "messages": sizes.sessions * sizes.messages_per_session,
        "sessions": sizes.sessions,
        "turns": sizes.sessions * sizes.turns_per_session,
        "fill_s": round(fill_s, 2),
        "first_report_ms": round(first_s * 1000, 1),
        "snapshot_s": round(snapshot_s, 2),
        "repeats": sizes.repeats,
        "load_average": round(os.getloadavg()[0], 2),
        "cases": results,
        "errors": 0,
    }
    _print_table(report)
    return report


def _print_table(report: dict[str, Any]) -> None:
    print(
        f"{report['llm_calls']:,} llm_calls, {report['messages']:,} messages, {report['sessions']:,} sessions, "
        f"{report['turns']:,} turns (written in {report['fill_s']} s); p50 of {report['repeats']} requests each"
    )
    print(f"load average of the machine: {report['load_average']} (the machine has {os.cpu_count()} cores)")
    print(f"{'case':<40} {'p50 ms':>8} {'max ms':>8} {'cpu ms':>8} {'bytes':>9} {'target':>8}")
    for name, case in report["cases"].items():
        verdict = "ok" if case["meets_target"] else "MISSED"
        target = f"≤ {case['target_ms']:.0f}"
        print(
            f"{name:<40} {case['p50_ms']:>8.1f} {case['max_ms']:>8.1f} {case['server_cpu_ms']:>8.1f} "
            f"{case['answer_bytes']:>9} {target:>8} {verdict}"
        )
    print(f"first llm_usage report, folding {DAYS} days: {report['first_report_ms']} ms")
    print(f"analytics.snapshot of the whole database: {report['snapshot_s']} s")


if __name__ == "__main__":
    run(quick=False)
