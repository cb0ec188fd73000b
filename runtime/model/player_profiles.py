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
    display_name: str
    description: str


@attrs.frozen
class PlayerProfileIdParams:
    player_profile_id: str


@attrs.frozen
class PlayerProfileUpdateParams:
    player_profile_id: str
    display_name: str | None = None
    description: str | None = None


@attrs.frozen
class PlayerProfilesListed:
    player_profiles: list[PlayerProfile]


@attrs.frozen
class PlayerProfileDeleted:
    player_profile_id: str
