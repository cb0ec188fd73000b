"""StateOp, StateUpdate and the live state of a session (PROTOCOL §7.4, §7.6)."""

from __future__ import annotations

import enum
from typing import Any, Union

import attrs

from runtime.model._fields import omittable
from runtime.model.lore import LoreTimer


@attrs.frozen
class SetCurrentNode:
    node_id: str


@attrs.frozen
class SetActiveCharacters:
    characters: list[str]


@attrs.frozen
class AddActiveCharacter:
    character: str


@attrs.frozen
class RemoveActiveCharacter:
    character: str


@attrs.frozen
class SetState:
    key: str
    value: Any


@attrs.frozen
class RemoveState:
    key: str


@attrs.frozen
class SetPlayerState:
    key: str
    value: Any


@attrs.frozen
class RemovePlayerState:
    key: str


@attrs.frozen
class SetCharacterState:
    character: str
    key: str
    value: Any


@attrs.frozen
class RemoveCharacterState:
    character: str
    key: str


StateOp = Union[
    SetCurrentNode,
    SetActiveCharacters,
    AddActiveCharacter,
    RemoveActiveCharacter,
    SetState,
    RemoveState,
    SetPlayerState,
    RemovePlayerState,
    SetCharacterState,
    RemoveCharacterState,
]

STATE_OP_TAGS: dict[str, type] = {cls.__name__: cls for cls in StateOp.__args__}  # type: ignore[attr-defined]

VARIABLE_OPS: tuple[type, ...] = (
    SetState,
    RemoveState,
    SetPlayerState,
    RemovePlayerState,
    SetCharacterState,
    RemoveCharacterState,
)
"""The six ops that touch only variables: the ones `session.update_variables` accepts."""


@attrs.frozen
class StateUpdate:
    ops: list[StateOp]


class MemoryKind(enum.Enum):
    PLAYER_INPUT = "player_input"
    NARRATION = "narration"
    DIALOGUE = "dialogue"
    THOUGHT = "thought"
    ACTION = "action"


@attrs.frozen
class ActorMemoryEntry:
    speaker_id: str
    speaker_name: str
    kind: MemoryKind
    text: str


@attrs.frozen
class WorldState:
    current_node: str
    active_characters: list[str] = attrs.field(factory=list)
    custom: dict[str, Any] = attrs.field(factory=dict)
    player_state: dict[str, Any] = attrs.field(factory=dict)
    character_state: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    actor_shared_history: list[ActorMemoryEntry] = attrs.field(factory=list)
    actor_private_memory: dict[str, list[ActorMemoryEntry]] = attrs.field(factory=dict)


@attrs.frozen
class RuntimeSnapshot:
    """`lore_timers` (a Dramaturg addition) holds the lorebook entries' timed effects (sticky,
    cooldown); absent when there are none, so the reference shape is unchanged."""

    story_id: str
    player_description: str
    turn_index: int
    world_state: WorldState
    lore_timers: list[LoreTimer] | None = omittable()
