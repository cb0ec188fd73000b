"""Dramaturg's benchmark harness: `python -m benchmarks` (or `make bench`) runs every benchmark in turn.

Servers and load generators run as separate processes on loopback ports (`_processes`, `_load`);
each benchmark module prints a table and writes its numbers to `benchmarks/results/<name>.json`.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


class BenchmarkFailed(Exception):
    """A benchmark could not run: a server did not start, setup failed, or the load process broke."""
