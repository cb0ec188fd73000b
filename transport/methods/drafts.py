"""Registrations of `story_draft.*`. Operations on one existing draft go through its DraftActor."""

from __future__ import annotations

from runtime.model import stories as model
from runtime.services import drafts
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method("story_draft.start", model.DraftStartParams, "story_draft", model.StoryDraft, forward(drafts.start_draft)),
    Method("story_draft.get", model.DraftIdParams, "story_draft", model.StoryDraft, forward(drafts.get_draft)),
    Method(
        "story_draft.list",
        NoParams,
        "story_drafts_listed",
        model.StoryDraftsListed,
        forward_without_params(drafts.list_drafts),
    ),
    Method(
        "story_draft.update_graph",
        model.DraftUpdateGraphParams,
        "story_draft",
        model.StoryDraft,
        forward(drafts.update_owned_draft_graph),
    ),
    Method(
        "story_draft.continue",
        model.DraftIdParams,
        "story_draft",
        model.StoryDraft,
        forward(drafts.continue_owned_draft),
    ),
    Method(
        "story_draft.finalize",
        model.DraftIdParams,
        "story_generated",
        model.Story,
        forward(drafts.finalize_owned_draft),
    ),
    Method(
        "story_draft.delete",
        model.DraftIdParams,
        "story_draft_deleted",
        model.StoryDraftDeleted,
        forward(drafts.delete_owned_draft),
    ),
]
