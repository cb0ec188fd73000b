"""The table of story resources, with the lists and seeds that references are checked on."""

from __future__ import annotations

from runtime.model.story_resources import StoryResourcesRecord
from runtime.store._documents import DocumentTable

RESOURCE_ID_PREFIX = "resource-"

STORY_RESOURCES = DocumentTable(
    "story_resources",
    "resource_id",
    StoryResourcesRecord,
    "story resources",
    columns=lambda record: {
        "character_ids": record.character_ids,
        "lorebook_ids": record.lorebook_ids,
        "world_schema_id_seed": record.world_schema_id_seed,
        "player_schema_id_seed": record.player_schema_id_seed,
    },
)
