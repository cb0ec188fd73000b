"""The benchmark harness end to end, in its quickest mode: real server processes, a real load process."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.__main__ import main
from benchmarks._load import percentile_ms, require_loopback
from benchmarks._turn_load import TurnSample, _play_turn
from benchmarks.bench_sessions import steady_window
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, RunningServer
from tests.support.session_world import playable_session

CASES = ("bare", "character.get", "preset.get", "character.create")
CASE_KEYS = {
    "name",
    "kind",
    "requests",
    "errors",
    "window_s",
    "rps",
    "p50_ms",
    "p99_ms",
    "client_cpu",
    "server_cpu",
    "other_cpu",
    "ratio_to_bare",
    "target_ratio",
    "meets_target",
    "first_error",
}


def test_quick_foundation_run_writes_every_case_without_errors(tmp_path: Path) -> None:
    exit_status = main(["--only", "foundation", "--quick", "--duration", "0.5", "--results-dir", str(tmp_path)])

    report = json.loads((tmp_path / "foundation.json").read_text())
    assert exit_status == 0
    assert report["benchmark"] == "foundation"
    assert set(report["settings"]) >= {"clients", "warmup_s", "duration_s", "max_requests"}
    assert report["rounds"] == 1
    assert list(report["cases"]) == list(CASES)
    for name, case in report["cases"].items():
        assert set(case) == CASE_KEYS, name
        assert case["errors"] == 0 and case["first_error"] is None, case
        assert case["requests"] > 0 and case["rps"] > 0, case
        assert 0 < case["p50_ms"] <= case["p99_ms"], case
    assert report["cases"]["bare"]["ratio_to_bare"] == 1.0
    assert report["cases"]["character.get"]["target_ratio"] == 0.7
    assert report["cases"]["character.create"]["target_ratio"] == 0.5


def test_quick_lore_run_activates_entries_and_writes_its_numbers(tmp_path: Path) -> None:
    assert main(["--only", "lore", "--quick", "--results-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "lore.json").read_text())
    assert (report["entries"], report["runs"]) == (10_000, 20)
    assert report["scan_chars"] >= 50_000 and report["entries_activated"] > 0
    assert 0 < report["activate_p50_ms"] <= report["activate_p95_ms"]


@pytest.mark.parametrize("url", ["http://10.0.0.5:8080", "http://192.168.1.2", "http://example.com"])
def test_load_generator_refuses_targets_off_this_machine(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        require_loopback(url)


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    latencies_s = [index / 1000 for index in range(1, 101)]  # 1 ms … 100 ms
    assert percentile_ms(latencies_s, 0.50) == pytest.approx(50.0)
    assert percentile_ms(latencies_s, 0.99) == pytest.approx(99.0)
    assert percentile_ms([], 0.99) == 0.0


def test_quick_sessions_run_plays_turns_and_wakes_idle_actors_without_errors(tmp_path: Path) -> None:
    exit_status = main(["--only", "sessions", "--quick", "--results-dir", str(tmp_path)])

    report = json.loads((tmp_path / "sessions.json").read_text())
    assert exit_status == 0
    assert report["benchmark"] == "sessions" and report["errors"] == 0
    assert list(report["cases"]) == ["overhead", "throughput", "idle"]
    for name in ("overhead", "throughput"):
        case = report["cases"][name]
        assert case["errors"] == 0 and case["unfinished_turns"] == 0 and case["first_error"] is None, case
        assert case["calls_per_turn"] == [5], case  # 2 Keeper + Director + Narrator beat + Actor beat
        assert case["turns_counted"] == case["sessions"] * (case["turns_per_session"] - case["warmup_turns"])
        assert case["stub_turn_alone_ms"] > 0 and case["ideal_turns_per_s"] > 0 and case["turns_per_s"] > 0
        assert 0 < case["overhead_p50_ms"] <= case["overhead_p99_ms"], case
        assert 0 < case["first_delta_p50_ms"] <= case["first_delta_p99_ms"], case
        assert case["server_cpu"] is not None and case["stub_cpu"] is not None
    assert report["cases"]["overhead"]["targets"] == {"overhead_p50_ms": 5.0, "overhead_p99_ms": 25.0}
    idle = report["cases"]["idle"]
    assert idle["created"] == idle["sessions"] and idle["errors"] == 0
    assert idle["measured_actors"] == idle["sessions"] - 32
    assert idle["server_rss_after_mb"] >= idle["server_rss_before_mb"] > 0


def _sample(session_id: str, turn_index: int, started_s: float, wall_s: float) -> TurnSample:
    return TurnSample(session_id, turn_index, started_s, wall_s * 1000.0, 1.0, None, 10)


def test_the_steady_window_runs_from_the_last_warm_up_to_the_first_finish() -> None:
    samples = [
        _sample("a", 1, 0.0, 30.0),
        _sample("a", 2, 30.0, 25.0),
        _sample("a", 3, 55.0, 25.0),
        _sample("b", 1, 0.0, 33.0),
        _sample("b", 2, 33.0, 25.0),
        _sample("b", 3, 58.0, 26.0),
    ]
    assert steady_window(samples, warmup_turns=1, turns=3) == (33.0, 47.0)
    # a session that did not play all its turns leaves no steady window
    assert steady_window(samples[:-1], warmup_turns=1, turns=3) is None
    # nor do spans that do not overlap
    assert (
        steady_window(
            [
                _sample("a", 1, 0.0, 10.0),
                _sample("a", 2, 10.0, 5.0),
                _sample("b", 1, 0.0, 20.0),
                _sample("b", 2, 20.0, 5.0),
            ],
            1,
            2,
        )
        is None
    )


async def test_the_load_generator_plays_a_sessions_turns_on_one_kept_connection(
    server: RunningServer, rpc: RpcClient, llm_stub: RunningStub
) -> None:
    """A stream read to its end gives its connection back; one closed early would cost a connect per turn."""
    session_id = await playable_session(rpc, llm_stub)
    local_ends: list[object] = []

    async def record(response: httpx.Response) -> None:
        local_ends.append(response.extensions["network_stream"].get_extra_info("client_addr"))

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, event_hooks={"response": [record]}) as http:
        samples = [await _play_turn(http, session_id, f"turn-{n}", "Look around.", time.perf_counter()) for n in (1, 2)]
    assert [sample.turn_index for sample in samples] == [1, 2]
    assert all(0 < sample.ack_ms <= sample.wall_ms for sample in samples)
    assert len(local_ends) == 2 and local_ends[0] == local_ends[1]


def test_quick_cards_run_imports_every_card_through_the_command(tmp_path: Path) -> None:
    exit_status = main(["--only", "cards", "--quick", "--results-dir", str(tmp_path)])

    report = json.loads((tmp_path / "cards.json").read_text())
    assert exit_status == 0
    assert report["cards"] == 20
    assert report["cards_per_s"] > 0 and 400_000 < report["mean_card_bytes"] < 600_000


def test_quick_analytics_run_answers_every_report_over_a_written_history(tmp_path: Path) -> None:
    exit_status = main(["--only", "analytics", "--quick", "--results-dir", str(tmp_path)])

    report = json.loads((tmp_path / "analytics.json").read_text())
    assert exit_status == 0
    assert (report["llm_calls"], report["messages"]) == (5_000, 5_000)
    assert {case["method"] for case in report["cases"].values()} == {
        "analytics.llm_usage",
        "analytics.play",
        "analytics.node_visits",
        "dashboard.get",
    }
    for name, case in report["cases"].items():
        assert 0 < case["p50_ms"] <= case["max_ms"] and case["answer_bytes"] > 0, name
    assert report["snapshot_s"] > 0
