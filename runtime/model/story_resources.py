"""Story resources: the input bundle of story generation (PROTOCOL §6.12, §16.2)."""

from __future__ import annotations

import attrs

from runtime.model._fields import omittable


@attrs.frozen
class StoryResourcesRecord:
    """As stored and as packaged: `display_name` is omitted when unset."""

    resource_id: str
    story_concept: str
    character_ids: list[str]
    player_schema_id_seed: str | None
    world_schema_id_seed: str | None
    lorebook_ids: list[str]
    planned_story: str | None
    display_name: str | None = omittable()

    def effective_display_name(self) -> str:
        """The trimmed stored name, or the trimmed concept when the name is absent or blank."""
        name = (self.display_name or "").strip()
        return name or self.story_concept.strip()


@attrs.frozen
class StoryResources:
    """The payload: `display_name` is always the effective name."""

    resource_id: str
    display_name: str
    story_concept: str
    character_ids: list[str]
    player_schema_id_seed: str | None
    world_schema_id_seed: str | None
    lorebook_ids: list[str]
    planned_story: str | None


@attrs.frozen
class StoryResourcesCreateParams:
    story_concept: str
    """What the story is about, in a few sentences: the Planner starts from it."""
    character_ids: list[str]
    """The characters of the story (at least one; each must exist)."""
    display_name: str | None = None
    """A name; omitted or blank: the concept stands for it."""
    player_schema_id_seed: str | None = None
    """A state schema the generated player schema starts from."""
    world_schema_id_seed: str | None = None
    """A state schema the generated world schema starts from."""
    lorebook_ids: list[str] = attrs.field(factory=list)
    """Lorebooks whose entries the prompts of the story's generation and sessions get."""
    planned_story: str | None = None
    """A story plan (the Planner's text, or one written by hand) the Architect builds from."""


@attrs.frozen
class StoryResourcesIdParams:
    resource_id: str
    """The story-resources bundle's id (`resource-N`)."""


@attrs.frozen
class StoryResourcesUpdateParams:
    resource_id: str
    """The story-resources bundle's id (`resource-N`)."""
    story_concept: str | None = None
    """A new concept; omitted keeps the stored one."""
    character_ids: list[str] | None = None
    """New characters, replacing the stored ones; omitted keeps them."""
    display_name: str | None = None
    """A new name; omitted keeps the stored one."""
    player_schema_id_seed: str | None = None
    """A player schema seed; omitted keeps the stored one (a seed cannot be cleared)."""
    world_schema_id_seed: str | None = None
    """A world schema seed; omitted keeps the stored one (a seed cannot be cleared)."""
    lorebook_ids: list[str] | None = None
    """New lorebooks, replacing the stored ones; omitted keeps them."""
    planned_story: str | None = None
    """A new story plan (blank clears it); omitted keeps the stored one."""


@attrs.frozen
class StoryResourcesListed:
    resources: list[StoryResources]


@attrs.frozen
class StoryResourcesDeleted:
    resource_id: str
