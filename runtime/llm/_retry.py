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
    """How far one call got: attempts made, whether any of it reached the caller, and the
    deadline all its attempts share (None: each attempt has the whole time limit)."""

    count: int = 0
    delivered: bool = False
    deadline: float | None = None

    def may_retry(self, error: ProviderError, settings: LlmSettings) -> bool:
        """Transient, nothing delivered yet, attempts left (PROTOCOL §15.1), and time left for
        another attempt after the back-off. The call's time limit covers all its attempts, so a
        failure never takes longer than the limit (a Dramaturg change of R8: an attempt that
        timed out has used the call's time, and is not tried again)."""
        if not error.retryable or self.delivered or self.count > settings.max_retries:
            return False
        return self.deadline is None or trio.current_time() + settings.backoff_s(self.count) < self.deadline

    async def wait_before_retry(self, error: ProviderError, settings: LlmSettings, what: str) -> None:
        delay_s = settings.backoff_s(self.count)
        log.info("llm_retry", extra={"call": what, "attempt": self.count, "delay_s": delay_s, "error": error.message})
        await trio.sleep(delay_s)


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    attempts: Attempts,
    settings: LlmSettings,
    what: str,
    handled_elsewhere: Callable[[ProviderError], bool] = lambda _: False,
) -> T:
    """Run `attempt` until it succeeds, fails for good, or the retries are spent. An error that
    `handled_elsewhere` claims is raised at once (the caller answers it otherwise)."""
    while True:
        attempts.count += 1
        try:
            return await attempt()
        except ProviderError as exc:
            if handled_elsewhere(exc) or not attempts.may_retry(exc, settings):
                raise
            await attempts.wait_before_retry(exc, settings, what)
