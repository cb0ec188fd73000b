"""What the story-building agents (Planner, Architect) read about a story-to-be.

The material comes from one story resources bundle (PROTOCOL §6.12): the concept, the plan,
the cast with each character's schema, the active lorebook entries and the schema seeds.
Lore is matched per prompt (§12), from inputs that differ per agent and mode. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from runtime.lore import LoreMoment, LoreScan, StoryLore, render_lore_entries, select_lore, story_lore
from runtime.model.cast import CastMember
from runtime.model.schemas import StateFieldSchema

SchemaFields = Mapping[str, StateFieldSchema]


@attrs.frozen
class StoryMaterial:
    """The resource as the agents see it.

    `planned_story` is the resource's plan when it is non-blank, else None. `lore_entries`
    are the active entries: the resource's lorebooks in `lorebook_ids` order, each in its
    stored order. A schema seed is None when the resource names none. `lore_moment` is when
    the lore is activated and where it is logged (a preview logs it for its trace).
    """

    story_concept: str
    planned_story: str | None
    cast: tuple[CastMember, ...]
    lore_entries: StoryLore = attrs.field(factory=StoryLore, converter=story_lore)
    world_schema_seed: SchemaFields | None = None
    player_schema_seed: SchemaFields | None = None
    lore_moment: LoreMoment = attrs.field(factory=LoreMoment)

    @property
    def cast_ids(self) -> list[str]:
        return [member.character_id for member in self.cast]

    @property
    def cast_fields(self) -> dict[str, SchemaFields]:
        """Each cast member's own state schema fields (empty for a member without a schema)."""
        return {member.character_id: member.schema_fields for member in self.cast}


def lore_context(material: StoryMaterial, match_inputs: Iterable[str]) -> dict[str, str | None]:
    """The `lorebook_base` and `lorebook_matched` values for one prompt (None when no entry)."""
    matches = select_lore(material.lore_entries, LoreScan.of(match_inputs), material.lore_moment)
    return {
        "lorebook_base": render_lore_entries(matches.base),
        "lorebook_matched": render_lore_entries(matches.matched),
    }


def present(texts: Sequence[str | None]) -> list[str]:
    """The texts that exist (match inputs may be absent, e.g. a resource without a plan)."""
    return [text for text in texts if text is not None]
