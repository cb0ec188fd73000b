"""Quart responses the stub sends: JSON bodies, SSE streams, and the deliberate broken connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

from quart import Response

from runtime.codec import CODEC

JSON_TYPE = "application/json"
INVALID_JSON_BODY = '{"choices": [ this is not JSON'


class StreamCut(Exception):
    """Raised inside a streaming body to break the connection before the end marker.

    hypercorn then drops the connection without the final chunk, so the client sees an
    incomplete body, exactly like a provider connection that died mid-answer.
    """


def json_response(record: object, status: int = 200) -> Response:
    return Response(CODEC.dumps(record), status=status, content_type=JSON_TYPE)


def raw_response(body: str, status: int) -> Response:
    return Response(body, status=status, content_type=JSON_TYPE)


def sse_response(events: AsyncIterator[bytes]) -> Response:
    response = Response(events, content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.timeout = None  # long or slow streams must not be cut by Quart (STACK-NOTES P1)
    return response


def sse_data(payload: str) -> bytes:
    return f"data: {payload}\n\n".encode()


def sse_event(name: str, payload: str) -> bytes:
    return f"event: {name}\ndata: {payload}\n\n".encode()
