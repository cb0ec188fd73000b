"""R8: which failures are tried again, and the loop that does it for unary calls."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
import trio

from runtime.errors import ProviderError
from runtime.llm._settings import LlmSettings

T = TypeVar("T")

log = logging.getLogger(__name__)


@attrs.define
class Attempts:
    """How far one call got: attempts made, and whether any of it reached the caller."""

    count: int = 0
    delivered: bool = False

    def may_retry(self, error: ProviderError, settings: LlmSettings) -> bool:
        """Transient, nothing delivered yet, and attempts left (PROTOCOL §15.1)."""
        return error.retryable and not self.delivered and self.count <= settings.max_retries

    async def wait_before_retry(self, error: ProviderError, settings: LlmSettings, what: str) -> None:
        delay_s = settings.backoff_s(self.count)
        log.info("llm_retry", extra={"call": what, "attempt": self.count, "delay_s": delay_s, "error": error.message})
        await trio.sleep(delay_s)


async def with_retries(attempt: Callable[[], Awaitable[T]], attempts: Attempts, settings: LlmSettings, what: str) -> T:
    """Run `attempt` until it succeeds, fails for good, or the retries are spent."""
    while True:
        attempts.count += 1
        try:
            return await attempt()
        except ProviderError as exc:
            if not attempts.may_retry(exc, settings):
                raise
            await attempts.wait_before_retry(exc, settings, what)
