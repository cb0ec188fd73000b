"""Writing a benchmark's numbers: one JSON file per benchmark, from an attrs record, via the codec."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.codec import CODEC


def write_results(name: str, report: object, results_dir: Path) -> Path:
    """Write `report` to `results_dir/<name>.json` (the directory is created) and return the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps(CODEC.unstructure(report), indent=2, ensure_ascii=False) + "\n")
    return path
