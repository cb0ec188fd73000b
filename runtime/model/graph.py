"""The story graph as it travels on the wire (PROTOCOL §7.1). Unknown keys are ignored here."""

from __future__ import annotations

import enum
from typing import Any, ClassVar

import attrs

from runtime.model._fields import omittable
from runtime.model.state import StateOp


class ConditionScope(enum.Enum):
    GLOBAL = "global"
    PLAYER = "player"
    CHARACTER = "character"


class ConditionOp(enum.Enum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"


@attrs.frozen
class Condition:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    key: str
    op: ConditionOp
    value: Any = None
    scope: ConditionScope = ConditionScope.GLOBAL
    character: str | None = omittable()


@attrs.frozen
class Transition:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    to: str
    condition: Condition | None = None


@attrs.frozen
class NarrativeNode:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    id: str
    title: str
    scene: str
    goal: str
    characters: list[str]
    transitions: list[Transition]
    on_enter_updates: list[StateOp] = attrs.field(factory=list)


@attrs.frozen
class StoryGraph:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    start_node: str
    nodes: list[NarrativeNode]
