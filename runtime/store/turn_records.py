"""The `turns` table: one row per turn attempt (migration 6), written with a turn's commit or after its failure."""

from __future__ import annotations

import attrs

from runtime.model.turn_records import TurnRecord
from runtime.store._database import Cursor, insert_rows

_COLUMNS = [field.name for field in attrs.fields(TurnRecord)]


def insert_turn_record(cursor: Cursor, record: TurnRecord) -> None:
    """Append `record`; inside a write."""
    values = [getattr(record, name) for name in _COLUMNS]
    values[_COLUMNS.index("outcome")] = record.outcome.value
    insert_rows(cursor, "turns", _COLUMNS, [values])
