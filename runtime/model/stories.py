"""Stories and what they carry (PROTOCOL §6.13, §7.7). For now: the common-variable definition."""

from __future__ import annotations

import enum

import attrs

from runtime.model._fields import omittable


class CommonVariableScope(enum.Enum):
    WORLD = "world"
    PLAYER = "player"
    CHARACTER = "character"


@attrs.frozen
class CommonVariableDefinition:
    """A variable pinned in the client's panel. `character_id` only for scope `character`."""

    scope: CommonVariableScope
    key: str
    display_name: str
    character_id: str | None = omittable()
    pinned: bool = True
