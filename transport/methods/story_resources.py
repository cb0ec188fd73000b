"""Registrations of `story_resources.*`."""

from __future__ import annotations

from runtime.model import story_resources as model
from runtime.services import story_resources as service
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method(
        "story_resources.create",
        model.StoryResourcesCreateParams,
        "story_resources_created",
        model.StoryResources,
        forward(service.create_story_resources),
    ),
    Method(
        "story_resources.get",
        model.StoryResourcesIdParams,
        "story_resources",
        model.StoryResources,
        forward(service.get_story_resources),
    ),
    Method(
        "story_resources.list",
        NoParams,
        "story_resources_listed",
        model.StoryResourcesListed,
        forward_without_params(service.list_story_resources),
    ),
    Method(
        "story_resources.update",
        model.StoryResourcesUpdateParams,
        "story_resources_updated",
        model.StoryResources,
        forward(service.update_story_resources),
    ),
    Method(
        "story_resources.delete",
        model.StoryResourcesIdParams,
        "story_resources_deleted",
        model.StoryResourcesDeleted,
        forward(service.delete_story_resources),
    ),
]
