"""The analytics reports and the snapshot: params and payloads (a Dramaturg extension, `analytics.*`).

Times are epoch milliseconds; a range is `[since_ms, until_ms)` and either end may be left
out. Days are UTC calendar days, written `YYYY-MM-DD`. A row's key fields that the report is
not grouped by are null.
"""

from __future__ import annotations

import enum

import attrs

from runtime.model._fields import omittable
from runtime.model.apis import Agent

# -- LLM usage ---------------------------------------------------------------------------


class UsageDimension(enum.Enum):
    AGENT = "agent"
    API = "api"
    MODEL = "model"
    DAY = "day"


@attrs.frozen
class LlmUsageParams:
    group_by: list[UsageDimension] = attrs.field(factory=list)
    """Dimensions to group by: `agent`, `api`, `model`, `day` (none: one row of totals)."""
    since_ms: int | None = None
    """Only what started at or after this moment (epoch ms; omitted: from the beginning)."""
    until_ms: int | None = None
    """Only what started before this moment (epoch ms; omitted: until now)."""
    agent: Agent | None = None
    """Only calls of this agent."""
    api_id: str | None = None
    """Only calls through this api."""
    model: str | None = None
    """Only calls to this model."""
    latency_histogram: bool = False
    """Add each row's latency distribution (two bars per doubling)."""


@attrs.frozen
class CostAmount:
    currency: str
    amount: float


@attrs.frozen
class LatencyBar:
    """Calls whose latency was at most `upper_ms` and above the previous bar's bound."""

    upper_ms: float
    calls: int


@attrs.frozen
class LlmUsageRow:
    """The calls of one group. `outcomes` counts every outcome that occurred; `failed_calls` the
    failures among them (every outcome but `ok` and `format_warning`). `retries` are the extra
    attempts inside calls plus the calls made again after a failed one (`call_kind` `retry`);
    `repairs` the repair calls. Latency percentiles cover every call, time to first token the
    streamed calls that delivered one; both are within 4.4 % (log-scale bins). `cost` sums the
    recorded tokens at the prices of each call's api, per currency; `unpriced_calls` are calls
    of apis without prices."""

    agent: str | None
    api_id: str | None
    model: str | None
    day: str | None
    calls: int
    failed_calls: int
    outcomes: dict[str, int]
    retries: int
    repairs: int
    prompt_tokens: int
    completion_tokens: int
    calls_without_usage: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    first_token_p50_ms: float | None
    first_token_p95_ms: float | None
    cost: list[CostAmount]
    unpriced_calls: int
    latency_histogram: list[LatencyBar] | None = omittable()


@attrs.frozen
class LlmUsageReport:
    group_by: list[UsageDimension]
    since_ms: int | None
    until_ms: int | None
    rows: list[LlmUsageRow]
    totals: LlmUsageRow


# -- play --------------------------------------------------------------------------------


class PlayDimension(enum.Enum):
    STORY = "story"
    SESSION = "session"  # also fills each row's story_id
    DAY = "day"


@attrs.frozen
class PlayParams:
    group_by: list[PlayDimension] = attrs.field(factory=list)
    """Dimensions to group by: `story`, `session`, `day` (none: one row of totals)."""
    since_ms: int | None = None
    """Only what started at or after this moment (epoch ms; omitted: from the beginning)."""
    until_ms: int | None = None
    """Only what started before this moment (epoch ms; omitted: until now)."""
    story_id: str | None = None
    """Only turns of this story."""
    session_id: str | None = None
    """Only turns of this session."""
    limit: int | None = None
    """At most this many rows, 1 to 10,000, in the order of their keys (omitted: every row)."""
    offset: int = 0
    """How many rows, in the order of their keys, to skip before the first one returned."""


@attrs.frozen
class PlayRow:
    """The turns of one group that started in the range, and its sessions created in the range.

    `failures` counts failed turns by the stage they failed at (`other`: outside the stages, as
    in the commit); `sessions` are the sessions that played a turn; `turn_duration_*` cover the
    completed turns that have a duration.
    """

    story_id: str | None
    session_id: str | None
    day: str | None
    turns: int
    completed_turns: int
    failed_turns: int
    failures: dict[str, int]
    sessions: int
    sessions_started: int
    llm_calls: int
    turn_duration_p50_ms: float | None
    turn_duration_p95_ms: float | None


@attrs.frozen
class PlayReport:
    group_by: list[PlayDimension]
    since_ms: int | None
    until_ms: int | None
    rows: list[PlayRow]
    totals: PlayRow
    total_rows: int = 0
    """How many rows the report has before `offset` and `limit` (a Dramaturg paging field)."""


@attrs.frozen
class NodeVisitsParams:
    story_id: str
    """The story whose nodes are reported."""
    since_ms: int | None = None
    """Only what started at or after this moment (epoch ms; omitted: from the beginning)."""
    until_ms: int | None = None
    """Only what started before this moment (epoch ms; omitted: until now)."""


@attrs.frozen
class NodeVisitRow:
    """One node of the story: `entries` counts sessions arriving (their start, or a completed turn
    that moved there); `turns` the completed turns that ended there; `sessions` the sessions that
    were there; `failed_turns` the failed turns that started there. `title` is null for a node
    that is no longer in the story's graph."""

    node_id: str
    title: str | None
    entries: int
    turns: int
    sessions: int
    failed_turns: int


@attrs.frozen
class NodeVisitsReport:
    story_id: str
    since_ms: int | None
    until_ms: int | None
    nodes: list[NodeVisitRow]


# -- snapshot ----------------------------------------------------------------------------


@attrs.frozen
class SnapshotTableRows:
    table: str
    rows: int


@attrs.frozen
class SnapshotWritten:
    """A snapshot file, complete: `path` on the server's machine (under `<data-dir>/snapshots/`)."""

    file_name: str
    path: str
    size_bytes: int
    created_at_ms: int
    tables: list[SnapshotTableRows]
