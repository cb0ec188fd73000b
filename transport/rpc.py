"""JSON-RPC over `POST /rpc`: envelope checks, dispatch, result tagging and error envelopes.

Processing order (PROTOCOL §3.4): not JSON → -32700/400; bad envelope → -32600/400; unknown
method → -32601/400; params that do not decode → -32602/400; then the handler, whose answer
(success or error) is always HTTP 200.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import attrs

from runtime.codec import CODEC, json_type_name
from runtime.errors import DramaturgError, InvalidParams, NotImplementedYet
from runtime.services import Services
from transport.registry import Call, Method, NoParams, Registry, Reply

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
BACKEND_ERROR = 50001


@attrs.frozen
class Envelope:
    """A request envelope that passed the checks of step 2."""

    request_id: str
    method: str
    params: Any
    session_id: str | None


@attrs.frozen
class RpcAnswer:
    """What goes back: an HTTP status and the JSON text of the envelope, or a stream started by
    the handler."""

    status: int
    text: str | None = None
    stream: Any = None  # set only by streaming methods (session.run_turn)
    method: str = "-"
    code: int | None = None

    @classmethod
    def error(cls, status: int, envelope: dict[str, Any], method: str = "-") -> RpcAnswer:
        return cls(status, encode_json(envelope), method=method, code=envelope["error"]["code"])


class _Rejected(Exception):
    """A pre-dispatch failure: code, HTTP status, message, and whatever id was readable."""

    def __init__(self, code: int, message: str, request_id: str | None, session_id: str | None) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.request_id, self.session_id = request_id, session_id


def error_envelope(request_id: str | None, session_id: str | None, code: int, message: str) -> dict[str, Any]:
    envelope: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if session_id is not None:
        envelope["session_id"] = session_id
    envelope["error"] = {"code": code, "message": message}
    return envelope


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_json(value: Any) -> str:
    """Compact JSON text, as every answer is sent."""
    return _ENCODER.encode(value)


def result_member(tag: str, payload: Any) -> str:
    """The JSON text of an envelope's `result`: `{"type": tag, …payload's fields}`."""
    body = CODEC.unstructure(payload) if payload is not None else {}
    return encode_json({"type": tag, **body})


def result_envelope_text(request_id: str, session_id: str | None, result_text: str) -> str:
    """The success envelope around an already encoded `result`, exactly as encoding the whole
    envelope would give it; the result's text can then be reused across requests."""
    head = f'{{"jsonrpc":"2.0","id":{encode_json(request_id)}'
    if session_id is not None:
        head = f'{head},"session_id":{encode_json(session_id)}'
    return f'{head},"result":{result_text}}}'


def _wire_type(value: object) -> str:
    name = json_type_name(value)
    return "number" if name in ("int", "float") else name


def _refuse_non_json_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def parse_envelope(body: bytes) -> Envelope:
    """Steps 1 and 2 of §3.4. Raises _Rejected."""
    try:
        message = json.loads(body, parse_constant=_refuse_non_json_constant)
    except (ValueError, UnicodeDecodeError):
        raise _Rejected(PARSE_ERROR, "parse error: request body is not valid JSON", None, None) from None
    except RecursionError:  # the parser's own limit, near 1,000 levels
        raise _Rejected(PARSE_ERROR, "parse error: request body is nested too deeply", None, None) from None
    if not isinstance(message, dict):
        raise _Rejected(INVALID_REQUEST, f"request: expected object, got {_wire_type(message)}", None, None)
    raw_id, raw_session = message.get("id"), message.get("session_id")
    readable_id = raw_id if isinstance(raw_id, str) else None
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
        raise _Rejected(INVALID_REQUEST, f"id: expected string, got {_wire_type(raw_id)}", None, readable_session)
    if "method" not in message:
        raise reject("method: missing required field")
    if not isinstance(message["method"], str):
        raise reject(f"method: expected string, got {_wire_type(message['method'])}")
    if "session_id" in message and readable_session is None:
        raise _Rejected(
            INVALID_REQUEST, f"session_id: expected string, got {_wire_type(raw_session)}", readable_id, None
        )
    return Envelope(readable_id, message["method"], message.get("params", {}), readable_session)


def decode_params(method: Method, raw: Any) -> Any:
    """Step 4: structure the params strictly. Raises InvalidParams with field paths."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidParams(f"params: expected object, got {_wire_type(raw)}")
    if method.params is NoParams:
        if raw:
            raise InvalidParams("; ".join(f"params.{key}: unknown field" for key in sorted(raw)))
        return NoParams()
    return CODEC.structure(raw, method.params, path="params")


async def answer_rpc(body: bytes, registry: Registry, services: Services) -> RpcAnswer:
    """Run one `/rpc` request to its answer. Never raises (except cancellation)."""
    started = time.perf_counter()
    answer = await _answer(body, registry, services)
    log.info(
        "rpc",
        extra={
            "method": answer.method,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "outcome": "ok" if answer.code is None else answer.code,
        },
    )
    return answer


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
        return RpcAnswer.error(400, error_envelope(rid, sid, METHOD_NOT_FOUND, message))
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
        return RpcAnswer(200, stream=outcome, method=method.name)
    reply = outcome if isinstance(outcome, Reply) else Reply(outcome)
    echoed = reply.session_id if reply.session_id is not None else (sid if method.echoes_session(sid) else None)
    tag, payload = method.result_tag or "", reply.payload
    # A payload the store answered from its read cache is encoded once, not on every request.
    result_text = services.store.derived(payload, ("rpc.result", tag), lambda: result_member(tag, payload))
    return RpcAnswer(200, result_envelope_text(rid, echoed, result_text), method=method.name)
