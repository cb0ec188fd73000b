"""Every method family's registrations, gathered into the one registry."""

from __future__ import annotations

from transport.methods import (
    analytics,
    apis,
    characters,
    drafts,
    lorebooks,
    models,
    overview,
    packages,
    player_profiles,
    presets,
    schemas,
    sessions,
    stories,
    story_resources,
)
from transport.openrpc import discover_method
from transport.registry import Registry

FAMILIES = [
    apis.METHODS,
    models.METHODS,
    presets.METHODS,
    schemas.METHODS,
    lorebooks.METHODS,
    player_profiles.METHODS,
    characters.METHODS,
    story_resources.METHODS,
    stories.METHODS,
    drafts.METHODS,
    sessions.METHODS,
    overview.METHODS,
    packages.METHODS,
    analytics.METHODS,
]


def build_registry() -> Registry:
    """All 96 protocol methods, Dramaturg's extensions, and `rpc.discover`, which describes them."""
    registry = Registry.build(FAMILIES)
    return Registry.build([*FAMILIES, [discover_method(registry)]])
