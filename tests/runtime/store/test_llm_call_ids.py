"""LLM call ids: drawn from a sequence, increasing in insertion order, never reused, also across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.errors import Conflict
from runtime.llm._telemetry import MAX_CALLS_PER_WRITE
from runtime.model.apis import Agent, Provider
from runtime.model.llm_calls import CallKind, CallOutcome, LlmCall
from runtime.store import Cursor, Store, _migrations, open_store
from runtime.store.llm_calls import insert_llm_calls, list_llm_calls


def a_call(turn_index: int) -> LlmCall:
    return LlmCall(
        started_at_ms=1,
        agent=Agent.KEEPER,
        api_id="main",
        provider=Provider.OPEN_AI,
        model="m",
        streamed=False,
        latency_ms=2.0,
        attempts=1,
        outcome=CallOutcome.OK,
        turn_index=turn_index,
    )


def rows_by_id(cursor: Cursor) -> list[tuple[int, int]]:
    """(call_id, turn_index) of every row, in id order."""
    return cursor.execute("SELECT call_id, turn_index FROM llm_calls ORDER BY call_id").fetchall()


async def insert(store: Store, *turn_indexes: int) -> None:
    calls = [a_call(turn_index) for turn_index in turn_indexes]
    await store.write(lambda cursor: insert_llm_calls(cursor, calls), session_data_only=True)


def assert_increasing_in_insertion_order(rows: list[tuple[int, int]], turn_indexes: list[int]) -> None:
    ids = [call_id for call_id, _ in rows]
    assert [turn_index for _, turn_index in rows] == turn_indexes
    assert ids == sorted(set(ids))


async def test_ids_increase_across_batches_and_restarts(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        await insert(store, 1, 2)
        await insert(store, 3)
    async with open_store(tmp_path) as store:
        await insert(store, 4, 5)
        assert_increasing_in_insertion_order(await store.read(rows_by_id), [1, 2, 3, 4, 5])


async def test_a_rolled_back_batch_does_not_break_the_next_ones(tmp_path: Path) -> None:
    def insert_then_refuse(cursor: Cursor) -> None:
        insert_llm_calls(cursor, [a_call(98), a_call(99)])
        raise Conflict("refused")

    async with open_store(tmp_path) as store:
        await insert(store, 1)
        with pytest.raises(Conflict):
            await store.write(insert_then_refuse, session_data_only=True)
        await insert(store, 2, 3)
        with pytest.raises(Conflict):
            await store.write(insert_then_refuse, session_data_only=True)
    async with open_store(tmp_path) as store:
        await insert(store, 4)
        assert_increasing_in_insertion_order(await store.read(rows_by_id), [1, 2, 3, 4])


async def test_ids_continue_after_the_rows_written_before_the_sequence_existed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before_migration_2:
        before_migration_2.setattr(_migrations, "MIGRATIONS", _migrations.MIGRATIONS[:1])
        async with open_store(tmp_path) as store:
            await store.write(
                lambda cursor: cursor.execute(
                    "INSERT INTO llm_calls (call_id, started_at_ms, agent, provider, model, streamed, latency_ms,"
                    " attempts, outcome, turn_index) SELECT i, 1, 'keeper', 'open_ai', 'm', false, 2.0, 1, 'ok', i"
                    " FROM range(1, 41) t(i)"
                )
            )
    async with open_store(tmp_path) as store:
        await insert(store, 41, 42)
        rows = await store.read(rows_by_id)
    assert_increasing_in_insertion_order(rows, list(range(1, 43)))
    assert [call_id for call_id, _ in rows[:40]] == list(range(1, 41))


async def test_a_full_batch_of_the_recorder_keeps_its_order(tmp_path: Path) -> None:
    turn_indexes = list(range(1, MAX_CALLS_PER_WRITE + 1))
    async with open_store(tmp_path) as store:
        await insert(store, *turn_indexes)
        assert_increasing_in_insertion_order(await store.read(rows_by_id), turn_indexes)


async def test_calls_recorded_before_migration_3_read_back_as_first_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before_migration_3:
        before_migration_3.setattr(_migrations, "MIGRATIONS", _migrations.MIGRATIONS[:2])
        async with open_store(tmp_path) as store:
            await store.write(
                lambda cursor: cursor.execute(
                    "INSERT INTO llm_calls (call_id, started_at_ms, agent, provider, model, streamed, latency_ms,"
                    " attempts, outcome) VALUES (nextval('llm_call_ids'), 1, 'keeper', 'open_ai', 'm', false, 2.0, 1, 'error')"
                )
            )
    async with open_store(tmp_path) as store:
        await insert(store, 7)
        old, new = await store.read(list_llm_calls)
    assert (old.call_kind, old.outcome, old.structured_output_mode, old.max_tokens) == (
        CallKind.FIRST,
        CallOutcome.ERROR,
        None,
        None,
    )
    assert (new.call_kind, new.turn_index) == (CallKind.FIRST, 7)
