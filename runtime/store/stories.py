"""The tables of stories and story drafts."""

from __future__ import annotations

from runtime.model.stories import StoryDraftRecord, StoryRecord
from runtime.store._documents import DocumentTable

STORY_ID_PREFIX = "story-"
DRAFT_ID_PREFIX = "draft-"
GENERATED_SCHEMA_ID_PREFIX = "schema-generated-"

STORIES = DocumentTable(
    "stories",
    "story_id",
    StoryRecord,
    "story",
    columns=lambda story: {
        "resource_id": story.resource_id,
        "world_schema_id": story.world_schema_id,
        "player_schema_id": story.player_schema_id,
        "created_at_ms": story.created_at_ms,
        "updated_at_ms": story.updated_at_ms,
    },
)

STORY_DRAFTS = DocumentTable(
    "story_drafts",
    "draft_id",
    StoryDraftRecord,
    "story draft",
    columns=lambda draft: {
        "resource_id": draft.resource_id,
        "api_group_id": draft.api_group_id,
        "preset_id": draft.preset_id,
        "created_at_ms": draft.created_at_ms,
        "updated_at_ms": draft.updated_at_ms,
    },
)
