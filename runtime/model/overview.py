"""Derived, never stored: the engine binding, the global config and the dashboard (PROTOCOL §6.17, §6.18)."""

from __future__ import annotations

import enum

import attrs

from runtime.model._fields import omittable


@attrs.frozen
class EngineBinding:
    """The api group and preset an agent run uses, after binding resolution (§6.17)."""

    api_group_id: str
    preset_id: str


@attrs.frozen
class GlobalConfig:
    """Both keys present, or both omitted when no api group or no preset exists."""

    api_group_id: str | None = omittable()
    preset_id: str | None = omittable()


class HealthStatus(enum.Enum):
    OK = "ok"


@attrs.frozen
class DashboardHealth:
    status: HealthStatus = HealthStatus.OK


@attrs.frozen
class DashboardCounts:
    characters_total: int
    characters_with_cover: int
    story_resources_total: int
    stories_total: int
    sessions_total: int


@attrs.frozen
class RecentStory:
    story_id: str
    display_name: str
    resource_id: str
    introduction: str
    updated_at_ms: int | None


@attrs.frozen
class RecentSession:
    session_id: str
    story_id: str
    display_name: str
    turn_index: int
    updated_at_ms: int | None


@attrs.frozen
class Dashboard:
    health: DashboardHealth
    counts: DashboardCounts
    global_config: GlobalConfig
    recent_stories: list[RecentStory]
    recent_sessions: list[RecentSession]
