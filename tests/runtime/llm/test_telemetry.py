"""Every LLM call leaves one `llm_calls` row: who, where, how long, how many attempts, how it ended."""

from __future__ import annotations

import logging
from pathlib import Path

import attrs
import pytest
import trio
import trio.testing

from runtime.errors import ProviderError
from runtime.llm import CallTags, ChatRequest, _telemetry, open_call_recorder, provider_endpoint
from runtime.model.apis import Agent, Provider
from runtime.model.llm_calls import CallOutcome, LlmCall
from runtime.store import Cursor, open_store
from runtime.store.llm_calls import insert_llm_calls, list_llm_calls
from tests.runtime.llm.conftest import LlmRig

TAGS = CallTags(session_id="session-1", turn_index=4)

NEVER_S = 3600.0
"""A linger no test waits out: if a write waited for it, the test would hang (see HANG_GUARD_S)."""

HANG_GUARD_S = 30.0
"""Turns a hang into a failure; far beyond what a passing test takes."""


@attrs.define
class WriteSpy:
    """Counts the telemetry writes: the number of calls in each, in order."""

    batches: list[int] = attrs.Factory(list)
    written: trio.Event = attrs.Factory(trio.Event)

    def insert(self, cursor: Cursor, calls: list[LlmCall]) -> None:
        self.batches.append(len(calls))
        insert_llm_calls(cursor, calls)
        trio.from_thread.run_sync(self.written.set)  # the store runs writes in a trio worker thread


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> WriteSpy:
    """Spies on the writes, with a linger so long that only a flush, a full batch or a close ends it."""
    spy = WriteSpy()
    monkeypatch.setattr(_telemetry, "insert_llm_calls", spy.insert)
    monkeypatch.setattr(_telemetry, "WRITE_LINGER_S", NEVER_S)
    return spy


async def recorded(rig: LlmRig) -> list[LlmCall]:
    """The rows, once the recorder wrote what it has queued: calls only queue their row."""
    await rig.recorder.wait_flushed()
    return await rig.store.read(list_llm_calls)


def a_call(agent: Agent = Agent.KEEPER, turn_index: int = 1) -> LlmCall:
    return LlmCall(
        started_at_ms=1,
        agent=agent,
        api_id="main",
        provider=Provider.OPEN_AI,
        model="m",
        streamed=False,
        latency_ms=2.0,
        attempts=1,
        outcome=CallOutcome.OK,
        turn_index=turn_index,
    )


async def test_a_completed_call_is_recorded_with_its_tags(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"text": "two words"})
    client = rig.llm.client_for(rig.api(provider), TAGS)
    await client.complete(ChatRequest(Agent.KEEPER, "system", "user"))
    [call] = await recorded(rig)
    assert (call.agent, call.api_id, call.provider, call.model) == (Agent.KEEPER, "main", provider, "stub-model")
    assert (call.streamed, call.attempts, call.outcome, call.error) == (False, 1, CallOutcome.OK, None)
    assert call.completion_tokens == 2 and call.prompt_tokens is not None and call.prompt_tokens > 0
    assert (call.session_id, call.turn_index, call.draft_id) == ("session-1", 4, None)
    assert call.latency_ms >= 0 and call.first_token_ms is None and call.started_at_ms > 0


async def test_a_streamed_call_records_its_time_to_first_token(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"chunks": ["a", "b"]})
    client = rig.llm.client_for(rig.api(provider), CallTags(draft_id="draft-2"))
    async with client.stream(ChatRequest(Agent.ACTOR, "system", "user")) as stream:
        _ = [delta async for delta in stream]
    [call] = await recorded(rig)
    assert call.streamed and call.outcome is CallOutcome.OK and call.agent is Agent.ACTOR
    assert call.first_token_ms is not None and call.first_token_ms <= call.latency_ms
    assert call.draft_id == "draft-2"


async def test_a_failed_call_records_its_attempts_and_error(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"status": 500, "error_message": "down"}, {"status": 401})
    with pytest.raises(ProviderError):
        await rig.llm.client_for(rig.api(provider)).complete(ChatRequest(Agent.DIRECTOR, "s", "u"))
    [call] = await recorded(rig)
    assert (call.outcome, call.attempts, call.error) == (CallOutcome.PROVIDER_ERROR, 2, "authentication failed")


async def test_a_stream_left_early_is_recorded_as_cancelled(rig: LlmRig, provider: Provider) -> None:
    await rig.stub.control.script({"chunks": ["a", "b", "c"]})
    async with rig.llm.client_for(rig.api(provider)).stream(ChatRequest(Agent.NARRATOR, "s", "u")) as stream:
        assert await stream.__anext__() == "a"
    [call] = await recorded(rig)
    assert call.outcome is CallOutcome.CANCELLED
    assert call.error == "stream closed by the caller before its end"


async def test_each_call_gets_its_own_row_in_order(rig: LlmRig) -> None:
    client = rig.llm.client_for(rig.api(Provider.OPEN_AI))
    for agent in (Agent.PLANNER, Agent.ARCHITECT, Agent.REPLYER):
        await client.complete(ChatRequest(agent, "s", "u"))
    assert [call.agent for call in await recorded(rig)] == [Agent.PLANNER, Agent.ARCHITECT, Agent.REPLYER]


async def test_listing_models_records_no_call(rig: LlmRig) -> None:
    await rig.llm.list_models(provider_endpoint(Provider.OPEN_AI, rig.stub.openai_base_url, "key"))
    assert await recorded(rig) == []


async def test_calls_still_queued_are_written_when_the_recorder_closes(tmp_path: Path, spy: WriteSpy) -> None:
    async with open_store(tmp_path / "data") as store:
        with trio.fail_after(HANG_GUARD_S):
            async with open_call_recorder(store) as recorder:
                for turn_index in range(1, 6):
                    await recorder.record(a_call(turn_index=turn_index))
                    await trio.testing.wait_all_tasks_blocked()
        assert [call.turn_index for call in await store.read(list_llm_calls)] == [1, 2, 3, 4, 5]
    assert spy.batches == [5]


async def test_calls_that_follow_one_another_share_one_write(tmp_path: Path, spy: WriteSpy) -> None:
    async with open_store(tmp_path / "data") as store, open_call_recorder(store) as recorder:
        for turn_index in range(1, 6):
            await recorder.record(a_call(turn_index=turn_index))
            await trio.testing.wait_all_tasks_blocked()  # the writer has taken the call and waits for more
        assert spy.batches == []
        with trio.fail_after(HANG_GUARD_S):
            await recorder.wait_flushed()  # writes now, without waiting out the linger
        assert spy.batches == [5]
        assert [call.turn_index for call in await store.read(list_llm_calls)] == [1, 2, 3, 4, 5]


async def test_a_full_batch_is_written_without_lingering(
    tmp_path: Path, spy: WriteSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_telemetry, "MAX_CALLS_PER_WRITE", 3)
    async with open_store(tmp_path / "data") as store, open_call_recorder(store) as recorder:
        for turn_index in range(1, 5):
            await recorder.record(a_call(turn_index=turn_index))
            await trio.testing.wait_all_tasks_blocked()
        with trio.fail_after(HANG_GUARD_S):
            await spy.written.wait()  # nobody asked for a flush
        assert spy.batches == [3]
        with trio.fail_after(HANG_GUARD_S):
            await recorder.wait_flushed()
        assert spy.batches == [3, 1]
        assert [call.turn_index for call in await store.read(list_llm_calls)] == [1, 2, 3, 4]


async def test_writing_calls_keeps_the_cached_reads(tmp_path: Path) -> None:
    def count_calls(cursor: Cursor) -> int:
        return cursor.execute("SELECT count(*) FROM llm_calls").fetchone()[0]

    async with open_store(tmp_path / "data") as store, open_call_recorder(store) as recorder:
        assert await store.read_cached("test.count", count_calls) == 0
        await recorder.record(a_call())
        await recorder.wait_flushed()
        assert await store.read(count_calls) == 1
        # a telemetry write is declared session data only; a real cached read never reads llm_calls
        assert await store.read_cached("test.count", count_calls) == 0


async def test_a_call_beyond_a_full_queue_is_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_store(tmp_path / "data") as store, open_call_recorder(store, queue_size=2) as recorder:
        for agent in (Agent.PLANNER, Agent.ARCHITECT, Agent.REPLYER):
            await recorder.record(a_call(agent))
        await recorder.wait_flushed()
        assert [call.agent for call in await store.read(list_llm_calls)] == [Agent.PLANNER, Agent.ARCHITECT]
    [dropped] = [record for record in caplog.records if record.message == "llm_call_dropped"]
    assert dropped.levelno == logging.WARNING and dropped.agent == "replyer"


async def test_a_failed_write_is_logged_and_later_calls_are_still_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_store(tmp_path / "data") as store, open_call_recorder(store) as recorder:
        await store.write(lambda cursor: cursor.execute("ALTER TABLE llm_calls RENAME TO llm_calls_away"))
        await recorder.record(a_call(Agent.PLANNER))
        await recorder.wait_flushed()
        await store.write(lambda cursor: cursor.execute("ALTER TABLE llm_calls_away RENAME TO llm_calls"))
        await recorder.record(a_call(Agent.ACTOR))
        await recorder.wait_flushed()
        assert [call.agent for call in await store.read(list_llm_calls)] == [Agent.ACTOR]
    [failed] = [record for record in caplog.records if record.message == "llm_calls_not_recorded"]
    assert failed.levelno == logging.WARNING and failed.calls == 1
