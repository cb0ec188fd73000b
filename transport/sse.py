"""Framing the turn stream as Server-Sent Events, exactly as PROTOCOL §4 shows.

Each event is `event: <name>\\ndata: <compact one-line JSON>\\n\\n` with LF line endings. The
first event is `ack` (a whole response envelope); every later one is a `message` carrying a
ServerEventMessage whose `sequence` starts at 0 with the `started` frame.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from runtime.codec import CODEC
from runtime.model.turns import EngineTurnResult, StreamEvent
from transport.registry import RequestId


def encode_event(name: str, data: Any) -> bytes:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {name}\ndata: {text}\n\n".encode()


def ack_frame(request_id: RequestId, session_id: str) -> bytes:
    envelope = {
        "jsonrpc": "2.0",
        "id": request_id,
        "session_id": session_id,
        "result": {"type": "turn_stream_accepted"},
    }
    return encode_event("ack", envelope)


@attrs.define
class TurnFramer:
    """Numbers the `message` events of one turn stream and wraps each frame."""

    request_id: RequestId
    session_id: str
    _sequence: int = 0

    def _message(self, frame: dict[str, Any]) -> bytes:
        data = {
            "message_type": "stream",
            "request_id": self.request_id,
            "session_id": self.session_id,
            "sequence": self._sequence,
            "frame": frame,
        }
        self._sequence += 1
        return encode_event("message", data)

    def started(self) -> bytes:
        return self._message({"type": "started"})

    def event(self, event: StreamEvent) -> bytes:
        body = CODEC.converter.unstructure(event, StreamEvent)
        return self._message({"type": "event", "body": body})

    def completed(self, result: EngineTurnResult) -> bytes:
        response = {"type": "turn_completed", "result": CODEC.unstructure(result)}
        return self._message({"type": "completed", "response": response})

    def failed(self, code: int, message: str) -> bytes:
        return self._message({"type": "failed", "error": {"code": code, "message": message}})
