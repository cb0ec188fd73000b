"""`analytics.llm_usage`: LLM calls grouped by agent, api, model and day, with percentiles and cost.

Reads the calls of the range from the day rollups and from `llm_calls` (`_rollups.CallSources`)
in two statements: counts and sums per group, api, outcome and call kind; then percentiles per
group from the merged latency bins. Cost is priced in Python from the apis' price tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from runtime.analytics._days import TimeRange, day_of_ms
from runtime.analytics._grouping import check_unique, key_value
from runtime.analytics._latency_bins import BINS_PER_CHART_BAR, bin_middle_ms, bin_sql, chart_bar_upper_ms
from runtime.analytics._rollups import FIRST_TOKEN, LATENCY, ROLLUP_DAYS, CallSources, raw_calls, read_progress
from runtime.model.analytics import (
    CostAmount,
    LatencyBar,
    LlmUsageParams,
    LlmUsageReport,
    LlmUsageRow,
    UsageDimension,
)
from runtime.model.apis import ApiPrices
from runtime.model.llm_calls import CallKind, CallOutcome
from runtime.store import Cursor
from runtime.store.apis import APIS

_COLUMN_OF = {
    UsageDimension.AGENT: "agent",
    UsageDimension.API: "api_id",
    UsageDimension.MODEL: "model",
    UsageDimension.DAY: "day",
}
NOT_FAILED = frozenset({CallOutcome.OK.value, CallOutcome.FORMAT_WARNING.value})
TOKENS_PER_PRICE_UNIT = 1_000_000
COST_DIGITS = 6

_RAW_COLUMNS = f"""{day_of_ms("started_at_ms")} AS day, agent, api_id, model, outcome,
    coalesce(call_kind, '{CallKind.FIRST.value}') AS call_kind, prompt_tokens, completion_tokens,
    attempts, latency_ms, first_token_ms"""


@attrs.frozen
class _Query:
    """One report's SQL pieces: the grouping columns, the filter and the parameter values."""

    columns: tuple[str, ...]
    where: str
    params: dict[str, object]

    def grouped(self, extra: str = "") -> str:
        """`col, col, ` for a SELECT list or PARTITION BY (empty without columns), then `extra`."""
        return "".join(f"{column}, " for column in self.columns) + extra

    def raw(self) -> str:
        return raw_calls(_RAW_COLUMNS, self.where)


def check_llm_usage_params(params: LlmUsageParams) -> TimeRange:
    """The range of `params`; InvalidParams for an empty range or a dimension given twice."""
    check_unique([dimension.value for dimension in params.group_by], "params.group_by")
    return TimeRange.of(params.since_ms, params.until_ms)


def llm_usage_report(cursor: Cursor, params: LlmUsageParams) -> LlmUsageReport:
    """The report for `params`; raises as `check_llm_usage_params`."""
    time_range = check_llm_usage_params(params)
    sources = CallSources.plan(time_range, read_progress(cursor))
    query = _query(params, sources)
    prices = {record.api_id: record.prices for record in APIS.list(cursor) if record.prices is not None}
    groups = _sum_groups(cursor, query, prices)
    percentiles = _percentiles(cursor, query)
    histograms = _histograms(cursor, query) if params.latency_histogram else {}
    rows = [
        group.row(key, query.columns, percentiles.get(key, {}), histograms.get(key)) for key, group in groups.items()
    ]
    total_query = attrs.evolve(query, columns=())
    totals = _Sums()
    for group in groups.values():
        totals.add(group)
    total_histogram = _histograms(cursor, total_query).get((), []) if params.latency_histogram else None
    return LlmUsageReport(
        group_by=list(params.group_by),
        since_ms=params.since_ms,
        until_ms=params.until_ms,
        rows=rows,
        totals=totals.row((), (), _percentiles(cursor, total_query).get((), {}), total_histogram),
    )


def _query(params: LlmUsageParams, sources: CallSources) -> _Query:
    conditions = ["TRUE"]
    values: dict[str, object] = sources.params()
    for column, value in (
        ("agent", None if params.agent is None else params.agent.value),
        ("api_id", params.api_id),
        ("model", params.model),
    ):
        if value is not None:
            conditions.append(f"{column} = ${column}")
            values[column] = value
    columns = tuple(_COLUMN_OF[dimension] for dimension in params.group_by)
    return _Query(columns, " AND ".join(conditions), values)


# -- counts and sums ---------------------------------------------------------------------


@attrs.define
class _Sums:
    """What one group adds up to, priced per currency as its calls come in."""

    calls: int = 0
    outcomes: dict[str, int] = attrs.Factory(dict)
    retries: int = 0
    repairs: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls_without_usage: int = 0
    cost: dict[str, float] = attrs.Factory(dict)
    unpriced_calls: int = 0

    def add_calls(self, part: Sequence[Any], prices: ApiPrices | None) -> None:
        """One row of `_SUMS`: api id, outcome, call kind, calls, tokens in, tokens out, calls
        without usage, extra attempts."""
        _, outcome, call_kind, calls, prompt, completion, without_usage, extra_attempts = part
        prompt, completion = int(prompt or 0), int(completion or 0)
        self.calls += calls
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + calls
        self.retries += int(extra_attempts or 0) + (calls if call_kind == CallKind.RETRY.value else 0)
        self.repairs += calls if call_kind == CallKind.REPAIR.value else 0
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.calls_without_usage += without_usage
        if prices is None:
            self.unpriced_calls += calls
            return
        amount = (prompt * prices.input_per_million_tokens + completion * prices.output_per_million_tokens) / (
            TOKENS_PER_PRICE_UNIT
        )
        self.cost[prices.currency] = self.cost.get(prices.currency, 0.0) + amount

    def add(self, other: _Sums) -> None:
        self.calls += other.calls
        for outcome, calls in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + calls
        self.retries += other.retries
        self.repairs += other.repairs
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls_without_usage += other.calls_without_usage
        for currency, amount in other.cost.items():
            self.cost[currency] = self.cost.get(currency, 0.0) + amount
        self.unpriced_calls += other.unpriced_calls

    def row(
        self,
        key: tuple[Any, ...],
        columns: Sequence[str],
        percentiles: dict[str, tuple[float | None, float | None]],
        histogram: list[LatencyBar] | None,
    ) -> LlmUsageRow:
        keys = dict(zip(columns, key, strict=True))
        latency = percentiles.get(LATENCY, (None, None))
        first_token = percentiles.get(FIRST_TOKEN, (None, None))
        return LlmUsageRow(
            agent=key_value(keys, "agent"),
            api_id=key_value(keys, "api_id"),
            model=key_value(keys, "model"),
            day=key_value(keys, "day"),
            calls=self.calls,
            failed_calls=sum(calls for outcome, calls in self.outcomes.items() if outcome not in NOT_FAILED),
            outcomes=dict(sorted(self.outcomes.items())),
            retries=self.retries,
            repairs=self.repairs,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            calls_without_usage=self.calls_without_usage,
            latency_p50_ms=latency[0],
            latency_p95_ms=latency[1],
            first_token_p50_ms=first_token[0],
            first_token_p95_ms=first_token[1],
            cost=[CostAmount(currency, round(amount, COST_DIGITS)) for currency, amount in sorted(self.cost.items())],
            unpriced_calls=self.unpriced_calls,
            latency_histogram=histogram,
        )


def _sum_groups(cursor: Cursor, query: _Query, prices: Mapping[str, ApiPrices]) -> dict[tuple[Any, ...], _Sums]:
    """The sums of every group that has calls, in group order."""
    sql = f"""
        SELECT {query.grouped()}api_id, outcome, call_kind, sum(calls), sum(prompt_tokens), sum(completion_tokens),
               sum(calls_without_usage), sum(extra_attempts)
        FROM (
            SELECT day, agent, api_id, model, outcome, call_kind, 1 AS calls, prompt_tokens, completion_tokens,
                   CAST(prompt_tokens IS NULL AND completion_tokens IS NULL AS INTEGER) AS calls_without_usage,
                   attempts - 1 AS extra_attempts
            FROM ({query.raw()})
            UNION ALL
            SELECT day, agent, api_id, model, outcome, call_kind, calls, prompt_tokens, completion_tokens,
                   calls_without_usage, extra_attempts
            FROM llm_call_days WHERE {ROLLUP_DAYS} AND ({query.where})
        )
        GROUP BY ALL
        ORDER BY ALL
    """
    groups: dict[tuple[Any, ...], _Sums] = {}
    width = len(query.columns)
    for row in cursor.execute(sql, query.params).fetchall():
        key, part = tuple(row[:width]), row[width:]
        groups.setdefault(key, _Sums()).add_calls(part, prices.get(part[0]))
    return groups


# -- latency -----------------------------------------------------------------------------


def _binned(query: _Query) -> str:
    """SQL of the CTE `binned`: calls per group, measure and latency bin."""
    return f"""
        binned AS (
            SELECT {query.grouped()}measure, bin, sum(calls) AS calls
            FROM (
                SELECT day, agent, api_id, model, measure, bin, calls
                FROM llm_call_day_latencies WHERE {ROLLUP_DAYS} AND ({query.where})
                UNION ALL
                SELECT day, agent, api_id, model, '{LATENCY}', {bin_sql("latency_ms")}, 1 FROM raw
                UNION ALL
                SELECT day, agent, api_id, model, '{FIRST_TOKEN}', {bin_sql("first_token_ms")}, 1
                FROM raw WHERE first_token_ms IS NOT NULL
            )
            GROUP BY ALL
        )
    """


def _percentiles(cursor: Cursor, query: _Query) -> dict[tuple[Any, ...], dict[str, tuple[float | None, float | None]]]:
    """Per group and measure: (p50, p95), nearest rank over the bins."""
    partition = query.grouped("measure")
    sql = f"""
        WITH raw AS ({query.raw()}),
        {_binned(query)},
        ranked AS (
            SELECT *, sum(calls) OVER (PARTITION BY {partition} ORDER BY bin) AS reached,
                   sum(calls) OVER (PARTITION BY {partition}) AS total
            FROM binned
        )
        SELECT {partition}, min(bin) FILTER (WHERE reached >= ceil(0.5 * total)),
               min(bin) FILTER (WHERE reached >= ceil(0.95 * total))
        FROM ranked
        GROUP BY ALL
    """
    found: dict[tuple[Any, ...], dict[str, tuple[float | None, float | None]]] = {}
    width = len(query.columns)
    for row in cursor.execute(sql, query.params).fetchall():
        key, (measure, p50, p95) = tuple(row[:width]), row[width:]
        found.setdefault(key, {})[measure] = (_middle(p50), _middle(p95))
    return found


def _histograms(cursor: Cursor, query: _Query) -> dict[tuple[Any, ...], list[LatencyBar]]:
    """Per group: its latency distribution, BINS_PER_CHART_BAR bins to a bar, empty bars left out."""
    sql = f"""
        WITH raw AS ({query.raw()}),
        {_binned(query)}
        SELECT {query.grouped()}CAST(floor(bin / {BINS_PER_CHART_BAR}) AS INTEGER) AS bar, sum(calls)
        FROM binned WHERE measure = '{LATENCY}'
        GROUP BY ALL
        ORDER BY ALL
    """
    found: dict[tuple[Any, ...], list[LatencyBar]] = {}
    width = len(query.columns)
    for row in cursor.execute(sql, query.params).fetchall():
        key, (bar, calls) = tuple(row[:width]), row[width:]
        found.setdefault(key, []).append(LatencyBar(chart_bar_upper_ms(bar), int(calls)))
    return found


def _middle(bin_index: float | None) -> float | None:
    return None if bin_index is None or math.isnan(bin_index) else bin_middle_ms(int(bin_index))
