"""One HTTP exchange with a provider, bounded by a deadline, with httpx's errors translated."""

from __future__ import annotations

import contextlib
from typing import Any, Final

import attrs
import httpx
import trio

from runtime.clock import Clock
from runtime.llm._errors import header_secrets, status_error, timeout_error, transport_error
from runtime.llm._settings import LlmSettings
from runtime.llm._structured import EndpointMemory
from runtime.llm._telemetry import CallRecorder
from runtime.llm._wire import decode_json


@attrs.frozen
class ClientContext:
    """What every provider client shares: the HTTP client, the settings, the clock, the recorder,
    and what endpoints were found to refuse (one memory for every lane)."""

    http: httpx.AsyncClient
    settings: LlmSettings
    clock: Clock
    recorder: CallRecorder | None = None
    memory: EndpointMemory = attrs.field(factory=EndpointMemory)


async def exchange_json(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    timeout_s: float,
    deadline: float | None = None,
) -> Any:
    """Send one request and return its decoded JSON answer. It must be whole by `deadline`, else
    within `timeout_s` from now (the time limit the timeout error names)."""
    with trio.move_on_at(trio.current_time() + timeout_s if deadline is None else deadline):
        response = await _send(http, method, url, headers, body)
        if not response.is_success:
            raise status_error(response.status_code, response.content, header_secrets(headers))
        return decode_json(response.content, "response body")
    raise timeout_error(timeout_s)


async def _send(
    http: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], body: bytes | None
) -> httpx.Response:
    try:
        response = await http.request(method, url, headers=headers, content=body)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise transport_error(exc) from exc
    _unlink(response)
    return response


async def open_stream(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes, deadline: float, timeout_s: float
) -> httpx.Response:
    """Send a streaming request and return the response once its headers say 2xx.

    The caller owns the response and must `aclose` it. A non-2xx answer is read, closed and
    raised as its ProviderError.
    """
    with trio.move_on_at(deadline):
        try:
            response = await http.send(http.build_request("POST", url, headers=headers, content=body), stream=True)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise transport_error(exc) from exc
        if response.is_success:
            return response
        try:
            content = await response.aread()
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        finally:
            await close_quietly(response)
        raise status_error(response.status_code, content, header_secrets(headers))
    raise timeout_error(timeout_s)


async def close_quietly(response: httpx.Response) -> None:
    # Closing a connection the peer already broke may raise; the call's outcome is decided already.
    # Shielded so that a call cut short by its deadline still gives its connection back.
    with trio.CancelScope(shield=True), contextlib.suppress(httpx.HTTPError):
        await response.aclose()
    _unlink(response)


def _unlink(response: httpx.Response) -> None:
    """Break the reference cycle between a closed response and its stream.

    httpx's client wraps each response's stream in one that points back at the response, so every
    call left ~40 objects that only a full collection could free: a call lasts seconds, long enough
    for them to reach the oldest generation. With the closed stream replaced by an empty one,
    reference counting frees the call at once, and full collections can be rare (`transport.gc_tuning`).
    """
    response.stream = _CLOSED_BODY


_CLOSED_BODY: Final = httpx.ByteStream(b"")
