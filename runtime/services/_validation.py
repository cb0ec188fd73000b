"""Small input rules shared by the families: trimmed ids, the given fields of an update."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runtime.errors import InvalidParams


def require_id(value: str, field: str) -> str:
    """The trimmed id, or InvalidParams `{field} must not be empty`."""
    trimmed = value.strip()
    if not trimmed:
        raise InvalidParams(f"{field} must not be empty")
    return trimmed


def given_changes(params: object, names: Iterable[str]) -> dict[str, Any]:
    """The fields of an update's params that were given: omitted (None) ones keep their value (§6.1)."""
    return {name: value for name in names if (value := getattr(params, name)) is not None}
