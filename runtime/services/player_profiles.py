"""Player profiles: `player_profile.*` (PROTOCOL §6.10)."""

from __future__ import annotations

from runtime.errors import Conflict, NotFound
from runtime.model.player_profiles import (
    PlayerProfile,
    PlayerProfileCreateParams,
    PlayerProfileDeleted,
    PlayerProfileIdParams,
    PlayerProfilesListed,
    PlayerProfileUpdateParams,
)
from runtime.services._services import Services
from runtime.services._validation import given_changes, require_id
from runtime.store import Cursor, references
from runtime.store.player_profiles import PLAYER_PROFILES


async def create_player_profile(services: Services, params: PlayerProfileCreateParams) -> PlayerProfile:
    """Store a player profile: a name and a description the prompts use for the player."""
    profile_id = require_id(params.player_profile_id, "player_profile_id")
    profile = PlayerProfile(profile_id, params.display_name, params.description)

    await services.store.write(PLAYER_PROFILES.new_document(profile_id, profile))
    return profile


async def get_player_profile(services: Services, params: PlayerProfileIdParams) -> PlayerProfile:
    """One player profile."""
    return await services.store.read(lambda cursor: PLAYER_PROFILES.require(cursor, params.player_profile_id))


async def list_player_profiles(services: Services) -> PlayerProfilesListed:
    """Every player profile, sorted by id."""
    return PlayerProfilesListed(await services.store.read(PLAYER_PROFILES.list))


async def update_player_profile(services: Services, params: PlayerProfileUpdateParams) -> PlayerProfile:
    """Change a player profile; omitted fields keep their value."""
    changes = given_changes(params, ("display_name", "description"))
    return await services.store.write(lambda cursor: PLAYER_PROFILES.change(cursor, params.player_profile_id, changes))


async def delete_player_profile(services: Services, params: PlayerProfileIdParams) -> PlayerProfileDeleted:
    """Delete a player profile (refused while a session uses it)."""
    profile_id = params.player_profile_id

    def delete(cursor: Cursor) -> None:
        if references.player_profile_in_sessions(cursor, profile_id):
            raise Conflict(f"player profile '{profile_id}' is still referenced by a session")
        if not PLAYER_PROFILES.delete(cursor, profile_id):
            raise NotFound.record("player profile", profile_id)

    await services.store.write(delete)
    return PlayerProfileDeleted(profile_id)
