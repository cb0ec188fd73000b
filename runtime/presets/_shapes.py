"""JSON skeletons of every structured output (PROTOCOL §9.2, §14.8).

They serve twice: inside the built-in output contracts, and as the `EXPECTED_SHAPE:` section
of repair calls (§9.5, §14.9). Each skeleton is valid JSON whose strings describe the value
expected in their place.
"""

from __future__ import annotations

import json
from typing import Any

_CONDITION_EXAMPLE: dict[str, Any] = {"scope": "global", "key": "gate_open", "op": "eq", "value": True}

_TRANSITIONS_EXAMPLE: list[dict[str, Any]] = [
    {"to": "market_gate", "condition": _CONDITION_EXAMPLE},
    {
        "to": "back_alley",
        "condition": {"scope": "character", "character": "merchant", "key": "trust", "op": "gte", "value": 3},
    },
    {"to": "checkpoint", "condition": None},
]

_NODE_EXAMPLE: dict[str, Any] = {
    "id": "harbor_dock",
    "title": "short node title",
    "scene": "what the player finds here, in one to three sentences",
    "goal": "what should happen in this node before the story moves on",
    "characters": ["merchant"],
    "transitions": _TRANSITIONS_EXAMPLE,
    "on_enter_updates": [{"type": "SetState", "key": "harbor_visited", "value": True}],
}

_WORLD_SCHEMA_EXAMPLE: dict[str, Any] = {
    "fields": {
        "gate_open": {"value_type": "bool", "default": False, "description": "whether the market gate is open"},
        "alarm_level": {
            "value_type": "string",
            "default": "calm",
            "description": "how alert the city watch is",
            "enum_values": ["calm", "alert", "lockdown"],
        },
    }
}

_PLAYER_SCHEMA_EXAMPLE: dict[str, Any] = {
    "fields": {"coins": {"value_type": "int", "default": 5, "description": "money the player carries"}}
}

_PATCH_EXAMPLE: dict[str, Any] = {
    "node_id": "id of the node that gets the new transitions",
    "add_transitions": [{"to": "id of the target node", "condition": None}],
}

RESPONSE_PLAN: dict[str, Any] = {
    "role_actions": [
        {
            "type": "create_and_enter",
            "session_character_id": "harbor_guard",
            "display_name": "Harbor Guard",
            "personality": "who this temporary character is",
            "style": "how they speak and move",
            "system_prompt": "private instructions for playing them",
        },
        {"type": "leave_scene", "session_character_id": "harbor_guard"},
    ],
    "beats": [
        {"type": "Narrator", "purpose": "DescribeScene"},
        {"type": "Actor", "speaker_id": "merchant", "purpose": "ReactToPlayer"},
    ],
}

STATE_UPDATE: dict[str, Any] = {
    "ops": [
        {"type": "SetState", "key": "gate_open", "value": True},
        {"type": "SetPlayerState", "key": "coins", "value": 3},
        {"type": "SetCharacterState", "character": "merchant", "key": "trust", "value": 2},
        {"type": "AddActiveCharacter", "character": "merchant"},
    ]
}

REPLIES: dict[str, Any] = {
    "replies": [
        {"id": "reply_1", "text": "a short reply the player could send"},
        {"id": "reply_2", "text": "a clearly different reply"},
    ]
}

FULL_GRAPH: dict[str, Any] = {
    "graph": {"start_node": "harbor_dock", "nodes": [_NODE_EXAMPLE]},
    "world_state_schema": _WORLD_SCHEMA_EXAMPLE,
    "player_state_schema": _PLAYER_SCHEMA_EXAMPLE,
    "introduction": "short player-facing opening paragraph",
}

DRAFT_INIT: dict[str, Any] = {
    "nodes": [_NODE_EXAMPLE],
    "transition_patches": [_PATCH_EXAMPLE],
    "section_summary": "one sentence that sums up this section",
    "start_node": "harbor_dock",
    "world_state_schema": _WORLD_SCHEMA_EXAMPLE,
    "player_state_schema": _PLAYER_SCHEMA_EXAMPLE,
    "introduction": "short player-facing opening paragraph",
}

DRAFT_CONTINUE: dict[str, Any] = {
    "nodes": [{**_NODE_EXAMPLE, "id": "lighthouse_stairs"}],
    "transition_patches": [_PATCH_EXAMPLE],
    "section_summary": "one sentence that sums up this section",
}


LINE_WIDTH = 100  # a value that fits on one line this wide is written on one line


def skeleton(shape: dict[str, Any]) -> str:
    """The shape as JSON text for a prompt: indented, but short objects and lists stay on one line."""
    return _format(shape, 0)


def _format(value: Any, indent: int) -> str:
    flat = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if not isinstance(value, (dict, list)) or not value or indent + len(flat) <= LINE_WIDTH:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key)}: {_format(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{inner}{_format(item, indent + 2)}" for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
