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
        summary="LLM calls by agent, api, model and day: calls, tokens, latency, failures, retries, repairs, cost.",
    ),
    Method(
        "analytics.play",
        model.PlayParams,
        "play_report",
        model.PlayReport,
        forward(analytics.play),
        summary="Turns and sessions by story, session and day: completions, failures by stage, durations.",
    ),
    Method(
        "analytics.node_visits",
        model.NodeVisitsParams,
        "node_visits_report",
        model.NodeVisitsReport,
        forward(analytics.node_visits),
        summary="How the sessions of one story moved through its graph: entries, turns and failures per node.",
    ),
    Method(
        "analytics.snapshot",
        NoParams,
        "analytics_snapshot",
        model.SnapshotWritten,
        forward_without_params(analytics.snapshot),
        summary="Write a consistent copy of the database under <data-dir>/snapshots/ for any DuckDB client.",
    ),
]
