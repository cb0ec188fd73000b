"""The checks every request passes before its route runs, in this order:

1. `Host` (DNS rebinding) and `Origin` (cross-site requests), see `transport.cross_site`;
   an allowed origin's preflight is answered here;
2. the access token, when one is configured: a Bearer header or a login-session cookie, on
   every route but `/healthz` (a liveness probe that tells nothing) and the login page itself.

A refusal is JSON in the route's error form (`transport.refusals`); a browser asking for a page
without being signed in is sent to the login page instead. Allowed origins get CORS headers on
every answer.
"""

from __future__ import annotations

import logging

from quart import Response, request
from quart_trio import QuartTrio

from transport.auth import SESSION_COOKIE, Authenticator, TooManyAttempts
from transport.cross_site import CrossSitePolicy, cors_headers, preflight_headers
from transport.login import LOGIN_PATH, login_redirect, mount_login
from transport.refusals import FORBIDDEN, TOO_MANY_ATTEMPTS, UNAUTHORIZED, refusal

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/healthz", LOGIN_PATH})
API_PREFIXES = ("/rpc", "/upload/", "/download/")


def install_gate(app: QuartTrio, policy: CrossSitePolicy, authenticator: Authenticator | None) -> None:
    """Register the checks on `app` (and the login routes when a token is required)."""
    if authenticator is not None:
        mount_login(app, authenticator)

    @app.before_request
    async def check_request() -> Response | None:
        refused = _cross_site_refusal(policy)
        if refused is not None or authenticator is None or request.path in OPEN_PATHS:
            return refused
        return _auth_refusal(authenticator)

    @app.after_request
    async def grant_allowed_origin(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin is not None and policy.grants(origin):
            response.headers.update(cors_headers(origin))
        return response


def _cross_site_refusal(policy: CrossSitePolicy) -> Response | None:
    host = request.headers.get("Host")
    reason = policy.host_refusal(host)
    if reason is None:
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and origin is not None and "Access-Control-Request-Method" in request.headers:
            return _preflight(policy, origin)
        reason = policy.origin_refusal(origin, request.scheme, host)
    if reason is None:
        return None
    log.warning("cross_site_refused", extra={"path": request.path, "client": request.remote_addr, "reason": reason})
    return refusal(403, FORBIDDEN, reason)


def _preflight(policy: CrossSitePolicy, origin: str) -> Response:
    if not policy.grants(origin):
        return refusal(403, FORBIDDEN, f"origin {origin[:100]!r} is not allowed (see --allowed-origin)")
    return Response("", status=204, headers=preflight_headers(origin))


def _auth_refusal(authenticator: Authenticator) -> Response | None:
    client = request.remote_addr or "-"
    try:
        bearer = authenticator.bearer_ok(client, request.headers.get("Authorization"), request.path)
    except TooManyAttempts as exc:
        headers = {"Retry-After": str(exc.retry_after_s)}
        return refusal(429, TOO_MANY_ATTEMPTS, str(exc), headers)
    if bearer:
        return None
    if bearer is None and authenticator.session_ok(request.cookies.get(SESSION_COOKIE)):
        return None
    if bearer is None and _wants_a_page():
        return login_redirect()
    message = "the access token is wrong" if bearer is False else "an access token is required"
    return refusal(401, UNAUTHORIZED, message, {"WWW-Authenticate": 'Bearer realm="dramaturg"'})


def _wants_a_page() -> bool:
    """A browser navigating to a page of the web client (not an API call, not an asset fetch)."""
    if request.method != "GET" or request.path.startswith(API_PREFIXES):
        return False
    return "text/html" in request.headers.get("Accept", "")
