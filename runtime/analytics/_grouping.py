"""What the reports share about their groups: one dimension once, the SQL of grouping, and key values
as the wire shows them."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

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


@attrs.frozen
class GroupedQuery:
    """A report's SQL pieces: the grouping columns, the filter (SQL) and the parameter values."""

    columns: tuple[str, ...]
    where: str
    params: dict[str, object]

    def grouped(self, extra: str = "") -> str:
        """`col, col, ` for a SELECT list or PARTITION BY (nothing without columns), then `extra`."""
        return "".join(f"{column}, " for column in self.columns) + extra

    def grouping_sets(self, extra: str = "") -> str:
        """What follows GROUP BY: by the columns and `extra`, and by `extra` alone over all groups."""
        if not self.columns:
            return extra or "()"
        columns = ", ".join(self.columns)
        if not extra:
            return f"GROUPING SETS (({columns}), ())"
        return f"GROUPING SETS (({columns}, {extra}), ({extra}))"

    def total_flag(self) -> str:
        """SQL, with `grouping_sets`: true on the rows over all groups."""
        return f"GROUPING({self.columns[0]}) = 1" if self.columns else "TRUE"


def group_key(row: Sequence[Any], width: int) -> tuple[Any, ...]:
    """The key of a row that starts with the total flag and the group's columns: `(True,)` for a
    row over all groups, `(False, *columns)` for a group's."""
    return (True,) if row[0] else tuple(row[:width])
