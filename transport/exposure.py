"""The rule that keeps a server reachable from other machines from running without a token.

A listen address other than a loopback one (127.0.0.0/8, ::1, `localhost`) or a unix socket is
reachable from the network, so the server refuses to start there unless a token is required
(`--auth-token`) or the operator says that something in front authenticates
(`--insecure-no-auth`). The rule is checked on the settings, before anything is bound.
"""

from __future__ import annotations

import ipaddress

from transport.settings import SOCKET_LISTEN_PREFIXES, Settings


class UnsafeExposure(Exception):
    """The settings would serve the network without a token; the message says what to do."""


def listen_host(listen: str) -> str:
    """The host part of a hypercorn bind (`host:port`, `[v6]:port`)."""
    if listen.startswith("["):
        return listen[1:].partition("]")[0]
    host, _, _ = listen.rpartition(":")
    return host if host else listen


def is_loopback_listen(listen: str) -> bool:
    """Whether the bind can be reached from this machine only."""
    if listen.startswith(SOCKET_LISTEN_PREFIXES):
        return True
    host = listen_host(listen).strip().lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to any address


def exposure_problem(settings: Settings) -> str | None:
    """The one-line explanation of why these settings may not start, or None."""
    if settings.auth_token or settings.insecure_no_auth or is_loopback_listen(settings.listen):
        return None
    return (
        f"refusing to listen on {settings.listen} without an access token: other machines could use "
        "this server and its stored API keys. Start it with --auth-token generate (or "
        "--auth-token TOKEN / DRAMATURG_AUTH_TOKEN), or with --insecure-no-auth if a proxy in front "
        "of it authenticates every request."
    )


def refuse_unsafe_exposure(settings: Settings) -> None:
    """Raise UnsafeExposure when `exposure_problem` finds one."""
    problem = exposure_problem(settings)
    if problem is not None:
        raise UnsafeExposure(problem)
