"""How provider calls behave: timeouts, retries and defaults. One frozen record, built by the caller."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class LlmSettings:
    timeout_s: float = 180.0
    """Per call, covering every attempt and the whole of each request including a streamed body
    (PROTOCOL §15.1 gave each attempt its own; see `Attempts.may_retry`)."""

    max_retries: int = 2
    """Further attempts after a transient failure (R8)."""

    backoff_base_s: float = 1.0
    """Delay before the first retry; each further retry doubles it."""

    anthropic_default_max_tokens: int = 8192
    """`max_tokens` is mandatory on the Messages API; used when the agent sets none (§15.3)."""

    pool_lanes: int = attrs.field(default=32)
    """Independent connection pools; each call uses the lane of its session or draft (see `_factory`).

    httpcore walks every connection and every waiting request of a pool on each request and each
    release, so one pool of thousands of connections spends the event loop on its bookkeeping.
    32 lanes of 64 keep each walk short while a lane still holds more connections than the
    sessions hashed onto it (31 of 1,000 on average; 35 at most for `session-1` … `session-1000`).
    """

    max_connections: int = attrs.field(default=2048)
    """Open connections to all providers together, split evenly over the lanes; more calls wait.

    Sized for 1,000 sessions each streaming one call at a time, with twice the headroom, so that an
    unlucky lane still has a free connection.
    """

    @pool_lanes.validator
    def _at_least_one_lane(self, attribute: attrs.Attribute[int], value: int) -> None:
        if value < 1:
            raise ValueError(f"pool_lanes must be at least 1; got {value}")

    @max_connections.validator
    def _at_least_one_per_lane(self, attribute: attrs.Attribute[int], value: int) -> None:
        if value < self.pool_lanes:
            raise ValueError(
                f"max_connections must be at least pool_lanes ({self.pool_lanes}), one connection per lane; got {value}"
            )

    def lane_max_connections(self) -> list[int]:
        """`max_connections` split over the lanes; the first lanes take what does not divide evenly."""
        share, rest = divmod(self.max_connections, self.pool_lanes)
        return [share + 1 if lane < rest else share for lane in range(self.pool_lanes)]

    def backoff_s(self, failed_attempts: int) -> float:
        """The wait after the `failed_attempts`-th failure: base, 2·base, 4·base, …"""
        return self.backoff_base_s * 2 ** (failed_attempts - 1)
