"""Registrations of `analytics.*`, Dramaturg's reports and database snapshots."""

from __future__ import annotations

from runtime.model import analytics as model
from runtime.services import analytics
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method(
        "analytics.llm_usage",
        model.LlmUsageParams,
        "llm_usage_report",
        model.LlmUsageReport,
        forward(analytics.llm_usage),
    ),
    Method(
        "analytics.play",
        model.PlayParams,
        "play_report",
        model.PlayReport,
        forward(analytics.play),
    ),
    Method(
        "analytics.node_visits",
        model.NodeVisitsParams,
        "node_visits_report",
        model.NodeVisitsReport,
        forward(analytics.node_visits),
    ),
    Method(
        "analytics.snapshot",
        NoParams,
        "analytics_snapshot",
        model.SnapshotWritten,
        forward_without_params(analytics.snapshot),
    ),
]
