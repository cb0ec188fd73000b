"""How provider calls behave: timeouts, retries and defaults. One frozen record, built by the caller."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class LlmSettings:
    timeout_s: float = 180.0
    """Per attempt, covering the whole request including a streamed body (PROTOCOL §15.1)."""

    max_retries: int = 2
    """Further attempts after a transient failure (R8)."""

    backoff_base_s: float = 1.0
    """Delay before the first retry; each further retry doubles it."""

    anthropic_default_max_tokens: int = 8192
    """`max_tokens` is mandatory on the Messages API; used when the agent sets none (§15.3)."""

    max_connections: int = 256
    """Open connections to all providers together; more calls wait for a free one."""

    def backoff_s(self, failed_attempts: int) -> float:
        """The wait after the `failed_attempts`-th failure: base, 2·base, 4·base, …"""
        return self.backoff_base_s * 2 ** (failed_attempts - 1)
