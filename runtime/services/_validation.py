"""Small input rules shared by the families: trimmed ids, tags, folders."""

from __future__ import annotations

from runtime.errors import InvalidParams


def require_id(value: str, field: str) -> str:
    """The trimmed id, or InvalidParams `{field} must not be empty`."""
    trimmed = value.strip()
    if not trimmed:
        raise InvalidParams(f"{field} must not be empty")
    return trimmed
