"""The QuartTrio application: `/rpc`, `/healthz`, `/openrpc.json`, the binary file routes, the analytics
page and the static client.

Every request first passes `transport.gate` (Host, Origin, token). Every answer is JSON except
`/healthz`, the files and pages served, and turn streams; no route answers with an HTML error.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

import attrs
from quart import Response, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from runtime.services import Services
from transport import analytics_page, files, static
from transport.auth import Authenticator
from transport.connections import guard_connections
from transport.cross_site import CrossSitePolicy
from transport.gate import install_gate
from transport.openrpc import discovered_document
from transport.refusals import JSON_TYPE, NOT_FOUND, json_response, method_not_allowed, refusal
from transport.registry import Call, Registry
from transport.request_body import BodyTooLarge, BodyTooSlow, read_body
from transport.rpc import INVALID_REQUEST, RpcAnswer, answer_bytes, answer_rpc, encode_json

log = logging.getLogger(__name__)

OTHER_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE"]  # answered 405 on POST-only routes
OPENRPC_REQUEST_ID = "openrpc.json"  # `GET /openrpc.json` runs `rpc.discover` under this id
REQUEST_TIMEOUT = 408
TOO_LARGE = 413
UNSUPPORTED_MEDIA_TYPE = 415


@attrs.frozen
class AppOptions:
    """What the app needs besides the services: the transport half of `Settings`."""

    static_dir: Path | None = None
    policy: CrossSitePolicy = attrs.field(factory=CrossSitePolicy)
    auth_token: str | None = attrs.field(default=None, repr=False)
    body_timeout_s: float = 60.0


def too_large_message(limit: int) -> str:
    return f"request body exceeds the limit of {limit} bytes"


def body_refusal(exc: BodyTooLarge | BodyTooSlow, limit: int, timeout_s: float) -> Response:
    """413 or 408, closing the connection: the rest of the body is never read."""
    if isinstance(exc, BodyTooLarge):
        return refusal(TOO_LARGE, INVALID_REQUEST, too_large_message(limit), {"Connection": "close"})
    message = f"request body did not arrive within {timeout_s:g} s"
    return refusal(REQUEST_TIMEOUT, INVALID_REQUEST, message, {"Connection": "close"})


def is_json_content_type() -> bool:
    """`application/json`, with or without parameters (`; charset=utf-8`)."""
    return request.mimetype == JSON_TYPE


def create_app(services: Services, registry: Registry, options: AppOptions | None = None) -> QuartTrio:
    """Build the app over running services. The caller owns the services' lifetime."""
    options = options or AppOptions()
    app = QuartTrio(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = None  # we count bytes ourselves, per route
    app.config["RESPONSE_TIMEOUT"] = None  # turn streams may run for minutes (STACK-NOTES P1)
    app.config["BODY_TIMEOUT"] = options.body_timeout_s
    limit, timeout_s = services.limits.max_upload_bytes, options.body_timeout_s
    authenticator = Authenticator(options.auth_token) if options.auth_token else None
    install_gate(app, options.policy, authenticator)

    @app.post("/rpc")
    async def rpc() -> Response:
        if not is_json_content_type():
            shown = request.headers.get("Content-Type", "none")[:100]
            message = f"Content-Type: expected application/json, got {shown}"
            return refusal(UNSUPPORTED_MEDIA_TYPE, INVALID_REQUEST, message)
        try:
            body = await read_body(limit, timeout_s)
        except (BodyTooLarge, BodyTooSlow) as exc:
            return body_refusal(exc, limit, timeout_s)
        answer = await answer_rpc(body, registry, services)
        return _rpc_response(answer)

    @app.route("/rpc", methods=OTHER_METHODS)
    async def rpc_other_methods() -> Response:
        return method_not_allowed("POST")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok", content_type="text/plain")

    openrpc_body: bytes | None = None  # the registry does not change while the app runs

    @app.get("/openrpc.json")
    async def openrpc_document() -> Response:
        # Encoding the document (~140 KB) takes tens of milliseconds on the event loop: done once.
        nonlocal openrpc_body
        if openrpc_body is None:
            document = await discovered_document(registry, Call(services, OPENRPC_REQUEST_ID, None))
            openrpc_body = answer_bytes(encode_json(document))
        return Response(openrpc_body, content_type=JSON_TYPE)

    @app.post("/upload/<path:_rest>")
    async def upload(_rest: str) -> Response:
        resource_id, file_id = files.slot_from_raw_path(request.scope.get("raw_path", b""), "/upload/")
        try:
            body = await read_body(limit, timeout_s)
        except (BodyTooLarge, BodyTooSlow) as exc:
            return body_refusal(exc, limit, timeout_s)
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
    static.mount(app, options.static_dir)
    _answer_http_errors_as_json(app)
    app.asgi_app = guard_connections(app.asgi_app)  # type: ignore[method-assign,assignment]
    return app


def _answer_http_errors_as_json(app: QuartTrio) -> None:
    """Routing errors (unknown path, wrong method) and any crash answer JSON, never an HTML page."""

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        if isinstance(error, MethodNotAllowed):
            return method_not_allowed(", ".join(sorted(error.valid_methods or ())))
        status = error.code or 500
        if status == 404:
            return refusal(404, NOT_FOUND, f"nothing is served at {request.path[:200]}")
        return refusal(status, INVALID_REQUEST, error.description or error.name)

    @app.errorhandler(Exception)
    async def crashed(error: Exception) -> Response:
        log.error("request_crashed", exc_info=error, extra={"path": request.path[:200]})
        return refusal(500, 50001, "internal error")


def _rpc_response(answer: RpcAnswer) -> Response:
    if answer.stream is None:
        return Response(answer_bytes(answer.text or ""), status=answer.status, content_type=JSON_TYPE)
    response = Response(_frames(answer.stream.frames), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response


async def _frames(stream: AsyncGenerator[bytes, None]) -> AsyncIterator[bytes]:
    # Closing the response (the client left) must close the handler's stream at once, so
    # its cleanup runs now rather than whenever the generator is garbage-collected.
    async with contextlib.aclosing(stream):
        async for frame in stream:
            yield frame
