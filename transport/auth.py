"""The access token: checking it, the browser's login sessions, and slowing down guessers.

API clients send `Authorization: Bearer <token>`. A browser signs in once on the login page and
then carries a random session id in an HttpOnly, SameSite=Strict cookie (never the token
itself); sessions live in memory, so a restart signs every browser out. Tokens are compared in
constant time. A client address that sends `MAX_FAILURES` wrong tokens within `FAILURE_WINDOW_S`
is refused (429) until the window has passed; the token is never logged.
"""

from __future__ import annotations

import collections
import hmac
import logging
import secrets
import time
from collections.abc import Callable

import attrs

log = logging.getLogger(__name__)

SESSION_COOKIE = "dramaturg_login"
LOGIN_SESSION_S = 30 * 24 * 3600  # a browser stays signed in this long
MAX_LOGIN_SESSIONS = 1000  # the oldest session is dropped beyond this
MAX_FAILURES = 10
FAILURE_WINDOW_S = 60.0
MAX_TRACKED_CLIENTS = 10_000  # beyond this, addresses whose failures are all old are forgotten
MIN_TOKEN_CHARS = 16
GENERATED_TOKEN_BYTES = 32
GENERATE = "generate"  # `--auth-token generate`: a fresh random token, printed once at start


def generate_token() -> str:
    return secrets.token_urlsafe(GENERATED_TOKEN_BYTES)


def token_problem(token: str) -> str | None:
    """Why `token` cannot be the access token, or None. It travels in a header and a form."""
    if len(token) < MIN_TOKEN_CHARS:
        return f"it must be at least {MIN_TOKEN_CHARS} characters (--auth-token generate makes one)"
    if not all("!" <= char <= "~" for char in token):
        return "it must be printable ASCII without spaces"
    return None


class TooManyAttempts(Exception):
    """The client address is locked out for `retry_after_s` more seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed attempts; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


@attrs.define
class Authenticator:
    """Checks the token; owns the login sessions and the failure counts. One per server."""

    token: str = attrs.field(repr=False)
    clock: Callable[[], float] = time.monotonic
    _sessions: dict[str, float] = attrs.field(factory=dict, repr=False)  # session id → expiry
    # client → failure times, in the order of each client's latest failure (oldest first)
    _failures: collections.OrderedDict[str, collections.deque[float]] = attrs.field(factory=collections.OrderedDict)

    def _matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode())

    def check_token(self, client: str, given: str, route: str) -> bool:
        """Whether `given` is the token. A wrong one counts against `client` and is logged (not
        its value). Raises TooManyAttempts while `client` is locked out, right or wrong."""
        self._refuse_if_locked(client)
        if self._matches(given):
            return True
        if len(self._failures) >= MAX_TRACKED_CLIENTS:
            self._forget_old_failures()
        failures = self._failures.setdefault(client, collections.deque())
        self._failures.move_to_end(client)
        failures.append(self.clock())
        log.warning("auth_failed", extra={"client": client, "route": route, "failures": len(failures)})
        return False

    def _refuse_if_locked(self, client: str) -> None:
        failures = self._failures.get(client)
        if not failures:
            return
        now = self.clock()
        while failures and failures[0] <= now - FAILURE_WINDOW_S:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return
        if len(failures) >= MAX_FAILURES:
            raise TooManyAttempts(max(1, round(failures[0] + FAILURE_WINDOW_S - now)))

    def _forget_old_failures(self) -> None:
        """Drop the clients whose latest failure is out of the window: they are the first ones, so
        this stops at the first recent client instead of scanning every tracked address."""
        cutoff = self.clock() - FAILURE_WINDOW_S
        while self._failures and self._failures[next(iter(self._failures))][-1] <= cutoff:
            self._failures.popitem(last=False)

    def bearer_ok(self, client: str, authorization: str | None, route: str) -> bool | None:
        """True/False for a Bearer header with the right/wrong token; None when there is none."""
        if authorization is None:
            return None
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.check_token(client, credentials.strip(), route)

    def session_ok(self, session_id: str | None) -> bool:
        """Whether the cookie's session id is a live login session."""
        if not session_id:
            return False
        expiry = self._sessions.get(session_id)
        if expiry is None:
            return False
        if expiry <= self.clock():
            del self._sessions[session_id]
            return False
        return True

    def open_session(self) -> str:
        """A new login session; its id goes into the cookie."""
        if len(self._sessions) >= MAX_LOGIN_SESSIONS:
            oldest = min(self._sessions, key=self._sessions.__getitem__)
            del self._sessions[oldest]
        session_id = secrets.token_urlsafe(GENERATED_TOKEN_BYTES)
        self._sessions[session_id] = self.clock() + LOGIN_SESSION_S
        return session_id

    def close_session(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(session_id, None)
