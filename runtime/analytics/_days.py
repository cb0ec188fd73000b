"""UTC days and time ranges as the reports use them: epoch milliseconds, half-open ranges."""

from __future__ import annotations

import datetime

import attrs

from runtime.errors import InvalidParams

DAY_MS = 24 * 60 * 60 * 1000
END_OF_TIME_MS = 2**62  # an `until` later than any timestamp the server writes


def day_of_ms(column: str) -> str:
    """SQL for the UTC date of the epoch-milliseconds `column`: integer arithmetic, so no time
    zone setting of the database can shift it."""
    return f"(DATE '1970-01-01' + CAST({column} // {DAY_MS} AS INTEGER))"


def day_start_ms(ms: int) -> int:
    """The start of the UTC day holding `ms`."""
    return ms - ms % DAY_MS


def next_day_start_ms(ms: int) -> int:
    """The first UTC midnight at or after `ms`."""
    return -(-ms // DAY_MS) * DAY_MS


def date_of_day_start(ms: int) -> datetime.date:
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=ms // DAY_MS)


@attrs.frozen
class TimeRange:
    """`[since_ms, until_ms)`, both given (a missing end of the params is opened up)."""

    since_ms: int
    until_ms: int

    @classmethod
    def of(cls, since_ms: int | None, until_ms: int | None) -> TimeRange:
        """The range of a report's params; InvalidParams naming the field when it is empty or negative."""
        since = 0 if since_ms is None else since_ms
        until = END_OF_TIME_MS if until_ms is None else until_ms
        if since < 0:
            raise InvalidParams(f"params.since_ms: expected epoch milliseconds >= 0, got {since}")
        if until <= since:
            raise InvalidParams(f"params.until_ms: expected a time after since_ms ({since}), got {until}")
        return cls(since, until)

    def whole_days(self) -> tuple[int, int]:
        """`[start, end)` of the UTC days lying wholly inside the range (empty: start == end)."""
        start = next_day_start_ms(self.since_ms)
        end = max(start, day_start_ms(self.until_ms))
        return start, end
