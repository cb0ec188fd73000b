"""JSON-RPC over `POST /rpc`: envelope checks, dispatch, result tagging and error envelopes.

Processing order (PROTOCOL §3.4): not JSON → -32700/400; bad envelope → -32600/400; unknown
method → -32601/400; params that do not decode → -32602/400; then the handler, whose answer
(success or error) is always HTTP 200.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any

import attrs

from runtime.codec import CODEC, encode_json, json_type_name
from runtime.errors import DramaturgError, InvalidParams, NotImplementedYet
from runtime.json_input import JsonInputError, check_json_value, parse_json_text
from runtime.services import Services
from transport.registry import Call, Method, NoParams, Registry, Reply, RequestId, Streamed

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
BACKEND_ERROR = 50001


@attrs.frozen
class Envelope:
    """A request envelope that passed the checks of step 2."""

    request_id: RequestId
    method: str
    params: Any
    session_id: str | None


@attrs.frozen
class RpcAnswer:
    """What goes back: an HTTP status and the JSON text of the envelope, or a stream started by
    the handler; and what the request's log line says about it."""

    status: int
    text: str | None = None
    stream: Streamed | None = None  # set only for streaming methods (session.run_turn)
    method: str | None = None  # the name the request asked for, known or not
    code: int | None = None
    request_id: RequestId | None = None
    session_id: str | None = None

    @classmethod
    def error(cls, status: int, envelope: dict[str, Any], method: str | None = None) -> RpcAnswer:
        return cls(
            status,
            encode_json(envelope),
            method=method,
            code=envelope["error"]["code"],
            request_id=envelope["id"],
            session_id=envelope.get("session_id"),
        )


class _Rejected(Exception):
    """A pre-dispatch failure: code, HTTP status, message, and whatever id was readable."""

    def __init__(self, code: int, message: str, request_id: RequestId | None, session_id: str | None) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.request_id, self.session_id = request_id, session_id


def error_envelope(request_id: RequestId | None, session_id: str | None, code: int, message: str) -> dict[str, Any]:
    envelope: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if session_id is not None:
        envelope["session_id"] = session_id
    envelope["error"] = {"code": code, "message": message}
    return envelope


def answer_bytes(text: str) -> bytes:
    """The UTF-8 bytes of an answer's JSON text. A lone surrogate cannot be encoded as UTF-8; it
    is written as its `\\uXXXX` escape, which is valid JSON, rather than failing the answer."""
    return text.encode("utf-8", "backslashreplace")


def result_member(tag: str, payload: Any) -> str:
    """The JSON text of an envelope's `result`: `{"type": tag, …payload's fields}`."""
    body = CODEC.unstructure(payload) if payload is not None else {}
    return encode_json({"type": tag, **body})


def result_envelope_text(request_id: RequestId, session_id: str | None, result_text: str) -> str:
    """The success envelope around an already encoded `result`, exactly as encoding the whole
    envelope would give it; the result's text can then be reused across requests."""
    head = f'{{"jsonrpc":"2.0","id":{encode_json(request_id)}'
    if session_id is not None:
        head = f'{head},"session_id":{encode_json(session_id)}'
    return f'{head},"result":{result_text}}}'


def _wire_type(value: object) -> str:
    name = json_type_name(value)
    return "number" if name in ("int", "float") else name


def readable_request_id(raw: object) -> RequestId | None:
    """The id as it will be echoed: a string or an integer (never a boolean), else None."""
    if isinstance(raw, str) or (isinstance(raw, int) and not isinstance(raw, bool)):
        return raw
    return None


def parse_envelope(body: bytes) -> Envelope:
    """Steps 1 and 2 of §3.4. Raises _Rejected."""
    try:
        message = parse_json_text(body)
    except JsonInputError as exc:
        raise _Rejected(PARSE_ERROR, f"parse error: request body is {exc.reason}", None, None) from None
    if not isinstance(message, dict):
        raise _Rejected(INVALID_REQUEST, f"request: expected object, got {_wire_type(message)}", None, None)
    raw_id, raw_session = message.get("id"), message.get("session_id")
    _check_envelope_members(message)
    readable_id = readable_request_id(raw_id)
    readable_session = raw_session if isinstance(raw_session, str) else None

    def reject(text: str) -> _Rejected:
        # An id is echoed only when the envelope is otherwise readable enough to have one.
        return _Rejected(INVALID_REQUEST, text, readable_id, readable_session)

    if "jsonrpc" not in message:
        raise reject("jsonrpc: missing required field")
    if message["jsonrpc"] != "2.0":
        raise reject(f'jsonrpc: expected "2.0", got {json.dumps(message["jsonrpc"])}')
    if "id" not in message:
        raise reject("id: missing required field")
    if readable_id is None:
        raise _Rejected(
            INVALID_REQUEST, f"id: expected string or integer, got {_wire_type(raw_id)}", None, readable_session
        )
    if "method" not in message:
        raise reject("method: missing required field")
    if not isinstance(message["method"], str):
        raise reject(f"method: expected string, got {_wire_type(message['method'])}")
    if "session_id" in message and readable_session is None:
        raise _Rejected(
            INVALID_REQUEST, f"session_id: expected string, got {_wire_type(raw_session)}", readable_id, None
        )
    return Envelope(readable_id, message["method"], message.get("params", {}), readable_session)


_ENVELOPE_MEMBERS = ("jsonrpc", "id", "method", "session_id")


def _check_envelope_members(message: dict[str, Any]) -> None:
    """The JSON value rules (lone surrogates, 64-bit integers, …) on the members that may be
    echoed or looked up. A member that breaks them is never echoed; the others may be."""
    broken: dict[str, JsonInputError] = {}
    for name in _ENVELOPE_MEMBERS:
        try:
            check_json_value(message.get(name), name)
        except JsonInputError as exc:
            broken[name] = exc
    if not broken:
        return
    request_id = None if "id" in broken else readable_request_id(message.get("id"))
    session_id = None if "session_id" in broken else message.get("session_id")
    readable_session = session_id if isinstance(session_id, str) else None
    first = next(iter(broken.values()))
    raise _Rejected(INVALID_REQUEST, str(first), request_id, readable_session)


def decode_params(method: Method, raw: Any) -> Any:
    """Step 4: structure the params strictly. Raises InvalidParams with field paths."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidParams(f"params: expected object, got {_wire_type(raw)}")
    try:
        check_json_value(raw, "params")
    except JsonInputError as exc:
        raise InvalidParams(str(exc)) from None
    if method.params is NoParams:
        if raw:
            raise InvalidParams("; ".join(f"params.{key}: unknown field" for key in sorted(raw)))
        return NoParams()
    return CODEC.structure(raw, method.params, path="params")


async def answer_rpc(body: bytes, registry: Registry, services: Services) -> RpcAnswer:
    """Run one `/rpc` request to its answer. Never raises (except cancellation).

    Every request is logged once, as an `rpc` line; a streamed answer when its stream ends, with
    the outcome of its last frame (or `client_left`).
    """
    started = time.perf_counter()
    answer = await _answer(body, registry, services)
    if answer.stream is None:
        log_request(answer, "ok" if answer.code is None else answer.code, started)
        return answer
    logged = Streamed(_logged_stream(answer.stream, answer, started), answer.stream.end)
    return attrs.evolve(answer, stream=logged)


LOGGED_TEXT_CHARS = 100
"""Longest method name, request id or session id a log line repeats (what a client sent may be longer)."""


def _logged_text(value: RequestId | None) -> RequestId | None:
    if isinstance(value, str) and len(value) > LOGGED_TEXT_CHARS:
        return value[:LOGGED_TEXT_CHARS] + "…"
    return value


def log_request(answer: RpcAnswer, outcome: int | str, started_s: float) -> None:
    """The request's line: its ids and method where it had them, how long it took and how it ended."""
    fields = {
        "request_id": _logged_text(answer.request_id),
        "session_id": _logged_text(answer.session_id),
        "method": _logged_text(answer.method),
        "http_status": answer.status,
        "duration_ms": round((time.perf_counter() - started_s) * 1000, 2),
        "outcome": outcome,
    }
    log.info("rpc", extra={key: value for key, value in fields.items() if value is not None})


async def _logged_stream(streamed: Streamed, answer: RpcAnswer, started_s: float) -> AsyncGenerator[bytes, None]:
    try:
        async with contextlib.aclosing(streamed.frames):
            async for frame in streamed.frames:
                yield frame
    finally:
        log_request(answer, streamed.end.outcome, started_s)


async def _answer(body: bytes, registry: Registry, services: Services) -> RpcAnswer:
    try:
        envelope = parse_envelope(body)
    except _Rejected as rejected:
        return RpcAnswer.error(
            400, error_envelope(rejected.request_id, rejected.session_id, rejected.code, rejected.message)
        )
    rid, sid = envelope.request_id, envelope.session_id
    method = registry.get(envelope.method)
    if method is None:
        message = f"unknown method '{envelope.method}'"
        return RpcAnswer.error(400, error_envelope(rid, sid, METHOD_NOT_FOUND, message), envelope.method)
    try:
        params = decode_params(method, envelope.params)
    except InvalidParams as exc:
        return RpcAnswer.error(400, error_envelope(rid, sid, INVALID_PARAMS, exc.message), method.name)
    try:
        if method.handler is None:
            raise NotImplementedYet(method.name)
        outcome = await method.handler(Call(services, rid, sid), params)
    except DramaturgError as exc:
        return RpcAnswer.error(200, error_envelope(rid, sid, exc.code, exc.message), method.name)
    except Exception as exc:  # the edge: an unexpected failure is a backend error, logged once
        log.exception("rpc_handler_crashed", extra={"method": method.name})
        message = f"internal error: {type(exc).__name__}"
        return RpcAnswer.error(200, error_envelope(rid, sid, BACKEND_ERROR, message), method.name)
    if method.streaming:
        return RpcAnswer(200, stream=outcome, method=method.name, request_id=rid, session_id=sid)
    reply = outcome if isinstance(outcome, Reply) else Reply(outcome)
    echoed = reply.session_id if reply.session_id is not None else (sid if method.echoes_session(sid) else None)
    tag, payload = method.result_tag or "", reply.payload
    try:
        # A payload the store answered from its read cache is encoded once, not on every request.
        result_text = services.store.derived(payload, ("rpc.result", tag), lambda: result_member(tag, payload))
    except ValueError:  # a stored number that is not JSON (written before such input was refused)
        log.exception("rpc_result_not_json", extra={"method": method.name})
        message = "internal error: the stored record cannot be written as JSON"
        return RpcAnswer.error(200, error_envelope(rid, sid, BACKEND_ERROR, message), method.name)
    text = result_envelope_text(rid, echoed, result_text)
    return RpcAnswer(200, text, method=method.name, request_id=rid, session_id=echoed or sid)
