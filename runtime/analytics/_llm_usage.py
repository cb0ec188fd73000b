"""`analytics.llm_usage`: LLM calls grouped by agent, api, model and day, with percentiles and cost.

Reads the calls of the range from the day rollups and from `llm_calls` (`_rollups.CallSources`)
in two statements (three with the histograms): sums per group and api, outcomes and call kinds
pivoted into columns; then percentiles from the merged latency bins, per group and over all
(grouping sets). Python prices each group's tokens per api and adds the groups up into totals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from runtime.analytics._days import TimeRange, day_of_ms
from runtime.analytics._grouping import GroupedQuery, check_unique, group_key, key_value
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
NOT_FAILED = (CallOutcome.OK.value, CallOutcome.FORMAT_WARNING.value)
OUTCOMES = tuple(outcome.value for outcome in CallOutcome)
TOKENS_PER_PRICE_UNIT = 1_000_000
COST_DIGITS = 6
Percentiles = tuple[float | None, float | None]

_RAW_COLUMNS = f"""{day_of_ms("started_at_ms")} AS day, agent, api_id, model, outcome,
    coalesce(call_kind, '{CallKind.FIRST.value}') AS call_kind, prompt_tokens, completion_tokens,
    attempts, latency_ms, first_token_ms"""


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
    totals = _Sums()
    for group in groups.values():
        totals.add(group)
    percentiles = _percentiles(cursor, query)
    histograms = _histograms(cursor, query) if params.latency_histogram else None

    def row(key: tuple[Any, ...], sums: _Sums) -> LlmUsageRow:
        histogram = None if histograms is None else histograms.get(key, [])
        keys = {} if key[0] else dict(zip(query.columns, key[1:], strict=True))
        return sums.row(keys, percentiles.get(key, {}), histogram)

    return LlmUsageReport(
        group_by=list(params.group_by),
        since_ms=params.since_ms,
        until_ms=params.until_ms,
        rows=[row((False, *key), group) for key, group in groups.items()] if query.columns else [],
        totals=row((True,), totals),
    )


def _query(params: LlmUsageParams, sources: CallSources) -> GroupedQuery:
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
    return GroupedQuery(columns, " AND ".join(conditions), values)


def _raw(query: GroupedQuery) -> str:
    return raw_calls(_RAW_COLUMNS, query.where)


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

    def add_api(self, sums: Sequence[Any], prices: ApiPrices | None) -> None:
        """The calls of one api (a row of `_SUMS` after its key): calls, tokens in and out, calls
        without usage, retries, repairs, then the calls of each outcome of OUTCOMES."""
        calls, prompt, completion, without_usage, retries, repairs, *by_outcome = sums
        prompt, completion = int(prompt or 0), int(completion or 0)
        self.add(_Sums(calls, dict(zip(OUTCOMES, by_outcome, strict=True)), int(retries), int(repairs)))
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.calls_without_usage += int(without_usage)
        if prices is None:
            self.unpriced_calls += calls
            return
        amount = prompt * prices.input_per_million_tokens + completion * prices.output_per_million_tokens
        self.cost[prices.currency] = self.cost.get(prices.currency, 0.0) + amount / TOKENS_PER_PRICE_UNIT

    def add(self, other: _Sums) -> None:
        self.calls += other.calls
        for outcome, calls in other.outcomes.items():
            if calls:
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + int(calls)
        self.retries += other.retries
        self.repairs += other.repairs
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls_without_usage += other.calls_without_usage
        for currency, amount in other.cost.items():
            self.cost[currency] = self.cost.get(currency, 0.0) + amount
        self.unpriced_calls += other.unpriced_calls

    def row(
        self, keys: Mapping[str, Any], percentiles: Mapping[str, Percentiles], histogram: list[LatencyBar] | None
    ) -> LlmUsageRow:
        latency = percentiles.get(LATENCY, (None, None))
        first_token = percentiles.get(FIRST_TOKEN, (None, None))
        return LlmUsageRow(
            agent=key_value(keys, "agent"),
            api_id=key_value(keys, "api_id"),
            model=key_value(keys, "model"),
            day=key_value(keys, "day"),
            calls=self.calls,
            failed_calls=self.calls - sum(self.outcomes.get(outcome, 0) for outcome in NOT_FAILED),
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


_OUTCOME_COLUMNS = ", ".join(f"coalesce(sum(calls) FILTER (WHERE outcome = '{outcome}'), 0)" for outcome in OUTCOMES)


def _sum_groups(cursor: Cursor, query: GroupedQuery, prices: Mapping[str, ApiPrices]) -> dict[tuple[Any, ...], _Sums]:
    """The sums of every group that has calls, in group order."""
    sql = f"""
        SELECT {query.grouped()}api_id AS priced_api_id, sum(calls), sum(prompt_tokens), sum(completion_tokens),
               sum(calls_without_usage),
               sum(extra_attempts) + coalesce(sum(calls) FILTER (WHERE call_kind = '{CallKind.RETRY.value}'), 0),
               coalesce(sum(calls) FILTER (WHERE call_kind = '{CallKind.REPAIR.value}'), 0),
               {_OUTCOME_COLUMNS}
        FROM (
            SELECT day, agent, api_id, model, outcome, call_kind, 1 AS calls, prompt_tokens, completion_tokens,
                   CAST(prompt_tokens IS NULL AND completion_tokens IS NULL AS INTEGER) AS calls_without_usage,
                   attempts - 1 AS extra_attempts
            FROM ({_raw(query)})
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
        api_id = row[width]
        groups.setdefault(tuple(row[:width]), _Sums()).add_api(row[width + 1 :], prices.get(api_id))
    return groups


# -- latency -----------------------------------------------------------------------------


def _binned(query: GroupedQuery) -> str:
    """SQL of the CTEs `raw` and `binned`: calls per group (and over all, `total`), measure and
    latency bin."""
    return f"""
        raw AS ({_raw(query)}),
        binned AS (
            SELECT {query.grouped()}{query.total_flag()} AS total, measure, bin, sum(calls) AS calls
            FROM (
                SELECT day, agent, api_id, model, measure, bin, calls
                FROM llm_call_day_latencies WHERE {ROLLUP_DAYS} AND ({query.where})
                UNION ALL
                SELECT day, agent, api_id, model, '{LATENCY}', {bin_sql("latency_ms")}, 1 FROM raw
                UNION ALL
                SELECT day, agent, api_id, model, '{FIRST_TOKEN}', {bin_sql("first_token_ms")}, 1
                FROM raw WHERE first_token_ms IS NOT NULL
            )
            GROUP BY {query.grouping_sets("measure, bin")}
        )
    """


def _percentiles(cursor: Cursor, query: GroupedQuery) -> dict[tuple[Any, ...], dict[str, Percentiles]]:
    """Per (is total, *group key) and measure: (p50, p95), nearest rank over the bins."""
    partition = f"total, {query.grouped('measure')}"
    sql = f"""
        WITH {_binned(query)},
        ranked AS (
            SELECT *, sum(calls) OVER (PARTITION BY {partition} ORDER BY bin) AS reached,
                   sum(calls) OVER (PARTITION BY {partition}) AS all_calls
            FROM binned
        )
        SELECT {partition}, min(bin) FILTER (WHERE reached >= ceil(0.5 * all_calls)),
               min(bin) FILTER (WHERE reached >= ceil(0.95 * all_calls))
        FROM ranked
        GROUP BY ALL
    """
    found: dict[tuple[Any, ...], dict[str, Percentiles]] = {}
    width = 1 + len(query.columns)
    for row in cursor.execute(sql, query.params).fetchall():
        measure, p50, p95 = row[width:]
        found.setdefault(group_key(row, width), {})[measure] = (_middle(p50), _middle(p95))
    return found


def _histograms(cursor: Cursor, query: GroupedQuery) -> dict[tuple[Any, ...], list[LatencyBar]]:
    """Per (is total, *group key): the latency distribution, BINS_PER_CHART_BAR bins to a bar,
    empty bars left out."""
    sql = f"""
        WITH {_binned(query)}
        SELECT total, {query.grouped()}CAST(floor(bin / {BINS_PER_CHART_BAR}) AS INTEGER) AS bar, sum(calls)
        FROM binned WHERE measure = '{LATENCY}'
        GROUP BY ALL
        ORDER BY ALL
    """
    found: dict[tuple[Any, ...], list[LatencyBar]] = {}
    width = 1 + len(query.columns)
    for row in cursor.execute(sql, query.params).fetchall():
        bar, calls = row[width:]
        found.setdefault(group_key(row, width), []).append(LatencyBar(chart_bar_upper_ms(bar), int(calls)))
    return found


def _middle(bin_index: float | None) -> float | None:
    return None if bin_index is None or math.isnan(bin_index) else bin_middle_ms(int(bin_index))
