"""Session actors over a real store with a fake turn engine: ordering, refusal of a second turn,
turns that outlive their reader, atomic commits, failures, crashes and idle stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import attrs
import pytest
import trio
import trio.testing

from actors.sessions import SessionActors, TurnEngine
from runtime.errors import BackendError, Conflict, NotFound, ProviderError
from runtime.model.cast import CastMember
from runtime.model.chat import ChatMessage, ChatResponse, ChatRole
from runtime.model.graph import NarrativeNode, StoryGraph
from runtime.model.sessions import (
    MessageKind,
    SessionMessage,
    SessionRecord,
    SessionUpdateParams,
    UpdateVariablesParams,
)
from runtime.model.state import RuntimeSnapshot, SetState, StateUpdate, WorldState
from runtime.model.turns import (
    CreateAndEnter,
    DirectorResult,
    EngineTurnResult,
    KeeperOutcome,
    ResponsePlan,
    TurnStage,
    TurnStarted,
)
from runtime.services import Services
from runtime.services.session_owner import TurnAborted, TurnFrame, TurnSucceeded
from runtime.services.sessions import load_session, rename_session, update_variables
from runtime.store import Cursor, Store, open_store
from runtime.store.sessions import SESSION_CHARACTERS, SESSION_MESSAGES, SESSIONS
from runtime.turns import EmitEvent, TranscriptLine, TurnFailed, TurnOutcome, TurnSetup

SESSION_ID = "session-0"
IDLE_S = 60.0
NOW_MS = 1_700_000_000_000


@attrs.frozen
class FixedClock:
    def now_ms(self) -> int:
        return NOW_MS


def new_session() -> SessionRecord:
    snapshot = RuntimeSnapshot("story-0", "", 0, WorldState(current_node="dock", active_characters=["merchant"]))
    return SessionRecord(SESSION_ID, "story-0", "Harbor", None, "schema-player", "group", "preset", snapshot, 1, 1)


def outcome_after(setup: TurnSetup, player_input: str) -> TurnOutcome:
    """One turn's outcome: turn index + 1, the input and a line of dialogue, one new character."""
    snapshot = attrs.evolve(setup.snapshot, turn_index=setup.snapshot.turn_index + 1)
    chat = ChatResponse(ChatMessage(ChatRole.ASSISTANT, '{"ops":[]}'), "stub")
    keeper = KeeperOutcome(StateUpdate([]), chat)
    director = DirectorResult("dock", "dock", False, ResponsePlan())
    result = EngineTurnResult(snapshot.turn_index, player_input, keeper, director, [], keeper, snapshot)
    lines = [
        TranscriptLine(MessageKind.PLAYER_INPUT, "player", "Player", player_input),
        TranscriptLine(MessageKind.DIALOGUE, "merchant", "Merchant", "Welcome."),
    ]
    ferryman = CreateAndEnter("ferryman", "Ferryman", "quiet", "terse", "You row.")
    return TurnOutcome(result, [ferryman], lines, {"ferryman": NOW_MS - 5})


@attrs.define
class FakeEngine:
    """Turns that emit `turn_started`, wait for `release` when it is set, then end as told."""

    release: trio.Event | None = None
    failure: BaseException | None = None
    setup_error: Exception | None = None
    played: int = 0

    async def load_setup(
        self, services: Services, session: SessionRecord, *, session_cast: Mapping[str, CastMember]
    ) -> TurnSetup:
        if self.setup_error is not None:
            raise self.setup_error
        node = NarrativeNode("dock", "Dock", "", "", ["merchant"], [])
        return TurnSetup(
            session.session_id,
            session.snapshot,
            StoryGraph("dock", [node]),
            {},
            session_cast,
            "User",
            {},
            {},
            [],
            {},
            {},
        )

    async def run_turn(self, setup: TurnSetup, player_input: str, emit: EmitEvent) -> TurnOutcome:
        self.played += 1
        await emit(TurnStarted(setup.snapshot.turn_index + 1, player_input))
        if self.release is not None:
            await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return outcome_after(setup, player_input)

    def engine(self) -> TurnEngine:
        return TurnEngine(run_turn=self.run_turn, load_setup=self.load_setup)


@attrs.frozen
class Rig:
    store: Store
    services: Services
    actors: SessionActors
    fake: FakeEngine


@pytest.fixture
async def rig(nursery: trio.Nursery, tmp_path: Path) -> AsyncIterator[Rig]:
    async with open_store(tmp_path) as store:
        await store.write(lambda cursor: SESSIONS.insert(cursor, SESSION_ID, new_session()))
        services = Services(store=store, clock=FixedClock())
        fake = FakeEngine()
        async with trio.open_nursery() as actors_nursery:
            actors = SessionActors(actors_nursery, services, fake.engine(), idle_timeout_s=IDLE_S)
            yield Rig(store, services, actors, fake)
            actors_nursery.cancel_scope.cancel()


async def read_frames(frames: trio.MemoryReceiveChannel[TurnFrame]) -> list[TurnFrame]:
    async with frames:
        return [frame async for frame in frames]


async def stored(rig: Rig) -> tuple[SessionRecord, list[SessionMessage], list[str]]:
    def read(cursor: Cursor) -> tuple[SessionRecord, list[SessionMessage], list[str]]:
        characters = [record.session_character_id for record in SESSION_CHARACTERS.list(cursor, SESSION_ID)]
        return SESSIONS.require(cursor, SESSION_ID), SESSION_MESSAGES.list(cursor, SESSION_ID), characters

    return await rig.store.read(read)


async def test_a_turn_commits_snapshot_transcript_and_characters_together(rig: Rig) -> None:
    frames = await read_frames(await rig.actors.start_turn(SESSION_ID, "Hello"))
    assert frames[0] == TurnStarted(1, "Hello")
    assert isinstance(frames[-1], TurnSucceeded) and frames[-1].result.turn_index == 1
    session, messages, characters = await stored(rig)
    assert session.snapshot.turn_index == 1 and session.updated_at_ms == NOW_MS
    assert [(m.message_id, m.sequence, m.turn_index, m.kind) for m in messages] == [
        ("session-0-message-0", 0, 1, MessageKind.PLAYER_INPUT),
        ("session-0-message-1", 1, 1, MessageKind.DIALOGUE),
    ]
    assert characters == ["ferryman"]
    created = await rig.store.read(lambda cursor: SESSION_CHARACTERS.get(cursor, SESSION_ID, "ferryman"))
    assert created is not None and created.created_at_ms == NOW_MS - 5


async def test_the_next_turn_continues_the_sequences(rig: Rig) -> None:
    for _ in range(2):
        await read_frames(await rig.actors.start_turn(SESSION_ID, "Again"))
    _, messages, characters = await stored(rig)
    assert [m.sequence for m in messages] == [0, 1, 2, 3] and [m.turn_index for m in messages] == [1, 1, 2, 2]
    assert characters == ["ferryman"]  # re-created by the second turn, stored once


async def test_a_second_turn_is_refused_at_once_while_one_runs(
    rig: Rig, autojump_clock: trio.testing.MockClock
) -> None:
    rig.fake.release = trio.Event()
    frames = await rig.actors.start_turn(SESSION_ID, "First")
    with trio.fail_after(1):  # virtual time: refused, never queued behind the first
        with pytest.raises(Conflict, match=r"^session 'session-0' already has a turn in progress$"):
            await rig.actors.start_turn(SESSION_ID, "Second")
    rig.fake.release.set()
    assert isinstance((await read_frames(frames))[-1], TurnSucceeded)
    assert not rig.actors.turn_in_progress(SESSION_ID)
    await read_frames(await rig.actors.start_turn(SESSION_ID, "Third"))
    assert rig.fake.played == 2


async def test_changes_wait_for_the_turn_and_apply_to_its_result(rig: Rig) -> None:
    rig.fake.release = trio.Event()
    frames = await rig.actors.start_turn(SESSION_ID, "First")
    done = trio.Event()
    results = []

    async def change() -> None:
        params = UpdateVariablesParams(StateUpdate([SetState("gate_open", True)]))
        results.append(await rig.actors.change(SESSION_ID, update_variables, params))
        done.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(change)
        await trio.testing.wait_all_tasks_blocked()
        assert not done.is_set()
        assert (await load_session(rig.services, SESSION_ID)).snapshot.turn_index == 0  # reads are not queued
        rig.fake.release.set()
    await read_frames(frames)
    session, _, _ = await stored(rig)
    assert session.snapshot.turn_index == 1 and session.snapshot.world_state.custom == {"gate_open": True}


async def test_a_turn_whose_reader_left_still_runs_and_commits(rig: Rig) -> None:
    rig.fake.release = trio.Event()
    frames = await rig.actors.start_turn(SESSION_ID, "Hello")
    await frames.aclose()  # the client went away
    rig.fake.release.set()
    renamed = await rig.actors.change(SESSION_ID, rename_session, SessionUpdateParams("After"))
    assert renamed.snapshot.turn_index == 1  # queued behind the turn, applied to its result
    session, messages, _ = await stored(rig)
    assert session.snapshot.turn_index == 1 and len(messages) == 2 and session.display_name == "After"


async def test_a_failed_turn_changes_nothing_stored_or_in_memory(rig: Rig) -> None:
    before = await stored(rig)
    rig.fake.failure = TurnFailed(TurnStage.DIRECTOR, ProviderError("rate limited by provider"))
    frames = await read_frames(await rig.actors.start_turn(SESSION_ID, "Hello"))
    assert frames[-1] == TurnAborted(50002, "turn failed during Director: rate limited by provider")
    assert await stored(rig) == before
    renamed = await rig.actors.change(SESSION_ID, rename_session, SessionUpdateParams("After"))
    assert renamed.snapshot == before[0].snapshot


async def test_a_crash_in_a_turn_is_reported_and_the_actor_is_rebuilt_from_storage(rig: Rig) -> None:
    await rig.actors.change(SESSION_ID, rename_session, SessionUpdateParams("Before the crash"))
    rig.fake.failure = RuntimeError("bug")
    frames = await read_frames(await rig.actors.start_turn(SESSION_ID, "Hello"))
    assert frames[-1] == TurnAborted(50001, "turn failed: internal error (RuntimeError)")
    assert rig.actors.statistics().restarted == 1
    rig.fake.failure = None
    frames = await read_frames(await rig.actors.start_turn(SESSION_ID, "Again"))
    assert isinstance(frames[-1], TurnSucceeded) and frames[-1].result.turn_index == 1
    assert (await stored(rig))[0].display_name == "Before the crash"


async def test_a_setup_error_is_raised_before_any_frame_and_frees_the_session(rig: Rig) -> None:
    rig.fake.setup_error = NotFound.record("story", "story-0")
    with pytest.raises(NotFound, match="story 'story-0' not found"):
        await rig.actors.start_turn(SESSION_ID, "Hello")
    assert not rig.actors.turn_in_progress(SESSION_ID)
    rig.fake.setup_error = None
    assert isinstance((await read_frames(await rig.actors.start_turn(SESSION_ID, "Hello")))[-1], TurnSucceeded)


async def test_a_failed_commit_is_a_failed_frame_and_writes_nothing(rig: Rig) -> None:
    def take_the_id(cursor: Cursor) -> None:  # another session already holds the turn's first message id
        message = SessionMessage("session-0-message-0", MessageKind.NARRATION, 0, 0, 1, 1, 1, "n", "N", "x")
        SESSION_MESSAGES.insert(cursor, "session-other", message)

    await rig.store.write(take_the_id)
    before = await stored(rig)
    frames = await read_frames(await rig.actors.start_turn(SESSION_ID, "Hello"))
    assert isinstance(frames[-1], TurnAborted) and frames[-1].code == 50001
    assert frames[-1].message.startswith("storage failure")
    assert await stored(rig) == before


async def test_sessions_starting_together_each_play_and_commit_their_own_turn(rig: Rig) -> None:
    session_ids = [f"session-{number}" for number in range(1, 21)]

    def insert_sessions(cursor: Cursor) -> None:
        for session_id in session_ids:
            SESSIONS.insert(cursor, session_id, attrs.evolve(new_session(), session_id=session_id))

    await rig.store.write(insert_sessions)
    last_frames: dict[str, TurnFrame] = {}

    async def play(session_id: str) -> None:
        last_frames[session_id] = (await read_frames(await rig.actors.start_turn(session_id, session_id)))[-1]

    async with trio.open_nursery() as nursery:
        for session_id in session_ids:
            nursery.start_soon(play, session_id)

    def transcripts(cursor: Cursor) -> dict[str, list[str]]:
        return {
            session_id: [message.message_id for message in SESSION_MESSAGES.list(cursor, session_id)]
            for session_id in session_ids
        }

    for session_id, frame in last_frames.items():
        assert isinstance(frame, TurnSucceeded) and frame.result.player_input == session_id
    assert len(last_frames) == len(session_ids)
    assert await rig.store.read(transcripts) == {
        session_id: [f"{session_id}-message-0", f"{session_id}-message-1"] for session_id in session_ids
    }


async def test_unknown_sessions_are_not_found(rig: Rig) -> None:
    with pytest.raises(NotFound, match=r"^session 'session-9' not found$"):
        await rig.actors.change("session-9", rename_session, SessionUpdateParams("x"))
    with pytest.raises(NotFound, match=r"^session 'session-9' not found$"):
        await rig.actors.start_turn("session-9", "Hello")
    with pytest.raises(NotFound, match=r"^session 'session-9' not found$"):
        await rig.actors.delete("session-9")


async def test_an_idle_actor_is_stopped_and_the_next_call_reloads_it(
    rig: Rig, autojump_clock: trio.testing.MockClock
) -> None:
    await rig.actors.change(SESSION_ID, rename_session, SessionUpdateParams("One"))
    assert rig.actors.live_sessions() == {SESSION_ID}
    await trio.sleep(IDLE_S + 1)
    assert rig.actors.live_sessions() == set()
    renamed = await rig.actors.change(SESSION_ID, rename_session, SessionUpdateParams("Two"))
    assert renamed.display_name == "Two" and rig.actors.statistics().spawned == 2


async def test_a_crash_in_a_change_is_a_backend_error_and_the_record_is_reloaded(rig: Rig) -> None:
    async def half_done(services: Services, session: SessionRecord, params: object) -> object:
        raise RuntimeError("bug after nothing was written")

    with pytest.raises(BackendError, match=r"^session 'session-0' failed and was reloaded from storage$"):
        await rig.actors.change(SESSION_ID, half_done, None)
    renamed = await rig.actors.change(SESSION_ID, rename_session, SessionUpdateParams("Fine"))
    assert renamed.display_name == "Fine" and rig.actors.statistics().restarted == 1
