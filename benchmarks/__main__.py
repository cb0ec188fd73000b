"""`python -m benchmarks [--only NAME] [--quick]`: run every benchmark in turn and report.

`real-model` runs only when named (`--only real-model`, or `make test-real-model`).

Exit status 0 when every benchmark ran with no failed request, 1 otherwise; a benchmark that
cannot run is reported and the others still run. Missing a target is reported in the tables and
the JSON files, not in the exit status.

`foundation` and `graph` take the load settings below; `generation`, `packages`, `sessions`, `lore`,
`hostile`, `cards`, `analytics` and `real-model` have the shape `run(quick) -> dict`: the dict is written as the
benchmark's JSON file, and a
top-level `errors` count above 0 marks the run as failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs

from benchmarks import (
    RESULTS_DIR,
    BenchmarkFailed,
    bench_analytics,
    bench_cards,
    bench_foundation,
    bench_generation,
    bench_graph,
    bench_hostile,
    bench_lore,
    bench_packages,
    bench_real_model,
    bench_sessions,
)
from benchmarks._load import LoadSettings
from benchmarks._results import write_results

QUICK_LOAD = LoadSettings(warmup_s=0.2, duration_s=1.0, max_requests=20_000)
FULL_LOAD = LoadSettings()
QUICK_GRAPH_SIZES = (1_000,)


@attrs.frozen
class RunOptions:
    load: LoadSettings
    rounds: int
    quick: bool
    results_dir: Path


@attrs.frozen
class GraphReport:
    benchmark: str
    sizes: list[int]
    repeats: int
    timings: dict[str, float]  # as `bench_graph.measure_graph_validation` names them


def run_foundation(options: RunOptions) -> bool:
    return bench_foundation.run(options.load, options.results_dir, options.rounds)


def run_graph(options: RunOptions) -> bool:
    sizes = QUICK_GRAPH_SIZES if options.quick else bench_graph.DEFAULT_SIZES
    repeats = 1 if options.quick else 3
    timings = bench_graph.measure_graph_validation(sizes, repeats=repeats)
    report = GraphReport(bench_graph.NAME, list(sizes), repeats, timings)
    print(f"written to {write_results(bench_graph.NAME, report, options.results_dir)}")
    return True


def quick_or_full(module: ModuleType) -> Callable[[RunOptions], bool]:
    """The runner of a benchmark module with `NAME` and `run(quick) -> dict`."""

    def run(options: RunOptions) -> bool:
        numbers: dict[str, Any] = module.run(options.quick)
        print(f"written to {write_results(module.NAME, numbers, options.results_dir)}")
        return not numbers.get("errors")

    return run


BENCHMARKS: dict[str, Callable[[RunOptions], bool]] = {
    bench_foundation.NAME: run_foundation,
    bench_graph.NAME: run_graph,
    bench_generation.NAME: quick_or_full(bench_generation),
    bench_packages.NAME: quick_or_full(bench_packages),
    bench_sessions.NAME: quick_or_full(bench_sessions),
    bench_hostile.NAME: quick_or_full(bench_hostile),
    bench_lore.NAME: quick_or_full(bench_lore),
    bench_cards.NAME: quick_or_full(bench_cards),
    bench_analytics.NAME: quick_or_full(bench_analytics),
    bench_real_model.NAME: quick_or_full(bench_real_model),
}
OPT_IN = frozenset({bench_real_model.NAME})
"""Run only when named with --only: the real-model harness needs its own virtualenv and takes long."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Run Dramaturg's benchmarks.")
    parser.add_argument("--only", choices=list(BENCHMARKS), help="run just this benchmark")
    parser.add_argument("--quick", action="store_true", help="short runs: checks the harness, not a measurement")
    parser.add_argument("--clients", type=int, help="concurrent clients per load case (default 32)")
    parser.add_argument("--duration", type=float, help="measured seconds per load case (default 5, quick 1)")
    parser.add_argument("--rounds", type=int, default=1, help="measure every load case this many times, keep the best")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where the JSON files go")
    return parser


def options_from(args: argparse.Namespace) -> RunOptions:
    load = QUICK_LOAD if args.quick else FULL_LOAD
    if args.clients is not None:
        if args.clients < 1:
            raise SystemExit("--clients: expected a positive number of clients")
        load = attrs.evolve(load, clients=args.clients)
    if args.duration is not None:
        if args.duration <= 0:
            raise SystemExit("--duration: expected a positive number of seconds")
        load = attrs.evolve(load, duration_s=args.duration)
    if args.rounds < 1:
        raise SystemExit("--rounds: expected a positive number of rounds")
    return RunOptions(load, args.rounds, args.quick, args.results_dir)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options = options_from(args)
    names = [args.only] if args.only else [name for name in BENCHMARKS if name not in OPT_IN]
    clean = True
    for name in names:
        print(f"== {name}", flush=True)
        try:
            clean = BENCHMARKS[name](options) and clean
        except BenchmarkFailed as exc:
            print(f"{name}: could not run: {exc}", file=sys.stderr)
            clean = False
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
