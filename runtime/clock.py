"""Where time comes from. Injected, so tests can fix it."""

from __future__ import annotations

import time
from typing import Protocol

import attrs


class Clock(Protocol):
    def now_ms(self) -> int:
        """Unix epoch milliseconds."""


@attrs.frozen
class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
