"""Provider failures as `ProviderError` (50002), with the messages of PROTOCOL §15.1.

This is the one place where httpx's errors and provider error bodies become Dramaturg's
(STYLE H3). `retryable` marks what R8 retries: connection errors, timeouts, 429 and 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import httpx

from runtime.errors import ProviderError

RAW_BODY_CHARS = 2000  # an HTML error page is cut here, so messages stay one readable line
HTTP_UNAUTHORIZED = 401
HTTP_TOO_MANY_REQUESTS = 429
HTTP_CLIENT_ERRORS = range(400, 500)
HTTP_SERVER_ERRORS = range(500, 600)
NOT_REFUSALS = frozenset({401, 403, 404, 408, 429})
"""Statuses that say something else than 'this request's content is not accepted'."""
SECRET_HEADERS = frozenset({"authorization", "x-api-key"})
SECRET_MASK = "***"
MIN_SECRET_CHARS = 4  # masking a shorter string would garble ordinary words


class ProviderStatusError(ProviderError):
    """The provider answered with a non-2xx status (kept, for telling a refused field apart)."""

    def __init__(self, message: str, status: int, *, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status

    def names(self, fields: Iterable[str]) -> bool:
        """Whether this refuses the request's content (a 4xx or 5xx that is not about auth, a
        missing route or rate limits) and its message names one of `fields`."""
        if self.status in NOT_REFUSALS:
            return False
        if self.status not in HTTP_CLIENT_ERRORS and self.status not in HTTP_SERVER_ERRORS:
            return False
        text = self.message.lower()
        return any(field in text for field in fields)


class ProviderTimeout(ProviderError):
    """No complete answer within the call's time limit."""


def status_error(status: int, body: bytes, secrets: Iterable[str] = ()) -> ProviderStatusError:
    """The error for a non-2xx answer: 401, 429, or `provider error ({status}): {message}`.

    Providers may quote the key they were sent in their error text; every one of `secrets`
    is masked, so the key never reaches a client or a log line.
    """
    if status == HTTP_UNAUTHORIZED:
        return ProviderStatusError("authentication failed", status)
    if status == HTTP_TOO_MANY_REQUESTS:
        return ProviderStatusError("rate limited by provider", status, retryable=True)
    message = mask_secrets(error_body_message(body), secrets)
    return ProviderStatusError(f"provider error ({status}): {message}", status, retryable=status in HTTP_SERVER_ERRORS)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if len(secret) >= MIN_SECRET_CHARS:
            text = text.replace(secret, SECRET_MASK)
    return text


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credentials among request headers: the key itself, however it is carried."""
    secrets = []
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            secrets.append(value)
            secrets.append(value.removeprefix("Bearer ").strip())
    return secrets


def error_body_message(body: bytes) -> str:
    """`error.message` of a JSON error body (both providers use it), else the raw body."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        decoded = json.loads(text)
    except ValueError:
        return text[:RAW_BODY_CHARS]
    error = decoded.get("error") if isinstance(decoded, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    if isinstance(error, str):
        return error
    return text[:RAW_BODY_CHARS]


def transport_error(exc: httpx.HTTPError | httpx.InvalidURL) -> ProviderError:
    """`transport error: {detail}`; retryable unless the URL itself is unusable."""
    detail = str(exc).strip() or type(exc).__name__
    unusable_url = isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol))
    return ProviderError(f"transport error: {detail}", retryable=not unusable_url)


def timeout_error(timeout_s: float) -> ProviderTimeout:
    return ProviderTimeout(f"transport error: no complete response within {timeout_s:g} s", retryable=True)


def malformed_answer(detail: str) -> ProviderError:
    """A 2xx answer we cannot read: never retried (R8 retries transient failures only)."""
    return ProviderError(f"provider error: {detail}")
