"""Every tagged union the codec knows: (union type, tag → class, tag key, what the tag names)."""

from __future__ import annotations

from typing import Any

from runtime.model.state import STATE_OP_TAGS, StateOp

TAGGED_UNIONS: list[tuple[Any, dict[str, type], str, str]] = [
    (StateOp, STATE_OP_TAGS, "type", "op"),
]
