"""Player profiles: a name and a description the player plays as (PROTOCOL §6.10)."""

from __future__ import annotations

import attrs


@attrs.frozen
class PlayerProfile:
    """A stored profile; also its payload and its data-package record."""

    player_profile_id: str
    display_name: str
    description: str


@attrs.frozen
class PlayerProfileCreateParams:
    player_profile_id: str
    """The new profile's id, chosen by the client."""
    display_name: str
    """The player's name, as prompts call them."""
    description: str
    """Who the player is, as prompts describe them."""


@attrs.frozen
class PlayerProfileIdParams:
    player_profile_id: str
    """The player profile's id."""


@attrs.frozen
class PlayerProfileUpdateParams:
    player_profile_id: str
    """The player profile's id."""
    display_name: str | None = None
    """A new name; omitted keeps the stored one."""
    description: str | None = None
    """A new description; omitted keeps the stored one."""


@attrs.frozen
class PlayerProfilesListed:
    player_profiles: list[PlayerProfile]


@attrs.frozen
class PlayerProfileDeleted:
    player_profile_id: str
