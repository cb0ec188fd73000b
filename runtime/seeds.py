"""Where random seeds come from. Injected, so tests can fix them."""

from __future__ import annotations

import secrets
from typing import Protocol

import attrs

SEED_BITS = 31  # fits every JSON number type and a DuckDB INTEGER


class SeedSource(Protocol):
    def next_seed(self) -> int:
        """A new seed in [0, 2**31)."""


@attrs.frozen
class SystemSeeds:
    def next_seed(self) -> int:
        return secrets.randbits(SEED_BITS)
