"""The context values that prompt entries reference, rendered as text (PROTOCOL §11.2).

A value that is absent (no previous node, no plan, no schema) is None, so its entry is left out
of the prompt, instead of the literal `null` of §11.2: a model reads a bare `null` as content.

Every function is pure: records in, a string out. "Sections" are `name:\\nvalue` blocks joined
by blank lines; a "list" is lines prefixed `- `, or the single line `- none` when empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from runtime.model.cast import CastMember
from runtime.model.graph import Condition, ConditionScope, NarrativeNode, StoryGraph, Transition
from runtime.model.schemas import StateFieldSchema
from runtime.model.sessions import SessionMessage
from runtime.model.state import (
    ActorMemoryEntry,
    AddActiveCharacter,
    RemoveActiveCharacter,
    RemoveCharacterState,
    RemovePlayerState,
    RemoveState,
    SetActiveCharacters,
    SetCharacterState,
    SetPlayerState,
    SetState,
    StateOp,
    WorldState,
)
from runtime.model.turns import ExecutedActorBeat, ExecutedBeat, ExecutedNarratorBeat, SegmentKind

DEFAULT_PLAYER_NAME = "User"
ARCHITECT_ROLE_CHARS = 180
TARGET_NODE_COUNT = 4
_WHITESPACE = re.compile(r"\s+")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def sections(pairs: Iterable[tuple[str, str]]) -> str:
    return "\n\n".join(f"{name}:\n{value}" for name, value in pairs)


def bullet_list(items: Iterable[str]) -> str:
    lines = [f"- {item}" for item in items]
    return "\n".join(lines) if lines else "- none"


# -- characters --------------------------------------------------------------------------


def template_value(value: Any) -> str:
    """Strings raw, numbers and booleans as text, everything else as compact JSON (§6.11)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return compact_json(value)


def expand_character_template(text: str, member: CastMember, player_name: str, state: Mapping[str, Any] | None) -> str:
    """`{{char}}`, `{{user}}` and `{{field}}` (current state, else schema default); others stay."""
    current = state or {}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "char":
            return member.name
        if name == "user":
            return player_name
        if name in current:
            return template_value(current[name])
        field = member.schema_fields.get(name)
        if field is not None and field.default is not None:
            return template_value(field.default)
        return match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def schema_field_items(fields: Mapping[str, StateFieldSchema], *, with_descriptions: bool = True) -> str:
    """`key:"type" default=<json> enum=<json> desc=<text>` joined by `, `, keys sorted; `none` when empty."""
    items = []
    for key in sorted(fields):
        field = fields[key]
        parts = [f'{key}:"{field.value_type.value}"']
        if field.default is not None:
            parts.append(f"default={compact_json(field.default)}")
        if field.enum_values:
            parts.append(f"enum={compact_json(field.enum_values)}")
        if with_descriptions and field.description:
            parts.append(f"desc={collapse_whitespace(field.description)}")
        items.append(" ".join(parts))
    return ", ".join(items) if items else "none"


def character_line(member: CastMember, player_name: str, state: Mapping[str, Any] | None = None) -> str:
    """The Planner-format item: `id | name | personality=… | style=… | state_schema=…`."""
    personality = collapse_whitespace(expand_character_template(member.personality, member, player_name, state))
    style = collapse_whitespace(expand_character_template(member.style, member, player_name, state))
    return (
        f"{member.character_id} | {member.name} | personality={personality} | style={style}"
        f" | state_schema={schema_field_items(member.schema_fields)}"
    )


def available_characters_for_planner(cast: Sequence[CastMember]) -> str:
    return bullet_list(character_line(member, DEFAULT_PLAYER_NAME) for member in cast)


def available_characters_for_architect(cast: Sequence[CastMember]) -> str:
    def line(member: CastMember) -> str:
        personality = expand_character_template(member.personality, member, DEFAULT_PLAYER_NAME, None)
        style = expand_character_template(member.style, member, DEFAULT_PLAYER_NAME, None)
        role = collapse_whitespace(f"{personality} | {style}")
        if len(role) > ARCHITECT_ROLE_CHARS:
            role = role[:ARCHITECT_ROLE_CHARS] + "..."
        schema = schema_field_items(member.schema_fields, with_descriptions=False)
        return f"{member.character_id} | {member.name} | role={role} | state_schema={schema}"

    return bullet_list(line(member) for member in cast)


def cast_list(
    character_ids: Iterable[str], cast: Mapping[str, CastMember], player_name: str, world: WorldState | None
) -> str:
    """The character list (Planner format) for the given ids, in their order; unknown ids are skipped."""
    states = world.character_state if world is not None else {}
    return bullet_list(
        character_line(cast[character_id], player_name, states.get(character_id))
        for character_id in character_ids
        if character_id in cast
    )


def player(player_name: str, description: str) -> str:
    return sections([("name", player_name), ("description", description)])


# -- nodes and transitions ---------------------------------------------------------------


def condition_text(condition: Condition | None) -> str:
    """`global.k == v`, `player.k …`, `character[c].k …`; `always` without a condition."""
    if condition is None:
        return "always"
    return f"{condition_subject(condition)} {_OPERATORS[condition.op.value]} {compact_json(condition.value)}"


_OPERATORS = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "contains": "contains"}


def condition_subject(condition: Condition) -> str:
    if condition.scope is ConditionScope.CHARACTER:
        return f"character[{condition.character or ''}].{condition.key}"
    return f"{condition.scope.value}.{condition.key}"


def transition_line(transition: Transition) -> str:
    return f"to node={transition.to} when {condition_text(transition.condition)}"


def node(node_record: NarrativeNode | None, *, transitions_title: str = "transitions") -> str | None:
    """Sections of a node; None (the entry is left out) when there is no node."""
    if node_record is None:
        return None
    return sections(
        [
            ("id", node_record.id),
            ("title", node_record.title),
            ("scene", node_record.scene),
            ("goal", node_record.goal),
            ("characters", ", ".join(node_record.characters)),
            (transitions_title, bullet_list(transition_line(t) for t in node_record.transitions)),
        ]
    )


def hint_line(transition: Transition) -> str:
    """One progression hint (Keeper): which state would take the story along this transition."""
    condition = transition.condition
    if condition is None:
        return f"target_node={transition.to} | condition=always | likely_state_scope=none | tracked_key=none"
    text = f"{condition_subject(condition)} {condition.op.value} {compact_json(condition.value)}"
    line = (
        f"target_node={transition.to} | condition={text} | likely_state_scope={condition.scope.value}"
        f" | tracked_key={condition.key}"
    )
    if condition.scope is ConditionScope.CHARACTER and condition.character:
        line += f" | tracked_character={condition.character}"
    return line


def progression_hints(current: NarrativeNode) -> str:
    return bullet_list(hint_line(transition) for transition in current.transitions)


def node_change(previous: NarrativeNode | None, current: NarrativeNode, transitioned: bool) -> str | None:
    """None (left out) without a previous node."""
    if previous is None:
        return None
    matched = [t for t in previous.transitions if t.to == current.id]
    return sections(
        [
            ("transitioned", "true" if transitioned else "false"),
            ("from", previous.id),
            ("to", current.id),
            ("matched_transition_hints", bullet_list(hint_line(t) for t in matched)),
        ]
    )


# -- state ------------------------------------------------------------------------------


def _key_values(values: Mapping[str, Any]) -> str:
    if not values:
        return "none"
    return "\n".join(f"{key}={compact_json(values[key])}" for key in sorted(values))


def _character_values(states: Mapping[str, Mapping[str, Any]]) -> str:
    lines = [
        f"{character}: {key}={compact_json(states[character][key])}"
        for character in sorted(states)
        for key in sorted(states[character])
    ]
    return "\n".join(lines) if lines else "none"


def world_state(world: WorldState, *, include_player: bool = True) -> str:
    """The Director/Narrator/Keeper/Replyer view; the Actor's leaves out `player_state`."""
    parts = [
        ("current_node", world.current_node),
        ("active_characters", ", ".join(world.active_characters) or "none"),
        ("world_state", _key_values(world.custom)),
    ]
    if include_player:
        parts.append(("player_state", _key_values(world.player_state)))
    parts.append(("character_state", _character_values(world.character_state)))
    return sections(parts)


# -- history ----------------------------------------------------------------------------


def memory_lines(entries: Sequence[ActorMemoryEntry], limit: int) -> str:
    recent = list(entries)[-limit:] if limit > 0 else []
    return bullet_list(
        f"[{entry.speaker_id}|{entry.speaker_name}|{entry.kind.value}] {collapse_whitespace(entry.text)}"
        for entry in recent
    )


def purpose(value: str) -> str:
    """Purposes and phases are rendered as JSON strings: `"AdvanceGoal"`."""
    return compact_json(value)


_VISIBLE_SEGMENTS = (SegmentKind.DIALOGUE, SegmentKind.ACTION)


def completed_beats(beats: Sequence[ExecutedBeat]) -> str:
    """`[narrator|"Purpose"] text` and `[actor|id|"Purpose"] "dialogue":text | "action":text`;
    thoughts are never shown."""
    return bullet_list(_completed_beat_line(beat) for beat in beats)


def _completed_beat_line(beat: ExecutedBeat) -> str:
    if isinstance(beat, ExecutedNarratorBeat):
        return f"[narrator|{purpose(beat.purpose.value)}] {collapse_whitespace(beat.response.text)}"
    assert isinstance(beat, ExecutedActorBeat)
    segments = " | ".join(
        f"{compact_json(segment.kind.value)}:{collapse_whitespace(segment.text)}"
        for segment in beat.response.segments
        if segment.kind in _VISIBLE_SEGMENTS
    )
    return f"[actor|{beat.speaker_id}|{purpose(beat.purpose.value)}] {segments}"


def session_history(messages: Sequence[SessionMessage]) -> str:
    """Transcript messages as `[turn:N|speaker_id|speaker_name|"kind"] text`, in the given order."""
    return bullet_list(
        f"[turn:{message.turn_index}|{message.speaker_id}|{message.speaker_name}|{purpose(message.kind.value)}]"
        f" {collapse_whitespace(message.text)}"
        for message in messages
    )


# -- architect --------------------------------------------------------------------------


def schema_text(fields: Mapping[str, StateFieldSchema] | None) -> str | None:
    """Compact schema text without descriptions; None (left out) when there is no schema."""
    if fields is None:
        return None
    return compact_json(
        {
            "fields": {
                key: {
                    "value_type": field.value_type.value,
                    **({"default": field.default} if field.default is not None else {}),
                    **({"enum_values": field.enum_values} if field.enum_values else {}),
                }
                for key, field in sorted(fields.items())
            }
        }
    )


def section_summaries(summaries: Sequence[str]) -> str:
    return bullet_list(f"[{index}] {summary}" for index, summary in enumerate(summaries))


def _cut(text: str, limit: int) -> str:
    text = collapse_whitespace(text)
    return text if len(text) <= limit else text[:limit]


def graph_summary(graph: StoryGraph | None) -> str:
    if graph is None:
        return "[]"
    return compact_json(
        [
            {
                "id": n.id,
                "title": n.title,
                "scene_summary": _cut(n.scene, 200),
                "goal": _cut(n.goal, 120),
                "characters": n.characters,
                "transition_targets": [t.to for t in n.transitions],
            }
            for n in graph.nodes
        ]
    )


def _update_key(op: StateOp) -> str | None:
    if isinstance(op, (SetState, RemoveState)):
        return f"world:{op.key}"
    if isinstance(op, (SetPlayerState, RemovePlayerState)):
        return f"player:{op.key}"
    if isinstance(op, (SetCharacterState, RemoveCharacterState)):
        return f"character:{op.character}:{op.key}"
    if isinstance(op, AddActiveCharacter):
        return f"active+:{op.character}"
    if isinstance(op, RemoveActiveCharacter):
        return f"active-:{op.character}"
    if isinstance(op, SetActiveCharacters):
        return "active=:" + ",".join(op.characters)
    return None


def recent_section_detail(nodes: Sequence[NarrativeNode]) -> str:
    details = []
    for n in nodes:
        detail: dict[str, Any] = {
            "id": n.id,
            "title": n.title,
            "scene_summary": _cut(n.scene, 140),
            "goal": _cut(n.goal, 100),
            "characters": n.characters,
            "transition_targets": [t.to for t in n.transitions],
        }
        keys = [key for op in n.on_enter_updates if (key := _update_key(op)) is not None]
        if keys:
            detail["on_enter_update_keys"] = keys
        details.append(detail)
    return compact_json(details)
