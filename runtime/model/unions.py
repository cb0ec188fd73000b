"""Every tagged union the codec knows: (union type, tag → class, tag key, what the tag names)."""

from __future__ import annotations

from typing import Any

from runtime.model.state import STATE_OP_TAGS, StateOp
from runtime.model.turns import (
    EXECUTED_BEAT_TAGS,
    RESPONSE_BEAT_TAGS,
    ROLE_ACTION_TAGS,
    STREAM_EVENT_TAGS,
    ExecutedBeat,
    ResponseBeat,
    SessionCharacterAction,
    StreamEvent,
)

TAGGED_UNIONS: list[tuple[Any, dict[str, type], str, str]] = [
    (StateOp, STATE_OP_TAGS, "type", "op"),
    (ResponseBeat, RESPONSE_BEAT_TAGS, "type", "beat type"),
    (SessionCharacterAction, ROLE_ACTION_TAGS, "type", "role action"),
    (ExecutedBeat, EXECUTED_BEAT_TAGS, "type", "beat type"),
    (StreamEvent, STREAM_EVENT_TAGS, "type", "event type"),
]
