"""`analytics.node_visits`: how sessions moved through one story's graph, from `turns` and `sessions`.

A session enters its start node when it is created, and a node whenever a completed turn ends
there coming from another. The start node of a session is where its first recorded turn began,
or the story's start node for a session whose turns left no node (none yet, or turns played
before turns were recorded).
"""

from __future__ import annotations

from runtime.analytics._days import TimeRange
from runtime.model.analytics import NodeVisitRow, NodeVisitsParams, NodeVisitsReport
from runtime.model.turn_records import TurnRecordOutcome
from runtime.store import Cursor
from runtime.store.stories import STORIES

_VISITS = f"""
WITH first_nodes AS (
    SELECT session_id, arg_min(node_before, started_at_ms) AS node_id
    FROM turns WHERE story_id = $story_id AND node_before IS NOT NULL
    GROUP BY session_id
),
visits AS (
    SELECT session_id, node_after AS node_id, node_after <> node_before AS entered, 1 AS turns
    FROM turns
    WHERE story_id = $story_id AND outcome = '{TurnRecordOutcome.COMPLETED.value}' AND node_after IS NOT NULL
      AND started_at_ms >= $since_ms AND started_at_ms < $until_ms
    UNION ALL
    SELECT session.session_id, coalesce(first_nodes.node_id, $start_node), TRUE, 0
    FROM sessions AS session LEFT JOIN first_nodes ON first_nodes.session_id = session.session_id
    WHERE session.story_id = $story_id AND session.created_at_ms >= $since_ms AND session.created_at_ms < $until_ms
),
failed AS (
    SELECT node_before AS node_id, count(*) AS failed_turns
    FROM turns
    WHERE story_id = $story_id AND outcome = '{TurnRecordOutcome.FAILED.value}' AND node_before IS NOT NULL
      AND started_at_ms >= $since_ms AND started_at_ms < $until_ms
    GROUP BY ALL
)
SELECT node_id, coalesce(entries, 0), coalesce(turns, 0), coalesce(sessions, 0), coalesce(failed_turns, 0)
FROM (
    SELECT node_id, count(*) FILTER (WHERE entered) AS entries, sum(turns) AS turns,
           count(DISTINCT session_id) AS sessions
    FROM visits GROUP BY node_id
) FULL OUTER JOIN failed USING (node_id)
"""


def node_visits_report(cursor: Cursor, params: NodeVisitsParams) -> NodeVisitsReport:
    """Every node of the story's graph in graph order, then visited nodes no longer in it (by id).

    Raises NotFound `story '{id}' not found`, InvalidParams for an empty range.
    """
    time_range = TimeRange.of(params.since_ms, params.until_ms)
    story = STORIES.require(cursor, params.story_id)
    values = {
        "story_id": params.story_id,
        "start_node": story.graph.start_node,
        "since_ms": time_range.since_ms,
        "until_ms": time_range.until_ms,
    }
    counted = {row[0]: row[1:] for row in cursor.execute(_VISITS, values).fetchall()}
    titles = {node.id: node.title for node in story.graph.nodes}
    order = [*titles, *sorted(counted.keys() - titles.keys())]
    nodes = [
        NodeVisitRow(node_id, titles.get(node_id), *(int(count) for count in counted.get(node_id, (0, 0, 0, 0))))
        for node_id in order
    ]
    return NodeVisitsReport(params.story_id, params.since_ms, params.until_ms, nodes)
