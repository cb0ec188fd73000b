"""Dependencies point one way: transport → actors → runtime (ARCHITECTURE §1)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def top_level_imports(package: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_runtime_stays_below_the_wire() -> None:
    assert not top_level_imports("runtime") & {"actors", "transport", "quart", "quart_trio", "hypercorn"}


def test_actors_never_import_transport() -> None:
    assert not top_level_imports("actors") & {"transport", "quart", "quart_trio", "hypercorn"}
