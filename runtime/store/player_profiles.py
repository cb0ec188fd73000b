"""The table of stored player profiles."""

from __future__ import annotations

from runtime.model.player_profiles import PlayerProfile
from runtime.store._documents import DocumentTable

PLAYER_PROFILES = DocumentTable("player_profiles", "player_profile_id", PlayerProfile, "player profile")
