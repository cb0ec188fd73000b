"""The generation benchmark: Dramaturg's own time per section of a chunked story draft.

One run starts the Dramaturg server (fresh DuckDB in a temporary directory) and the LLM stub
(`dramaturg llm-stub --mode auto`, zero latency), each in its own process, binds every agent
to the stub over RPC, and builds drafts of a 10-paragraph plan: `story_draft.start` (section
0), then `story_draft.continue` for each of the other 9 sections. A section's server time is
the wall time of its `continue` minus the stub's own time for that call, as the server's
telemetry recorded it (`llm_calls.latency_ms`, read from the DuckDB file once the server has
stopped). The first draft warms up and is not counted.

Target: server time per section p50 ≤ 20 ms. `run` prints a table and returns the numbers.
"""

from __future__ import annotations

import sys
import tempfile
import time
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

NAME: Final = "generation"
SECTIONS: Final = 10
TARGET_P50_MS: Final = 20.0
QUICK_DRAFTS: Final = 2  # the first of them is the warm-up
FULL_DRAFTS: Final = 8
AGENTS: Final = ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")
STUB_MODEL: Final = "stub-bench"
STUB_KEY: Final = "bench-key"
_REQUEST_TIMEOUT_S: Final = 60.0


@attrs.frozen
class SectionTiming:
    draft_id: str
    section_index: int
    wall_ms: float
    stub_ms: float

    @property
    def server_ms(self) -> float:
        return self.wall_ms - self.stub_ms


def run(quick: bool) -> dict[str, Any]:
    """Measure, print a table, and return `{"sections": n, "server_p50_ms": …, …}`.

    Raises BenchmarkFailed when a process does not start or a request fails.
    """
    drafts = QUICK_DRAFTS if quick else FULL_DRAFTS
    with tempfile.TemporaryDirectory(prefix="dramaturg-bench-generation-") as tmp:
        data_dir, log_dir = Path(tmp) / "data", Path(tmp) / "logs"
        with serving([llm_stub(), dramaturg_server(data_dir)], log_dir) as servers:
            walls = _build_drafts(servers[DRAMATURG].url, servers[LLM_STUB].url, drafts)
        stub_times = _continue_call_latencies(data_dir / "dramaturg.duckdb")
    timings = _pair(walls, stub_times)
    measured = [timing for timing in timings if timing.draft_id != timings[0].draft_id]
    numbers = _numbers(measured, drafts - 1)
    print(_table(numbers))
    return numbers


# -- driving the server ----------------------------------------------------------------------


def _build_drafts(server_url: str, stub_url: str, drafts: int) -> list[tuple[str, int, float]]:
    """Set up, then build `drafts` drafts; the wall time of every `continue`, in order."""
    walls: list[tuple[str, int, float]] = []
    with httpx.Client(base_url=server_url, timeout=_REQUEST_TIMEOUT_S) as http:
        rpc = Rpc(http)
        resource_id = _set_up(rpc, stub_url)
        for _ in range(drafts):
            draft = rpc.result("story_draft.start", {"resource_id": resource_id})
            while draft["status"] == "building":
                index = draft["next_section_index"]
                started = time.perf_counter()
                draft = rpc.result("story_draft.continue", {"draft_id": draft["draft_id"]})
                walls.append((draft["draft_id"], index, (time.perf_counter() - started) * 1000.0))
            if draft["total_sections"] != SECTIONS:
                raise BenchmarkFailed(f"expected {SECTIONS} sections, the draft has {draft['total_sections']}")
    return walls


def _set_up(rpc: Rpc, stub_url: str) -> str:
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
        {"api_group_id": "bench", "display_name": "Bench", "bindings": {f"{agent}_api_id": "stub" for agent in AGENTS}},
    )
    rpc.result(
        "preset.create",
        {"preset_id": "bench", "display_name": "Bench", "agents": {agent: {"modules": []} for agent in AGENTS}},
    )
    rpc.result(
        "schema.create",
        {
            "schema_id": "bench-character",
            "display_name": "Character",
            "fields": {"trust": {"value_type": "int", "default": 0, "description": None}},
        },
    )
    for character_id in ("merchant", "guard"):
        rpc.result(
            "character.create",
            {
                "content": {
                    "id": character_id,
                    "name": character_id.title(),
                    "personality": "watchful",
                    "style": "terse",
                    "schema_id": "bench-character",
                    "system_prompt": "You are {{char}}.",
                }
            },
        )
    plan = "\n\n".join(f"Part {index}: the player reaches the place of chapter {index}." for index in range(SECTIONS))
    resource = rpc.result(
        "story_resources.create",
        {"story_concept": "A harbor town under a storm", "character_ids": ["merchant", "guard"], "planned_story": plan},
    )
    return resource["resource_id"]


# -- the stub's time, from the server's telemetry --------------------------------------------


def _continue_call_latencies(database: Path) -> dict[str, list[float]]:
    """Per draft, the latency of each of its Architect calls, in call order (the start call
    carries no draft id, so these are the `continue` calls)."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        rows = connection.execute(
            "SELECT draft_id, latency_ms FROM llm_calls WHERE agent = 'architect' AND draft_id IS NOT NULL"
            " ORDER BY call_id"
        ).fetchall()
    finally:
        connection.close()
    latencies: dict[str, list[float]] = {}
    for draft_id, latency_ms in rows:
        latencies.setdefault(draft_id, []).append(latency_ms)
    return latencies


def _pair(walls: list[tuple[str, int, float]], stub_times: dict[str, list[float]]) -> list[SectionTiming]:
    timings = []
    for draft_id in dict.fromkeys(draft_id for draft_id, _, _ in walls):
        mine = [(index, wall) for other, index, wall in walls if other == draft_id]
        calls = stub_times.get(draft_id, [])
        if len(calls) != len(mine):
            raise BenchmarkFailed(f"{draft_id}: {len(mine)} continue calls but {len(calls)} recorded LLM calls")
        timings += [
            SectionTiming(draft_id, index, wall, stub) for (index, wall), stub in zip(mine, calls, strict=False)
        ]
    return timings


def _numbers(timings: list[SectionTiming], drafts: int) -> dict[str, Any]:
    server = sorted(timing.server_ms / 1000.0 for timing in timings)
    wall = sorted(timing.wall_ms / 1000.0 for timing in timings)
    stub = sorted(timing.stub_ms / 1000.0 for timing in timings)
    server_p50 = percentile_ms(server, 0.50)
    return {
        "benchmark": NAME,
        "drafts": drafts,
        "sections": len(timings),
        "wall_p50_ms": percentile_ms(wall, 0.50),
        "wall_p99_ms": percentile_ms(wall, 0.99),
        "stub_p50_ms": percentile_ms(stub, 0.50),
        "stub_p99_ms": percentile_ms(stub, 0.99),
        "server_p50_ms": server_p50,
        "server_p99_ms": percentile_ms(server, 0.99),
        "target_p50_ms": TARGET_P50_MS,
        "meets_target": server_p50 <= TARGET_P50_MS,
    }


def _table(numbers: dict[str, Any]) -> str:
    verdict = "ok" if numbers["meets_target"] else "MISSED"
    return "\n".join(
        [
            f"{numbers['drafts']} drafts x {SECTIONS - 1} continued sections = {numbers['sections']} samples",
            f"{'per section':<22} {'p50 ms':>8} {'p99 ms':>8}",
            f"{'wall (continue call)':<22} {numbers['wall_p50_ms']:>8.1f} {numbers['wall_p99_ms']:>8.1f}",
            f"{'stub (llm latency)':<22} {numbers['stub_p50_ms']:>8.1f} {numbers['stub_p99_ms']:>8.1f}",
            f"{'server (wall - stub)':<22} {numbers['server_p50_ms']:>8.1f} {numbers['server_p99_ms']:>8.1f}",
            f"target: server p50 <= {TARGET_P50_MS:.0f} ms: {verdict}",
        ]
    )


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
