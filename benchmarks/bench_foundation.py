"""The foundation benchmark: resource reads and writes next to a hello-world endpoint on the same stack.

One run starts the Dramaturg server (fresh DuckDB in a temporary directory) and the bare app
(`benchmarks.bare_app`), each in its own process, creates a schema, a character and a preset over
RPC, then loads each case in turn from a separate load process (`benchmarks._load`):

| case | request | target |
| --- | --- | --- |
| bare | `POST /rpc` on the bare app | the baseline |
| character.get | the same character every time | ≥ 70 % of bare's requests/s |
| preset.get | the same preset (returned fully expanded) | ≥ 70 % |
| character.create | a new character id every request | ≥ 50 % |

It prints a table and writes `foundation.json` to the results directory.
"""

from __future__ import annotations

import enum
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import attrs
import httpx

from benchmarks import BenchmarkFailed, _processes
from benchmarks._load import SEQ_MARK, LoadResult, LoadSettings, LoadSpec, measure
from benchmarks._processes import BARE, DRAMATURG
from benchmarks._results import write_results

NAME = "foundation"
READ_TARGET = 0.70
WRITE_TARGET = 0.50
BUSY_MACHINE_CORES = 0.25  # other processes' CPU during a case above which its numbers are flagged

SCHEMA_ID = "bench-schema"
CHARACTER_ID = "bench-character"
PRESET_ID = "bench-preset"
AGENTS = ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")


class CaseKind(enum.Enum):
    BASELINE = "baseline"
    READ = "read"
    WRITE = "write"


@attrs.frozen
class Case:
    name: str
    kind: CaseKind
    server: str  # which running server it loads: BARE or DRAMATURG
    body: str  # the request body, SEQ_MARK standing for a unique number
    target_ratio: float | None


@attrs.frozen
class CaseResult:
    name: str
    kind: CaseKind
    requests: int
    errors: int
    window_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    client_cpu: float
    server_cpu: float | None
    other_cpu: float | None
    ratio_to_bare: float | None
    target_ratio: float | None
    meets_target: bool | None
    first_error: str | None


@attrs.frozen
class Environment:
    python: str
    platform: str
    cpu_count: int | None


@attrs.frozen
class FoundationReport:
    benchmark: str
    settings: LoadSettings
    rounds: int
    environment: Environment
    cases: dict[str, CaseResult]


class SetupFailed(BenchmarkFailed):
    """Creating the benchmark's records over RPC failed (for example: method not implemented yet)."""


def _envelope(method: str, params: dict[str, Any], request_id: str = f"bench-{SEQ_MARK}") -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})


def _character_content(character_id: str) -> dict[str, Any]:
    return {
        "id": character_id,
        "name": "Mira Vale",
        "personality": "Curious, stubborn and kind to strangers; keeps {{mood}} close to the chest.",
        "style": "Short sentences, dry humour, never swears.",
        "schema_id": SCHEMA_ID,
        "system_prompt": "You are {{char}}, a lighthouse keeper who talks to {{user}}.",
        "tags": ["benchmark", "keeper"],
        "folder": "bench",
    }


SCHEMA_PARAMS: dict[str, Any] = {
    "schema_id": SCHEMA_ID,
    "display_name": "Benchmark schema",
    "tags": ["character"],
    "fields": {
        "mood": {"value_type": "string", "default": "calm", "description": "how the character feels"},
        "trust": {"value_type": "int", "default": 0, "description": "trust in the player"},
    },
}
PRESET_PARAMS: dict[str, Any] = {
    "preset_id": PRESET_ID,
    "display_name": "Benchmark preset",
    "agents": {agent: {"modules": []} for agent in AGENTS},  # as the web client sends it
}
SETUP_CALLS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("schema.create", SCHEMA_PARAMS),
    ("character.create", {"content": _character_content(CHARACTER_ID)}),
    ("preset.create", PRESET_PARAMS),
)

CASES: tuple[Case, ...] = (
    Case("bare", CaseKind.BASELINE, BARE, _envelope("hello", {}), None),
    Case(
        "character.get",
        CaseKind.READ,
        DRAMATURG,
        _envelope("character.get", {"character_id": CHARACTER_ID}),
        READ_TARGET,
    ),
    Case("preset.get", CaseKind.READ, DRAMATURG, _envelope("preset.get", {"preset_id": PRESET_ID}), READ_TARGET),
    Case(
        "character.create",
        CaseKind.WRITE,
        DRAMATURG,
        _envelope("character.create", {"content": _character_content(f"bench-new-{SEQ_MARK}")}),
        WRITE_TARGET,
    ),
)


def create_records(url: str) -> None:
    """Create the schema, character and preset the read cases need. Raises SetupFailed."""
    with httpx.Client(base_url=url, timeout=30.0) as http:
        for number, (method, params) in enumerate(SETUP_CALLS):
            response = http.post(
                "/rpc",
                content=_envelope(method, params, f"setup-{number}"),
                headers={"content-type": "application/json"},
            )
            answer = response.json()
            if "error" in answer:
                raise SetupFailed(f"{method}: {answer['error']['code']} {answer['error']['message']}")


def case_result(case: Case, load: LoadResult, bare_rps: float | None) -> CaseResult:
    ratio = round(load.rps / bare_rps, 3) if bare_rps else None
    meets = None if ratio is None or case.target_ratio is None else ratio >= case.target_ratio
    return CaseResult(
        name=case.name,
        kind=case.kind,
        requests=load.requests,
        errors=load.errors,
        window_s=load.window_s,
        rps=load.rps,
        p50_ms=load.p50_ms,
        p99_ms=load.p99_ms,
        client_cpu=load.client_cpu,
        server_cpu=load.server_cpu,
        other_cpu=load.other_cpu,
        ratio_to_bare=ratio,
        target_ratio=case.target_ratio,
        meets_target=meets,
        first_error=load.first_error,
    )


def _best_of(earlier: LoadResult | None, later: LoadResult) -> LoadResult:
    """The faster of two rounds, carrying the errors of both."""
    if earlier is None:
        return later
    best = later if later.rps > earlier.rps else earlier
    first_error = earlier.first_error or later.first_error
    return attrs.evolve(best, errors=earlier.errors + later.errors, first_error=first_error)


def measure_cases(
    servers: dict[str, _processes.RunningServer], settings: LoadSettings, rounds: int
) -> dict[str, CaseResult]:
    """Load every case in turn, `rounds` times over, and keep each case's fastest round (other
    processes only ever slow a round down). Ratios are to the baseline's kept requests/s."""
    best: dict[str, LoadResult] = {}
    for round_number in range(rounds):
        for case in CASES:
            server = servers[case.server]
            first_seq = round_number * settings.max_requests + 1  # new ids stay unique across rounds
            load = measure(LoadSpec(server.url, case.body, settings, server.process.pid, first_seq))
            best[case.name] = _best_of(best.get(case.name), load)
    bare_rps = next(best[case.name].rps for case in CASES if case.kind is CaseKind.BASELINE)
    return {case.name: case_result(case, best[case.name], bare_rps) for case in CASES}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _verdict(result: CaseResult) -> str:
    if result.errors:
        return f"ERRORS (first: {result.first_error})"
    verdict = {None: "", True: "ok", False: "below target"}[result.meets_target]
    if (result.other_cpu or 0.0) > BUSY_MACHINE_CORES:
        verdict = f"{verdict} (machine busy: noisy)".strip()
    return verdict


def format_table(report: FoundationReport) -> str:
    settings = report.settings
    columns = f"{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'vs bare':>9}{'target':>8}{'errors':>7}"
    cpu_columns = f"{'cpu srv':>9}{'cpu cli':>9}{'cpu oth':>9}"
    lines = [
        f"foundation: {settings.clients} clients, {settings.warmup_s:g} s warm-up + {settings.duration_s:g} s per case,"
        f" best of {report.rounds} round(s)",
        f"{'case':<18}{columns}{cpu_columns}  verdict",
    ]
    for result in report.cases.values():
        target = "-" if result.target_ratio is None else f"≥{result.target_ratio:.0%}"
        lines.append(
            f"{result.name:<18}{result.rps:>8.0f}{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}"
            f"{_percent(result.ratio_to_bare):>9}{target:>8}{result.errors:>7}"
            f"{_percent(result.server_cpu):>9}{_percent(result.client_cpu):>9}{_percent(result.other_cpu):>9}"
            f"  {_verdict(result)}"
        )
    return "\n".join(lines)


def run(settings: LoadSettings, results_dir: Path, rounds: int = 1) -> bool:
    """Run the whole benchmark, print the table, write the JSON. True when no request failed."""
    with tempfile.TemporaryDirectory(prefix="dramaturg-bench-") as scratch:
        scratch_dir = Path(scratch)
        commands = [_processes.dramaturg_server(scratch_dir / "data"), _processes.bare_app()]
        with _processes.serving(commands, scratch_dir / "logs") as servers:
            create_records(servers[DRAMATURG].url)
            cases = measure_cases(servers, settings, rounds)
    environment = Environment(platform.python_version(), platform.platform(), os.cpu_count())
    report = FoundationReport(NAME, settings, rounds, environment, cases)
    print(format_table(report))
    print(f"written to {write_results(NAME, report, results_dir)}")
    return all(result.errors == 0 for result in cases.values())
