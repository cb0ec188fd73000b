"""Analytics over the database: the reports of `analytics.*`, the day rollups behind them, and snapshots.

Every function here runs on a cursor in a worker thread; `runtime.services.analytics` calls them
through the store.
"""

from runtime.analytics._llm_usage import check_llm_usage_params as check_llm_usage_params
from runtime.analytics._llm_usage import llm_usage_report as llm_usage_report
from runtime.analytics._node_visits import node_visits_report as node_visits_report
from runtime.analytics._play import play_report as play_report
from runtime.analytics._rollups import fold_due as fold_due
from runtime.analytics._rollups import fold_some_days as fold_some_days
from runtime.analytics._rollups import read_progress as read_progress
from runtime.analytics._snapshot import SNAPSHOTS_DIR_NAME as SNAPSHOTS_DIR_NAME
from runtime.analytics._snapshot import write_snapshot as write_snapshot
from runtime.analytics._snapshot_tables import LEFT_OUT as LEFT_OUT
from runtime.analytics._snapshot_tables import SNAPSHOT_TABLES as SNAPSHOT_TABLES
from runtime.analytics._snapshot_tables import snapshot_tables_markdown as snapshot_tables_markdown

__all__ = [
    "LEFT_OUT",
    "SNAPSHOTS_DIR_NAME",
    "SNAPSHOT_TABLES",
    "check_llm_usage_params",
    "fold_due",
    "fold_some_days",
    "llm_usage_report",
    "node_visits_report",
    "play_report",
    "read_progress",
    "snapshot_tables_markdown",
    "write_snapshot",
]
