"""A member of a cast as the engine sees it: a story character or a session character."""

from __future__ import annotations

import attrs

from runtime.model.schemas import StateFieldSchema


@attrs.frozen
class CastMember:
    """What prompts need of a character. Session characters have no schema fields."""

    character_id: str
    name: str
    personality: str
    style: str
    system_prompt: str
    schema_fields: dict[str, StateFieldSchema] = attrs.field(factory=dict)
