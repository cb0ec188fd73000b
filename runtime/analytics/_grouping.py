"""What the reports share about their groups: one dimension once, and key values as the wire shows them."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from runtime.errors import InvalidParams


def check_unique(dimensions: Sequence[str], path: str) -> None:
    """InvalidParams naming the first dimension given twice."""
    for index, dimension in enumerate(dimensions):
        if dimension in dimensions[:index]:
            raise InvalidParams(f"{path}[{index}]: {dimension!r} is already in {path}")


def key_value(keys: Mapping[str, Any], column: str) -> str | None:
    """A row's value of a grouping column: None when not grouped by it, days as `YYYY-MM-DD`."""
    value = keys.get(column)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
