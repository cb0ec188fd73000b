"""The QuartTrio application: `/rpc`, `/healthz`, the binary file routes, the analytics page and the
static client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from quart import Response, request
from quart_trio import QuartTrio

from runtime.services import Services
from transport import analytics_page, files, static
from transport.registry import Registry
from transport.rpc import INVALID_REQUEST, RpcAnswer, answer_rpc, encode_json, error_envelope

JSON_TYPE = "application/json"


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_json(body), status=status, content_type=JSON_TYPE, headers=headers)


def too_large_message(limit: int) -> str:
    return f"request body exceeds the limit of {limit} bytes"


async def read_body(limit: int) -> bytes:
    """The whole request body, counting bytes as they arrive (STACK-NOTES P3)."""
    if (request.content_length or 0) > limit:
        raise BodyTooLarge()
    buffer = bytearray()
    async for chunk in request.body:
        buffer += chunk
        if len(buffer) > limit:
            raise BodyTooLarge()
    return bytes(buffer)


def create_app(services: Services, registry: Registry, static_dir: Path | None = None) -> QuartTrio:
    """Build the app over running services. The caller owns the services' lifetime."""
    app = QuartTrio(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = None  # we count bytes ourselves, per route
    app.config["RESPONSE_TIMEOUT"] = None  # turn streams may run for minutes (STACK-NOTES P1)
    app.config["BODY_TIMEOUT"] = 300
    limit = services.limits.max_upload_bytes

    @app.post("/rpc")
    async def rpc() -> Response:
        try:
            body = await read_body(limit)
        except BodyTooLarge:
            envelope = error_envelope(None, None, INVALID_REQUEST, too_large_message(limit))
            return json_response(envelope, 413, {"Connection": "close"})
        answer = await answer_rpc(body, registry, services)
        return _rpc_response(answer)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok", content_type="text/plain")

    @app.post("/upload/<path:_rest>")
    async def upload(_rest: str) -> Response:
        resource_id, file_id = files.slot_from_raw_path(request.scope.get("raw_path", b""), "/upload/")
        try:
            body = await read_body(limit)
        except BodyTooLarge:
            error = {"code": INVALID_REQUEST, "message": too_large_message(limit)}
            return json_response(error, 413, {"Connection": "close"})
        headers = files.UploadHeaders.from_request(request.headers)
        status, payload = await files.upload(services, resource_id, file_id, headers, body)
        return json_response(payload, status)

    @app.get("/download/<path:_rest>")
    async def download(_rest: str) -> Response:
        resource_id, file_id = files.slot_from_raw_path(request.scope.get("raw_path", b""), "/download/")
        result = await files.download(services, resource_id, file_id)
        if isinstance(result, files.FileError):
            return json_response(result.body, result.status)
        headers = {"Content-Disposition": files.content_disposition(result.file_name)} if result.file_name else {}
        return Response(result.data, content_type=result.content_type, headers=headers)

    analytics_page.mount(app)
    static.mount(app, static_dir)
    return app


def _rpc_response(answer: RpcAnswer) -> Response:
    if answer.stream is None:
        return Response(answer.text, status=answer.status, content_type=JSON_TYPE)
    response = Response(_frames(answer.stream), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response


async def _frames(stream: Any) -> AsyncIterator[bytes]:
    # Closing the response (the client left) must close the handler's stream at once, so
    # its cleanup runs now rather than whenever the generator is garbage-collected.
    async with contextlib.aclosing(stream):
        async for frame in stream:
            yield frame
