"""`config.get_global` and `dashboard.get` (PROTOCOL §6.17, §6.18, §17): derived, never stored.

Both read whatever tables exist right now, so they work on an empty, unconfigured store.
"""

from __future__ import annotations

from runtime.model.overview import (
    Dashboard,
    DashboardCounts,
    DashboardHealth,
    GlobalConfig,
    RecentSession,
    RecentStory,
)
from runtime.services._services import Services
from runtime.services.bindings import global_binding
from runtime.store import Cursor

RECENT_LIMIT = 5  # the dashboard shows at most this many stories and sessions

_COUNTS_SQL = """
SELECT
    (SELECT count(*) FROM characters),
    (SELECT count(*) FROM characters
        WHERE cover_blob_id IS NOT NULL AND cover_file_name IS NOT NULL AND cover_mime_type IS NOT NULL),
    (SELECT count(*) FROM story_resources),
    (SELECT count(*) FROM stories),
    (SELECT count(*) FROM sessions)
"""

# Most recently updated first; a missing timestamp counts as 0 (§6.18).
_RECENT_STORIES_SQL = f"""
SELECT story_id, coalesce(doc->>'$.display_name', ''), resource_id,
       coalesce(doc->>'$.introduction', ''), updated_at_ms
FROM stories
ORDER BY coalesce(updated_at_ms, 0) DESC, coalesce(created_at_ms, 0) DESC, story_id DESC
LIMIT {RECENT_LIMIT}
"""

_RECENT_SESSIONS_SQL = f"""
SELECT session_id, story_id, coalesce(doc->>'$.display_name', ''), turn_index, updated_at_ms
FROM sessions
ORDER BY coalesce(updated_at_ms, 0) DESC, coalesce(created_at_ms, 0) DESC, session_id DESC
LIMIT {RECENT_LIMIT}
"""


def _global_config(cursor: Cursor) -> GlobalConfig:
    binding = global_binding(cursor)
    if binding is None:
        return GlobalConfig()
    return GlobalConfig(binding.api_group_id, binding.preset_id)


def _dashboard(cursor: Cursor) -> Dashboard:
    row = cursor.execute(_COUNTS_SQL).fetchone()
    assert row is not None  # counts always answer one row
    counts = DashboardCounts(*row)
    stories = [RecentStory(*row) for row in cursor.execute(_RECENT_STORIES_SQL).fetchall()]
    sessions = [RecentSession(*row) for row in cursor.execute(_RECENT_SESSIONS_SQL).fetchall()]
    return Dashboard(DashboardHealth(), counts, _global_config(cursor), stories, sessions)


async def get_global_config(services: Services) -> GlobalConfig:
    """The default api group and preset: the first of each by id.

    The first api group and preset by id; both keys omitted unless both exist. Never fails.
    """
    return await services.store.read(_global_config)


async def get_dashboard(services: Services) -> Dashboard:
    """Health, counts, the global config and the five latest stories and sessions, in one read."""
    return await services.store.read(_dashboard)
