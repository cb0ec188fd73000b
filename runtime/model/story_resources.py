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
    character_ids: list[str]
    display_name: str | None = None
    player_schema_id_seed: str | None = None
    world_schema_id_seed: str | None = None
    lorebook_ids: list[str] = attrs.field(factory=list)
    planned_story: str | None = None


@attrs.frozen
class StoryResourcesIdParams:
    resource_id: str


@attrs.frozen
class StoryResourcesUpdateParams:
    resource_id: str
    story_concept: str | None = None
    character_ids: list[str] | None = None
    display_name: str | None = None
    player_schema_id_seed: str | None = None
    world_schema_id_seed: str | None = None
    lorebook_ids: list[str] | None = None
    planned_story: str | None = None


@attrs.frozen
class StoryResourcesListed:
    resources: list[StoryResources]


@attrs.frozen
class StoryResourcesDeleted:
    resource_id: str
