"""`analytics.*` (a Dramaturg extension): the reports, and snapshots of the database.

Reports are reads. Before the LLM usage report reads, the calls still queued for writing are
written, and the day rollups are brought up to date when a whole day has ended since the last
fold (a few writes, about once a day).
"""

from __future__ import annotations

import functools

from runtime.analytics import (
    check_llm_usage_params,
    fold_due,
    fold_some_days,
    llm_usage_report,
    node_visits_report,
    play_report,
    read_progress,
    write_snapshot,
)
from runtime.errors import BackendError
from runtime.model.analytics import (
    LlmUsageParams,
    LlmUsageReport,
    NodeVisitsParams,
    NodeVisitsReport,
    PlayParams,
    PlayReport,
    SnapshotWritten,
)
from runtime.services._services import Services
from runtime.store import Cursor


async def llm_usage(services: Services, params: LlmUsageParams) -> LlmUsageReport:
    """LLM calls by agent, api, model and day: tokens, latency, failures, retries, repairs, cost.

    The report over every call that has ended before it was asked for: calls whose rows are
    still queued for writing are written first."""
    check_llm_usage_params(params)
    await _write_queued_calls(services)
    await _fold_due_days(services)
    return await services.store.read(functools.partial(llm_usage_report, params=params))


async def _write_queued_calls(services: Services) -> None:
    """Telemetry writes calls in batches, a moment after they end: write those waiting now."""
    if services.telemetry is not None:
        await services.telemetry.wait_flushed()


async def _fold_due_days(services: Services) -> None:
    now_ms = services.clock.now_ms()
    if not fold_due(await services.store.read(read_progress), now_ms):
        return
    fold = functools.partial(fold_some_days, now_ms=now_ms)
    while await services.store.write(fold, session_data_only=True):
        pass


async def play(services: Services, params: PlayParams) -> PlayReport:
    """Turns and sessions by story, session and day: completions, failures by stage, durations."""
    return await services.store.read(functools.partial(play_report, params=params))


async def node_visits(services: Services, params: NodeVisitsParams) -> NodeVisitsReport:
    """How the sessions of one story moved through its graph: entries, turns and failures per node."""
    return await services.store.read(functools.partial(node_visits_report, params=params))


async def snapshot(services: Services) -> SnapshotWritten:
    """Write a consistent copy of the database under <data-dir>/snapshots/ for any DuckDB client.

    Answers the file's path, size and row counts; it holds every call that ended before it was
    asked for. Raises BackendError when the file cannot be written
    (then none is left behind)."""
    snapshots_dir = services.snapshots_dir
    if snapshots_dir is None:
        raise BackendError("snapshots are not configured in this process")
    await _write_queued_calls(services)
    now_ms = services.clock.now_ms()

    def copy(cursor: Cursor) -> SnapshotWritten:
        try:
            return write_snapshot(cursor, snapshots_dir, now_ms)
        except OSError as exc:
            raise BackendError(f"cannot write a snapshot in {snapshots_dir}: {exc.strerror or exc}") from exc

    return await services.store.read(copy)
