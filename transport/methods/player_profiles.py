"""Registrations of `player_profile.*`."""

from __future__ import annotations

from runtime.model import player_profiles as model
from runtime.services import player_profiles
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method(
        "player_profile.create",
        model.PlayerProfileCreateParams,
        "player_profile",
        model.PlayerProfile,
        forward(player_profiles.create_player_profile),
    ),
    Method(
        "player_profile.get",
        model.PlayerProfileIdParams,
        "player_profile",
        model.PlayerProfile,
        forward(player_profiles.get_player_profile),
    ),
    Method(
        "player_profile.list",
        NoParams,
        "player_profiles_listed",
        model.PlayerProfilesListed,
        forward_without_params(player_profiles.list_player_profiles),
    ),
    Method(
        "player_profile.update",
        model.PlayerProfileUpdateParams,
        "player_profile",
        model.PlayerProfile,
        forward(player_profiles.update_player_profile),
    ),
    Method(
        "player_profile.delete",
        model.PlayerProfileIdParams,
        "player_profile_deleted",
        model.PlayerProfileDeleted,
        forward(player_profiles.delete_player_profile),
    ),
]
