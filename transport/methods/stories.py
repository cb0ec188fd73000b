"""Registrations of `story.*` (all but `story.start_session`)."""

from __future__ import annotations

from runtime.model import stories as model
from runtime.services import stories
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method(
        "story.generate_plan",
        model.GeneratePlanParams,
        "story_planned",
        model.StoryPlanned,
        forward(stories.generate_plan),
    ),
    Method("story.create", model.StoryCreateParams, "story_generated", model.Story, forward(stories.create_story)),
    Method(
        "story.generate", model.StoryGenerateParams, "story_generated", model.Story, forward(stories.generate_story)
    ),
    Method("story.get", model.StoryIdParams, "story", model.Story, forward(stories.get_story)),
    Method("story.update", model.StoryUpdateParams, "story", model.Story, forward(stories.update_story)),
    Method(
        "story.update_graph", model.StoryUpdateGraphParams, "story", model.Story, forward(stories.update_story_graph)
    ),
    Method("story.list", NoParams, "stories_listed", model.StoriesListed, forward_without_params(stories.list_stories)),
    Method("story.delete", model.StoryIdParams, "story_deleted", model.StoryDeleted, forward(stories.delete_story)),
]
