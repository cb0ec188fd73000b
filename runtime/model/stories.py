"""Stories, drafts and what they carry (PROTOCOL §6.13, §6.14, §7.7)."""

from __future__ import annotations

import enum

import attrs

from runtime.model._fields import omittable
from runtime.model.graph import StoryGraph


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


# -- stories ---------------------------------------------------------------------------------


@attrs.frozen
class StoryRecord:
    """A story as stored and as packaged (no `graph_warnings`; those are computed on output)."""

    story_id: str
    display_name: str
    resource_id: str
    graph: StoryGraph
    world_schema_id: str
    player_schema_id: str
    introduction: str
    common_variables: list[CommonVariableDefinition] = attrs.field(factory=list)
    created_at_ms: int | None = omittable()
    updated_at_ms: int | None = omittable()


@attrs.frozen
class Story:
    """The `story` and `story_generated` payloads."""

    story_id: str
    resource_id: str
    display_name: str
    graph: StoryGraph
    world_schema_id: str
    player_schema_id: str
    introduction: str
    common_variables: list[CommonVariableDefinition]
    graph_warnings: list[str]


@attrs.frozen
class StorySummary:
    story_id: str
    resource_id: str
    display_name: str
    world_schema_id: str
    player_schema_id: str
    introduction: str
    common_variables: list[CommonVariableDefinition]


@attrs.frozen
class StoriesListed:
    stories: list[StorySummary]


@attrs.frozen
class StoryDeleted:
    story_id: str


@attrs.frozen
class StoryPlanned:
    resource_id: str
    story_script: str


@attrs.frozen
class GeneratePlanParams:
    resource_id: str
    """The story resources the Planner plans from."""
    api_group_id: str | None = None
    """The api group whose bindings make the LLM calls; omitted: the default one (`config.get_global`)."""
    preset_id: str | None = None
    """The preset whose prompts the agents get; omitted: the default one (`config.get_global`)."""


@attrs.frozen
class StoryCreateParams:
    resource_id: str
    """The story resources the story belongs to."""
    graph: StoryGraph
    """The whole story graph: start node, nodes with their scenes, characters and transitions."""
    world_schema_id: str
    """The state schema of the story's world."""
    player_schema_id: str
    """The state schema of the player."""
    introduction: str
    """The text a new session opens with."""
    display_name: str | None = None
    """A name; omitted: the resources' name."""
    common_variables: list[CommonVariableDefinition] | None = None
    """Variables every session of the story starts with, with their types and defaults."""


@attrs.frozen
class StoryGenerateParams:
    resource_id: str
    """The story resources to generate from (with a planned story, or the Planner runs first)."""
    display_name: str | None = None
    """The story's name; omitted: the resources' name."""
    api_group_id: str | None = None
    """The api group whose bindings make the LLM calls; omitted: the default one (`config.get_global`)."""
    preset_id: str | None = None
    """The preset whose prompts the agents get; omitted: the default one (`config.get_global`)."""
    common_variables: list[CommonVariableDefinition] | None = None
    """Variables every session of the story starts with, with their types and defaults."""


@attrs.frozen
class StoryIdParams:
    story_id: str
    """The story's id (`story-N`)."""


@attrs.frozen
class StoryUpdateParams:
    story_id: str
    """The story's id (`story-N`)."""
    display_name: str | None = None
    """A new name; omitted or blank keeps the stored one."""
    common_variables: list[CommonVariableDefinition] | None = None
    """New common variables, replacing the stored ones; omitted keeps them."""


@attrs.frozen
class StoryUpdateGraphParams:
    story_id: str
    """The story's id (`story-N`)."""
    graph: StoryGraph
    """The new graph, replacing the stored one; it must keep every node a session stands on."""


@attrs.frozen
class StartSessionParams:
    story_id: str
    """The story to play."""
    display_name: str | None = None
    """The session's name; omitted: the story's name."""
    player_profile_id: str | None = None
    """Play as this player profile; omitted: as no one (prompts say `User`)."""
    api_group_id: str | None = None
    """The api group whose bindings play the turns; omitted: the default one (`config.get_global`)."""
    preset_id: str | None = None
    """The preset whose prompts the agents get; omitted: the default one (`config.get_global`)."""


# -- drafts ----------------------------------------------------------------------------------


class DraftStatus(enum.Enum):
    BUILDING = "building"
    READY_TO_FINALIZE = "ready_to_finalize"
    FINALIZED = "finalized"


@attrs.frozen
class StoryDraftRecord:
    """A draft as stored. `section_node_ids` (node ids per section) never leaves the server."""

    draft_id: str
    display_name: str
    resource_id: str
    api_group_id: str
    preset_id: str
    planned_story: str
    outline_sections: list[str]
    next_section_index: int
    partial_graph: StoryGraph
    world_schema_id: str
    player_schema_id: str
    introduction: str
    common_variables: list[CommonVariableDefinition]
    section_summaries: list[str]
    section_node_ids: list[list[str]]
    final_story_id: str | None = None
    created_at_ms: int | None = None
    updated_at_ms: int | None = None

    @property
    def status(self) -> DraftStatus:
        """Always recomputed (§6.14)."""
        if self.final_story_id is not None:
            return DraftStatus.FINALIZED
        if self.next_section_index >= len(self.outline_sections):
            return DraftStatus.READY_TO_FINALIZE
        return DraftStatus.BUILDING


@attrs.frozen
class StoryDraft:
    """The `story_draft` detail payload."""

    draft_id: str
    display_name: str
    resource_id: str
    api_group_id: str
    preset_id: str
    planned_story: str
    outline_sections: list[str]
    next_section_index: int
    partial_graph: StoryGraph
    world_schema_id: str
    player_schema_id: str
    introduction: str
    common_variables: list[CommonVariableDefinition]
    section_summaries: list[str]
    status: DraftStatus
    final_story_id: str | None
    created_at_ms: int | None
    updated_at_ms: int | None
    total_sections: int
    graph_warnings: list[str]


@attrs.frozen
class DraftSummary:
    draft_id: str
    display_name: str
    resource_id: str
    api_group_id: str
    preset_id: str
    status: DraftStatus
    next_section_index: int
    total_sections: int
    partial_node_count: int
    final_story_id: str | None
    created_at_ms: int | None
    updated_at_ms: int | None


@attrs.frozen
class StoryDraftsListed:
    drafts: list[DraftSummary]


@attrs.frozen
class StoryDraftDeleted:
    draft_id: str


@attrs.frozen
class DraftStartParams:
    resource_id: str
    """The story resources to build from (their planned story guides the Architect)."""
    display_name: str | None = None
    """The future story's name; omitted: the resources' name."""
    api_group_id: str | None = None
    """The api group whose bindings make the LLM calls; omitted: the default one (`config.get_global`)."""
    preset_id: str | None = None
    """The preset whose prompts the agents get; omitted: the default one (`config.get_global`)."""
    common_variables: list[CommonVariableDefinition] | None = None
    """Variables every session of the story starts with, with their types and defaults."""


@attrs.frozen
class DraftIdParams:
    draft_id: str
    """The draft's id (`draft-N`)."""


@attrs.frozen
class DraftUpdateGraphParams:
    draft_id: str
    """The draft's id (`draft-N`)."""
    partial_graph: StoryGraph
    """The graph built so far, edited; replaces the draft's."""
