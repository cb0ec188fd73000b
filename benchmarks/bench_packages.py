"""The packages benchmark: exporting and importing a large data package between two real servers.

A package of 100 stories (each with its own story resources, an 8-node graph and common
variables) and 500 characters with 48 KiB covers (random bytes, as incompressible as real
images), plus schemas, lorebooks, a preset and a player profile, is generated in process and
imported into a source server. Then, each round:

| step | timed | what it covers |
| --- | --- | --- |
| export | `data_package.export_prepare` + `GET /download/…` on the source | one snapshot read, ZIP built, download |
| import | `POST /upload/…` + `data_package.import_commit` into a fresh server | upload, parse and checks, one transaction |

The target is ≥ 20 MB/s of archive on import. Servers are separate processes on loopback ports
(`benchmarks._processes`); every import goes into a server that has never held data. `run`
prints a table and returns the numbers; `--quick` is 10 stories, 50 characters, one round.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import attrs
import httpx

from benchmarks import BenchmarkFailed, _processes
from runtime.archives import DataPackage, PackagedCharacter, PackagedCover, write_data_package
from runtime.codec import CODEC
from runtime.model.characters import CharacterCardContent, CoverMimeType
from runtime.model.graph import Condition, ConditionOp, ConditionScope, NarrativeNode, StoryGraph, Transition
from runtime.model.lorebooks import Lorebook, LorebookEntry
from runtime.model.player_profiles import PlayerProfile
from runtime.model.presets import AgentSpecs, PresetRecord
from runtime.model.schemas import Schema, StateFieldSchema, ValueType
from runtime.model.state import SetState
from runtime.model.stories import CommonVariableDefinition, CommonVariableScope, StoryRecord
from runtime.model.story_resources import StoryResourcesRecord

NAME: Final = "packages"
IMPORT_TARGET_MB_S: Final = 20.0
COVER_BYTES: Final = 48 * 1024
CHARACTERS_PER_STORY: Final = 5
NODES_PER_STORY: Final = 8
LOREBOOKS: Final = 10
FULL_STORIES, QUICK_STORIES = 100, 10
FULL_ROUNDS, QUICK_ROUNDS = 3, 1
HTTP_TIMEOUT_S: Final = 120.0
MB: Final = 1_000_000
AGENTS: Final = ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")


class PackageStepFailed(BenchmarkFailed):
    """An RPC or a binary route of the benchmark answered with an error."""


@attrs.frozen
class Timing:
    seconds: float
    mb_per_s: float


# -- the package -------------------------------------------------------------------------


def _schemas() -> list[Schema]:
    def field(value_type: ValueType, default: Any) -> StateFieldSchema:
        return StateFieldSchema(value_type, default, "benchmark field")

    return [
        Schema(
            "bench-world",
            "World",
            ["world"],
            {"gate_open": field(ValueType.BOOL, False), "alarm": field(ValueType.INT, 0)},
        ),
        Schema("bench-player", "Player", ["player"], {"coins": field(ValueType.INT, 5)}),
        Schema(
            "bench-npc",
            "NPC",
            ["character"],
            {"trust": field(ValueType.INT, 0), "mood": field(ValueType.STRING, "calm")},
        ),
    ]


def _character(index: int) -> PackagedCharacter:
    content = CharacterCardContent(
        id=f"bench-char-{index:04d}",
        name=f"Character {index}",
        personality="Curious and stubborn. " * 8,
        style="Short sentences, dry humour.",
        schema_id="bench-npc",
        system_prompt="You are {{char}}, talking to {{user}}. " * 6,
        tags=["benchmark"],
        folder="bench",
    )
    cover = PackagedCover(f"portrait-{index}.png", CoverMimeType.PNG, os.urandom(COVER_BYTES))
    return PackagedCharacter(content, cover)


def _graph(cast: list[str]) -> StoryGraph:
    ids = [f"node-{index}" for index in range(NODES_PER_STORY)]
    nodes = []
    for index, node_id in enumerate(ids):
        transitions = (
            []
            if index == len(ids) - 1
            else [
                Transition(ids[index + 1], Condition("gate_open", ConditionOp.EQ, True, ConditionScope.GLOBAL)),
                Transition(ids[-1], Condition("trust", ConditionOp.GTE, 3, ConditionScope.CHARACTER, cast[0])),
                Transition(ids[index + 1], None),
            ]
        )
        nodes.append(
            NarrativeNode(
                node_id,
                f"Scene {index}",
                "A scene in the rain. " * 10,
                "Move on. " * 5,
                cast[: 1 + index % len(cast)],
                transitions,
                [SetState("alarm", index)],
            )
        )
    return StoryGraph(ids[0], nodes)


def _story(index: int, cast: list[str]) -> tuple[StoryResourcesRecord, StoryRecord]:
    resource_id, story_id = f"resource-{index}", f"story-{index}"
    resources = StoryResourcesRecord(
        resource_id=resource_id,
        story_concept="A harbor town under water. " * 10,
        character_ids=cast,
        player_schema_id_seed="bench-player",
        world_schema_id_seed="bench-world",
        lorebook_ids=[f"bench-lore-{index % LOREBOOKS}"],
        planned_story="Plan. " * 40,
        display_name=f"Harbor {index}",
    )
    variables = [
        CommonVariableDefinition(CommonVariableScope.WORLD, "gate_open", "Gate open"),
        CommonVariableDefinition(CommonVariableScope.CHARACTER, "trust", "Trust", character_id=cast[0]),
    ]
    story = StoryRecord(
        story_id,
        f"Story {index}",
        resource_id,
        _graph(cast),
        "bench-world",
        "bench-player",
        "You arrive by boat. " * 10,
        variables,
        created_at_ms=1_700_000_000_000 + index,
        updated_at_ms=1_700_000_100_000 + index,
    )
    return resources, story


def build_package(story_count: int) -> DataPackage:
    """`story_count` stories with 5 characters each (covers included) and what they need."""
    characters = [_character(index) for index in range(story_count * CHARACTERS_PER_STORY)]
    pairs = [
        _story(index, [c.character_id for c in characters[index * CHARACTERS_PER_STORY :][:CHARACTERS_PER_STORY]])
        for index in range(story_count)
    ]
    entry = LorebookEntry("tides", "Tides", "The tide turns at dusk. " * 20, ["tide"], True, False)
    agents = CODEC.structure({agent: {"modules": []} for agent in AGENTS}, AgentSpecs)
    return DataPackage(
        created_at_ms=1_774_000_000_000,
        presets=[PresetRecord("bench-preset", "Benchmark preset", agents)],
        schemas=_schemas(),
        lorebooks=[Lorebook(f"bench-lore-{index}", f"Lore {index}", [entry]) for index in range(LOREBOOKS)],
        player_profiles=[PlayerProfile("bench-hero", "Ash", "A stranger in town.")],
        characters=characters,
        story_resources=[resources for resources, _ in pairs],
        stories=[story for _, story in pairs],
    )


# -- talking to the servers --------------------------------------------------------------


def _rpc(http: httpx.Client, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    envelope = {"jsonrpc": "2.0", "id": f"bench-{method}", "method": method, "params": params or {}}
    answer = http.post("/rpc", json=envelope).json()
    if "error" in answer:
        raise PackageStepFailed(f"{method}: {answer['error']['code']} {answer['error']['message']}")
    return answer["result"]


def _check(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code != 200:
        raise PackageStepFailed(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response


def import_archive(http: httpx.Client, archive: bytes) -> dict[str, Any]:
    """Upload and commit; returns the committed contents."""
    import_id = _rpc(http, "data_package.import_prepare")["import_id"]
    _check(
        http.post(
            f"/upload/package_import%3A{import_id}/archive",
            content=archive,
            headers={"content-type": "application/zip"},
        ),
        "upload",
    )
    return _rpc(http, "data_package.import_commit", {"import_id": import_id})["contents"]


def export_archive(http: httpx.Client, story_ids: list[str]) -> bytes:
    prepared = _rpc(
        http,
        "data_package.export_prepare",
        {"story_ids": story_ids, "preset_ids": ["bench-preset"], "player_profile_ids": ["bench-hero"]},
    )
    return _check(http.get(f"/download/package_export%3A{prepared['export_id']}/archive"), "download").content


def _timed(action: Any) -> tuple[float, Any]:
    """Seconds `action()` took, and what it returned."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _timing(archive_bytes: int, seconds: float) -> Timing:
    return Timing(round(seconds, 4), round(archive_bytes / MB / seconds, 2))


def _server(name: str, data_dir: Path) -> _processes.ServerCommand:
    return attrs.evolve(_processes.dramaturg_server(data_dir), name=name)


# -- the run -----------------------------------------------------------------------------


def run(quick: bool) -> dict[str, Any]:
    """Build the package, seed a source server, then time export and import `rounds` times.

    Returns the sizes, every round's seconds and MB/s, the best of each, and whether the
    import target was met. Raises BenchmarkFailed when a server or a step fails.
    """
    story_count = QUICK_STORIES if quick else FULL_STORIES
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    package = build_package(story_count)
    seed_archive = write_data_package(package)
    story_ids = package.ids("stories")
    with tempfile.TemporaryDirectory(prefix="dramaturg-bench-packages-") as temp:
        root = Path(temp)
        targets = [_server(f"target-{number}", root / f"target-{number}") for number in range(rounds)]
        commands = [_server("source", root / "source"), *targets]
        with _processes.serving(commands, root / "logs") as servers:
            with httpx.Client(base_url=servers["source"].url, timeout=HTTP_TIMEOUT_S) as source:
                expected = import_archive(source, seed_archive)
                exports = [_timed(lambda: export_archive(source, story_ids)) for _ in range(rounds)]
            archive = exports[-1][1]
            import_seconds = []
            for number in range(rounds):
                with httpx.Client(base_url=servers[f"target-{number}"].url, timeout=HTTP_TIMEOUT_S) as target:
                    seconds, contents = _timed(lambda: import_archive(target, archive))
                if contents != expected:
                    raise PackageStepFailed("the imported package does not hold what the source holds")
                import_seconds.append(seconds)
    export_timings = [_timing(len(archive), seconds) for seconds, _ in exports]
    import_timings = [_timing(len(archive), seconds) for seconds in import_seconds]
    report = _report(story_count, len(package.characters), len(archive), export_timings, import_timings)
    _print_table(report)
    return report


def _report(
    stories: int, characters: int, archive_bytes: int, exports: list[Timing], imports: list[Timing]
) -> dict[str, Any]:
    best_export = min(exports, key=lambda timing: timing.seconds)
    best_import = min(imports, key=lambda timing: timing.seconds)
    return {
        "benchmark": NAME,
        "stories": stories,
        "characters": characters,
        "cover_bytes": COVER_BYTES,
        "archive_bytes": archive_bytes,
        "export_s": best_export.seconds,
        "export_mb_s": best_export.mb_per_s,
        "import_s": best_import.seconds,
        "import_mb_s": best_import.mb_per_s,
        "import_target_mb_s": IMPORT_TARGET_MB_S,
        "meets_import_target": best_import.mb_per_s >= IMPORT_TARGET_MB_S,
        "export_rounds": [CODEC.unstructure(timing) for timing in exports],
        "import_rounds": [CODEC.unstructure(timing) for timing in imports],
    }


def _print_table(report: dict[str, Any]) -> None:
    size_mb = report["archive_bytes"] / MB
    print(
        f"package: {report['stories']} stories, {report['characters']} characters with covers, "
        f"archive {size_mb:.1f} MB; best of {len(report['import_rounds'])} round(s)"
    )
    print(f"{'step':<28} {'seconds':>8} {'MB/s':>8} {'target':>8}")
    print(f"{'export (prepare + download)':<28} {report['export_s']:>8.3f} {report['export_mb_s']:>8.1f} {'-':>8}")
    verdict = "ok" if report["meets_import_target"] else "MISSED"
    print(
        f"{'import (upload + commit)':<28} {report['import_s']:>8.3f} {report['import_mb_s']:>8.1f} "
        f"{'≥ ' + format(IMPORT_TARGET_MB_S, '.0f'):>8} {verdict}"
    )


if __name__ == "__main__":
    run(quick=False)
