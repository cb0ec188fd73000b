"""The LLM usage report's arithmetic on rows written straight into `llm_calls`, folded or not."""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest

from runtime.analytics import fold_some_days, llm_usage_report
from runtime.analytics._days import DAY_MS
from runtime.analytics._rollups import FOLD_GRACE_MS
from runtime.errors import InvalidParams
from runtime.model.analytics import LlmUsageParams, LlmUsageReport, UsageDimension
from runtime.model.apis import Agent, ApiPrices, ApiRecord, Provider
from runtime.model.llm_calls import CallKind, CallOutcome, LlmCall
from runtime.store import Store, open_store
from runtime.store.apis import APIS
from runtime.store.llm_calls import insert_llm_calls

DAY_10 = 10 * DAY_MS  # 1970-01-11 00:00 UTC
AGENT, API, MODEL, DAY = UsageDimension.AGENT, UsageDimension.API, UsageDimension.MODEL, UsageDimension.DAY


def call(started_at_ms: int, agent: Agent = Agent.KEEPER, **fields: object) -> LlmCall:
    defaults: dict[str, object] = {
        "api_id": "main",
        "provider": Provider.OPEN_AI,
        "model": "m1",
        "streamed": False,
        "latency_ms": 100.0,
        "attempts": 1,
        "outcome": CallOutcome.OK,
        "prompt_tokens": 1000,
        "completion_tokens": 100,
    }
    return LlmCall(started_at_ms=started_at_ms, agent=agent, **{**defaults, **fields})  # type: ignore[arg-type]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path) as opened:
        yield opened


async def insert(store: Store, *calls: LlmCall) -> None:
    await store.write(functools.partial(insert_llm_calls, calls=list(calls)), session_data_only=True)


async def report(store: Store, **params: object) -> LlmUsageReport:
    return await store.read(functools.partial(llm_usage_report, params=LlmUsageParams(**params)))  # type: ignore[arg-type]


async def fold_everything(store: Store, now_ms: int) -> None:
    while await store.write(functools.partial(fold_some_days, now_ms=now_ms)):
        pass


async def test_counts_tokens_failures_retries_and_repairs_per_agent(store: Store) -> None:
    await insert(
        store,
        call(DAY_10, Agent.KEEPER),
        call(
            DAY_10 + 1,
            Agent.KEEPER,
            attempts=3,
            outcome=CallOutcome.TIMEOUT,
            prompt_tokens=None,
            completion_tokens=None,
        ),
        call(DAY_10 + 2, Agent.KEEPER, call_kind=CallKind.RETRY),
        call(DAY_10 + 3, Agent.KEEPER, call_kind=CallKind.REPAIR, outcome=CallOutcome.INVALID_OUTPUT),
        call(DAY_10 + 4, Agent.DIRECTOR, outcome=CallOutcome.FORMAT_WARNING, completion_tokens=7),
    )
    result = await report(store, group_by=[AGENT])

    director, keeper = result.rows  # in key order
    assert (keeper.agent, keeper.api_id, keeper.day) == ("keeper", None, None)
    assert keeper.calls == 4 and keeper.failed_calls == 2
    assert keeper.outcomes == {"invalid_output": 1, "ok": 2, "timeout": 1}
    assert keeper.retries == 2 + 1  # two extra attempts inside a call, one call made again
    assert keeper.repairs == 1
    assert (keeper.prompt_tokens, keeper.completion_tokens, keeper.calls_without_usage) == (3000, 300, 1)
    assert director.agent == "director" and director.failed_calls == 0  # a format warning is not a failure
    assert director.completion_tokens == 7
    totals = result.totals
    assert (totals.agent, totals.calls, totals.failed_calls, totals.retries, totals.repairs) == (None, 5, 2, 3, 1)
    assert totals.outcomes == {"format_warning": 1, "invalid_output": 1, "ok": 2, "timeout": 1}


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(fraction * len(ordered)) - 1]


async def test_percentiles_are_within_the_bin_accuracy_of_the_exact_ones(store: Store) -> None:
    latencies = [float(3 + (index * 7919) % 4000) for index in range(500)]
    first_tokens = [latency / 7 for latency in latencies[::2]]
    calls = [call(DAY_10 + index, latency_ms=latency) for index, latency in enumerate(latencies)]
    calls = [
        attrs.evolve(existing, streamed=True, first_token_ms=first_tokens[index // 2]) if index % 2 == 0 else existing
        for index, existing in enumerate(calls)
    ]
    await insert(store, *calls)
    row = (await report(store)).totals
    for measured, values, fraction in (
        (row.latency_p50_ms, latencies, 0.5),
        (row.latency_p95_ms, latencies, 0.95),
        (row.first_token_p50_ms, first_tokens, 0.5),
        (row.first_token_p95_ms, first_tokens, 0.95),
    ):
        assert measured == pytest.approx(nearest_rank(values, fraction), rel=0.044)


async def test_no_streamed_call_means_no_time_to_first_token(store: Store) -> None:
    await insert(store, call(DAY_10))
    row = (await report(store)).totals
    assert row.latency_p50_ms == pytest.approx(100.0, rel=0.044)
    assert row.first_token_p50_ms is None and row.first_token_p95_ms is None


async def test_cost_uses_each_apis_prices_per_currency_and_counts_unpriced_calls(store: Store) -> None:
    def save_apis(cursor: object) -> None:
        for api_id, prices in (
            ("main", ApiPrices(2.0, 10.0)),
            ("euro", ApiPrices(1.0, 4.0, "EUR")),
            ("free", None),
        ):
            APIS.insert(cursor, api_id, ApiRecord(api_id, api_id, Provider.OPEN_AI, "http://x", "m1", "k", prices))  # type: ignore[arg-type]

    await store.write(save_apis)
    await insert(
        store,
        call(DAY_10, api_id="main"),  # 1000 in, 100 out
        call(DAY_10 + 1, api_id="main", prompt_tokens=None, completion_tokens=None),
        call(DAY_10 + 2, api_id="euro", prompt_tokens=500_000, completion_tokens=250_000),
        call(DAY_10 + 3, api_id="free"),
        call(DAY_10 + 4, api_id="deleted"),
    )
    result = await report(store, group_by=[API])
    by_api = {row.api_id: row for row in result.rows}
    assert [(amount.currency, amount.amount) for amount in by_api["main"].cost] == [("USD", 0.003)]
    assert by_api["main"].unpriced_calls == 0
    assert [(amount.currency, amount.amount) for amount in by_api["euro"].cost] == [("EUR", 1.5)]
    assert by_api["free"].cost == [] and by_api["free"].unpriced_calls == 1
    assert [(amount.currency, amount.amount) for amount in result.totals.cost] == [("EUR", 1.5), ("USD", 0.003)]
    assert result.totals.unpriced_calls == 2


async def test_groups_by_day_api_and_model_in_key_order_with_filters(store: Store) -> None:
    await insert(
        store,
        call(DAY_10 + 5, model="m2"),
        call(DAY_10 + DAY_MS, model="m1"),
        call(DAY_10 + 6, model="m1"),
        call(DAY_10 + 7, Agent.ACTOR, model="m1"),
    )
    result = await report(store, group_by=[DAY, MODEL], agent=Agent.KEEPER)
    assert [(row.day, row.model, row.calls) for row in result.rows] == [
        ("1970-01-11", "m1", 1),
        ("1970-01-11", "m2", 1),
        ("1970-01-12", "m1", 1),
    ]
    assert result.totals.calls == 3
    filtered = await report(store, group_by=[AGENT], model="m1", since_ms=DAY_10 + 6, until_ms=DAY_10 + 8)
    assert [(row.agent, row.calls) for row in filtered.rows] == [("actor", 1), ("keeper", 1)]


async def test_folded_days_give_the_same_report_as_the_calls_themselves(store: Store) -> None:
    """Reports read whole folded days from the rollups and the rest from the calls: the split
    must never show. Ranges cut through days, a late call lands in a folded day."""
    calls = [
        call(
            DAY_10 + index * 3_600_000 + index,
            list(Agent)[index % 4],
            latency_ms=float(10 + index * 13 % 900),
            streamed=index % 2 == 0,
            first_token_ms=float(5 + index % 50) if index % 2 == 0 else None,
            attempts=1 + index % 3,
            outcome=CallOutcome.TIMEOUT if index % 5 == 0 else CallOutcome.OK,
            call_kind=CallKind.REPAIR if index % 7 == 0 else CallKind.FIRST,
            model=f"m{index % 2}",
        )
        for index in range(24 * 6)  # six days, one call an hour
    ]
    await insert(store, *calls)
    ranges = [
        {},
        {"since_ms": DAY_10 + DAY_MS // 2, "until_ms": DAY_10 + 4 * DAY_MS + DAY_MS // 3},
        {"since_ms": DAY_10 + 2 * DAY_MS, "until_ms": DAY_10 + 3 * DAY_MS},
        {"until_ms": DAY_10 + DAY_MS + 1},
    ]
    groupings = [[], [AGENT], [DAY, AGENT], [MODEL, API]]
    cases = [
        {**time_range, "group_by": group_by, "latency_histogram": True}
        for time_range in ranges
        for group_by in groupings
    ]
    before = [await report(store, **case) for case in cases]

    now_ms = DAY_10 + 4 * DAY_MS + FOLD_GRACE_MS  # days 10 to 13 are whole and over
    await fold_everything(store, now_ms)
    assert [await report(store, **case) for case in cases] == before

    late = call(DAY_10 + DAY_MS + 5, Agent.DIRECTOR, latency_ms=4321.0)  # written after its day was folded
    await insert(store, late)
    await fold_everything(store, now_ms)  # nothing new is due: the late call stays in llm_calls
    assert (await report(store, agent=Agent.DIRECTOR)).totals.calls == 144 // 4 + 1
    await fold_everything(store, now_ms + 2 * DAY_MS)
    everything = await report(store, group_by=[DAY, AGENT], latency_histogram=True)
    await store.write(lambda cursor: cursor.execute("DELETE FROM llm_call_days; DELETE FROM llm_call_day_latencies;"))
    await store.write(
        lambda cursor: cursor.execute("UPDATE llm_call_rollup SET folded_through_call_id = 0, folded_before_ms = 0")
    )
    assert await report(store, group_by=[DAY, AGENT], latency_histogram=True) == everything


async def test_a_fold_goes_a_few_days_at_a_time_and_stops_before_the_grace(store: Store) -> None:
    await insert(store, call(DAY_10), call(DAY_10 + 20 * DAY_MS))
    now_ms = DAY_10 + 21 * DAY_MS + FOLD_GRACE_MS - 1  # day 30 ended less than the grace ago
    writes = 1
    while await store.write(functools.partial(fold_some_days, now_ms=now_ms)):
        writes += 1
    progress = await store.read(lambda cursor: cursor.execute("SELECT * FROM llm_call_rollup").fetchone())
    assert progress == (2, DAY_10 + 20 * DAY_MS)
    assert writes == 2  # days 10 to 16, then 17 to 29: an empty stretch costs no write of its own


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since_ms": 5, "until_ms": 5}, "params.until_ms: expected a time after since_ms (5), got 5"),
        ({"since_ms": -1}, "params.since_ms: expected epoch milliseconds >= 0, got -1"),
        ({"group_by": [AGENT, DAY, AGENT]}, "params.group_by[2]: 'agent' is already in params.group_by"),
    ],
)
async def test_bad_params_are_refused_naming_the_field(store: Store, params: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParams) as refused:
        await report(store, **params)
    assert refused.value.message == message
