"""Error answers outside the JSON-RPC handlers: always JSON, in the form each route's client reads.

On `/rpc` an error is an envelope with `"id": null` (PROTOCOL §18.2 item 7); on every other
route it is a bare `{code, message}` (§5.6). An answer given before the request body was read
carries `Connection: close`: the unread body would otherwise be taken for the next request on a
kept-alive connection (STACK-NOTES P4).
"""

from __future__ import annotations

from typing import Any

from quart import Response, request

from transport.rpc import INVALID_REQUEST, answer_bytes, encode_json, error_envelope

JSON_TYPE = "application/json"
RPC_PATH = "/rpc"

# Codes of refusals that happen before any handler; the HTTP status × 100 + its last two digits,
# as 40404 and 40909 are.
UNAUTHORIZED = 40101
FORBIDDEN = 40303
TOO_MANY_ATTEMPTS = 42929
NOT_FOUND = 40404


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(answer_bytes(encode_json(body)), status=status, content_type=JSON_TYPE, headers=headers)


def request_has_unread_body() -> bool:
    """Whether the current request announced a body (a length above 0, or chunked)."""
    return (request.content_length or 0) > 0 or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def refusal(
    status: int, code: int, message: str, headers: dict[str, str] | None = None, *, body_read: bool = False
) -> Response:
    """The error answer for the current request's route; see the module docstring."""
    body: Any = (
        error_envelope(None, None, code, message) if request.path == RPC_PATH else {"code": code, "message": message}
    )
    all_headers = dict(headers or {})
    if not body_read and request_has_unread_body():
        all_headers["Connection"] = "close"
    return json_response(body, status, all_headers)


def method_not_allowed(allowed: str) -> Response:
    """405 for a method the route does not serve, naming the ones it does."""
    message = f"method {request.method} is not allowed on {request.path} (use {allowed})"
    return refusal(405, INVALID_REQUEST, message, {"Allow": allowed})
