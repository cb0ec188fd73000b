"""Token checks, login sessions and the failure limit of `transport.auth`, on a fake clock."""

from __future__ import annotations

import attrs
import pytest

from transport.auth import (
    FAILURE_WINDOW_S,
    LOGIN_SESSION_S,
    MAX_FAILURES,
    Authenticator,
    TooManyAttempts,
    token_problem,
)

TOKEN = "right-token-0123456789"


@attrs.define
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bearer_header_forms() -> None:
    auth = Authenticator(TOKEN)
    assert auth.bearer_ok("a", f"Bearer {TOKEN}", "/rpc") is True
    assert auth.bearer_ok("a", f"bearer   {TOKEN} ", "/rpc") is True
    assert auth.bearer_ok("a", "Bearer wrong", "/rpc") is False
    assert auth.bearer_ok("a", "Bearer ‘non-ascii’", "/rpc") is False
    assert auth.bearer_ok("a", f"Basic {TOKEN}", "/rpc") is None
    assert auth.bearer_ok("a", None, "/rpc") is None


def test_an_address_is_locked_out_after_too_many_failures_until_the_window_passes() -> None:
    clock = FakeClock()
    auth = Authenticator(TOKEN, clock=clock)
    for _ in range(MAX_FAILURES):
        assert auth.check_token("10.0.0.1", "wrong", "/rpc") is False
    with pytest.raises(TooManyAttempts) as locked:
        auth.check_token("10.0.0.1", TOKEN, "/rpc")
    assert 0 < locked.value.retry_after_s <= FAILURE_WINDOW_S
    assert auth.check_token("10.0.0.2", TOKEN, "/rpc") is True  # other addresses are not affected
    clock.now += FAILURE_WINDOW_S + 1
    assert auth.check_token("10.0.0.1", TOKEN, "/rpc") is True


def test_login_sessions_expire_and_close() -> None:
    clock = FakeClock()
    auth = Authenticator(TOKEN, clock=clock)
    session = auth.open_session()
    assert auth.session_ok(session) and not auth.session_ok("forged") and not auth.session_ok(None)
    auth.close_session(session)
    assert not auth.session_ok(session)
    later = auth.open_session()
    clock.now += LOGIN_SESSION_S + 1
    assert not auth.session_ok(later)


def test_weak_tokens_are_refused() -> None:
    assert token_problem("short") is not None
    assert token_problem("sixteen chars ok") is not None  # spaces
    assert token_problem("sixteen-chars-ok") is None
    assert "0123456789" not in repr(Authenticator(TOKEN))


def test_old_failures_of_many_addresses_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("transport.auth.MAX_TRACKED_CLIENTS", 3)
    clock = FakeClock()
    auth = Authenticator(TOKEN, clock=clock)
    for address in ("a", "b", "c"):
        auth.check_token(address, "wrong", "/rpc")
    clock.now += FAILURE_WINDOW_S + 1
    auth.check_token("d", "wrong", "/rpc")
    assert set(auth._failures) == {"d"}


def test_forgetting_keeps_every_address_with_a_recent_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("transport.auth.MAX_TRACKED_CLIENTS", 3)
    clock = FakeClock()
    auth = Authenticator(TOKEN, clock=clock)
    auth.check_token("a", "wrong", "/rpc")
    auth.check_token("b", "wrong", "/rpc")
    clock.now += 30
    auth.check_token("a", "wrong", "/rpc")  # a's latest failure is now recent, b's is not
    auth.check_token("c", "wrong", "/rpc")
    clock.now += FAILURE_WINDOW_S - 20
    auth.check_token("d", "wrong", "/rpc")
    assert set(auth._failures) == {"a", "c", "d"}
