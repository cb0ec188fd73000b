"""The turn pipeline (PROTOCOL §4.6, §8.2, §8.3): player input in, events out as they happen,
a `TurnOutcome` back.

Stages, in order: record the input, Keeper after the input, Director (transition, plan, role
actions), the beats, Keeper after the outputs with the progression fallback. Each stage that
fails raises `TurnFailed` naming it; the error is the provider's (50002) or a BackendError
(50001). Nothing here touches the store, so a failed turn leaves nothing to undo (R4): the
caller persists the outcome of a successful turn in one transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import attrs

from runtime.agents import ActionComplete, ActorOutputEvent, DialogueDelta, ThoughtDelta
from runtime.agents.actor import actor_request, perform
from runtime.agents.director import plan_response
from runtime.agents.keeper import keeper_context, update_state
from runtime.agents.narrator import narrate, narrator_request
from runtime.agents.scene import HistoryWindows, Scene
from runtime.errors import BackendError, DramaturgError, ProviderError
from runtime.llm import ChatClient
from runtime.lore import ActivationLog, LoreMoment, TurnLore, advance_timers, summarize_turn
from runtime.model.apis import Agent
from runtime.model.cast import CastMember
from runtime.model.graph import NarrativeNode
from runtime.model.presets import AgentConfig
from runtime.model.sessions import MessageKind, SessionCharacter
from runtime.model.state import (
    ActorMemoryEntry,
    AddActiveCharacter,
    MemoryKind,
    RemoveActiveCharacter,
    RuntimeSnapshot,
    StateUpdate,
    WorldState,
)
from runtime.model.turns import (
    ActorActionComplete,
    ActorBeat,
    ActorCompleted,
    ActorDialogueDelta,
    ActorStarted,
    ActorThoughtDelta,
    CreateAndEnter,
    DirectorCompleted,
    DirectorResult,
    EngineTurnResult,
    ExecutedActorBeat,
    ExecutedBeat,
    ExecutedNarratorBeat,
    KeeperApplied,
    KeeperOutcome,
    KeeperPhase,
    LeaveScene,
    NarratorBeat,
    NarratorCompleted,
    NarratorPurpose,
    NarratorStarted,
    NarratorTextDelta,
    PlayerInputRecorded,
    ResponseBeat,
    SegmentKind,
    SessionCharacterAction,
    SessionCharacterCreated,
    SessionCharacterEnteredScene,
    SessionCharacterLeftScene,
    StreamEvent,
    TurnStage,
    TurnStarted,
)
from runtime.state import (
    append_private_memory,
    append_shared_history,
    apply_state_op,
    apply_state_update,
    enter_node,
    filter_keeper_update,
    keep_declared_values,
    progression_fallback_ops,
    select_transition,
)
from runtime.turns._contract import EmitEvent, TranscriptLine, TurnFailed, TurnOutcome, TurnSetup
from runtime.turns._scene import agent_client, agent_config, setup_scene

PLAYER_SPEAKER = ("player", "Player")
NARRATOR_SPEAKER = ("narrator", "Narrator")
VISIBLE_SEGMENTS = (SegmentKind.DIALOGUE, SegmentKind.ACTION)


async def run_turn(setup: TurnSetup, player_input: str, emit: EmitEvent) -> TurnOutcome:
    """Play one turn, emitting each event of §4.6 as it happens (not `started`/`completed`,
    which are frames of the caller's stream).

    Returns the result, the session characters created, their timestamps and the transcript
    lines to persist. Raises TurnFailed(stage, error) and changes nothing outside itself.
    """
    turn = _Turn.begin(setup, player_input, emit)
    await emit(TurnStarted(next_turn_index=setup.snapshot.turn_index + 1, player_input=player_input))
    with _failing_at(TurnStage.RECORD_PLAYER_INPUT):
        await turn.record_player_input()
    with _failing_at(TurnStage.KEEPER_AFTER_PLAYER_INPUT):
        first_keeper = await turn.keep_after_player_input()
    with _failing_at(TurnStage.DIRECTOR):
        director = await turn.direct()
        for action in director.response_plan.role_actions:
            await turn.apply_role_action(action)
    beats: list[ExecutedBeat] = []
    for index, beat in enumerate(director.response_plan.beats):
        with _failing_at(_stage_of(beat)):
            beats.append(await turn.perform_beat(index, beat, director))
    with _failing_at(TurnStage.KEEPER_AFTER_TURN_OUTPUTS):
        second_keeper = await turn.keep_after_turn_outputs(director, beats)
    snapshot, lore = turn.finish_lore()
    result = EngineTurnResult(
        turn_index=snapshot.turn_index,
        player_input=player_input,
        first_keeper=first_keeper,
        director=director,
        completed_beats=beats,
        second_keeper=second_keeper,
        snapshot=snapshot,
    )
    return TurnOutcome(
        result=result,
        new_session_characters=list(turn.new_characters),
        transcript=transcript_lines(player_input, beats),
        created_at_ms=dict(turn.created_at_ms),
        lore=lore,
    )


def transcript_lines(player_input: str, beats: Sequence[ExecutedBeat]) -> list[TranscriptLine]:
    """The transcript of a successful turn (§7.9): the raw input, each narration trimmed, each
    dialogue and action segment trimmed; blank texts and thoughts are never written."""
    lines = [TranscriptLine(MessageKind.PLAYER_INPUT, *PLAYER_SPEAKER, player_input)]
    for beat in beats:
        if isinstance(beat, ExecutedNarratorBeat):
            text = beat.response.text.strip()
            if text:
                lines.append(TranscriptLine(MessageKind.NARRATION, *NARRATOR_SPEAKER, text))
            continue
        response = beat.response
        for segment in response.segments:
            text = segment.text.strip()
            if segment.kind in VISIBLE_SEGMENTS and text:
                lines.append(
                    TranscriptLine(MessageKind(segment.kind.value), response.speaker_id, response.speaker_name, text)
                )
    return lines


@contextlib.contextmanager
def _failing_at(stage: TurnStage) -> Iterator[None]:
    """Turn any runtime error raised inside into TurnFailed at `stage`: a provider failure keeps
    its 50002, everything else becomes a BackendError (50001)."""
    try:
        yield
    except (ProviderError, BackendError) as exc:
        raise TurnFailed(stage, exc) from exc
    except DramaturgError as exc:
        raise TurnFailed(stage, BackendError(exc.message)) from exc


def _stage_of(beat: ResponseBeat) -> TurnStage:
    return TurnStage.NARRATOR if isinstance(beat, NarratorBeat) else TurnStage.ACTOR


@attrs.define
class _Turn:
    """The state of one turn while it runs. Owned by one `run_turn` call and never shared: what
    leaves it are frozen snapshots and records."""

    setup: TurnSetup
    player_input: str
    emit: EmitEvent
    windows: HistoryWindows
    world: WorldState
    turn_index: int
    cast: dict[str, CastMember]
    new_characters: list[CreateAndEnter] = attrs.field(factory=list)
    created_at_ms: dict[str, int] = attrs.field(factory=dict)
    lore_log: ActivationLog = attrs.field(factory=ActivationLog)

    @classmethod
    def begin(cls, setup: TurnSetup, player_input: str, emit: EmitEvent) -> _Turn:
        return cls(
            setup=setup,
            player_input=player_input,
            emit=emit,
            windows=HistoryWindows.of(setup.agents),
            world=setup.snapshot.world_state,
            turn_index=setup.snapshot.turn_index,
            cast={**setup.story_cast, **setup.session_cast},
        )

    # -- views ----------------------------------------------------------------------------

    def snapshot(self) -> RuntimeSnapshot:
        return attrs.evolve(self.setup.snapshot, turn_index=self.turn_index, world_state=self.world)

    def scene(self) -> Scene:
        return setup_scene(
            self.setup, world=self.world, cast=self.cast, player_input=self.player_input, lore_log=self.lore_log
        )

    def finish_lore(self) -> tuple[RuntimeSnapshot, TurnLore | None]:
        """The final snapshot, its lore timers advanced past this turn, and what the lore did
        (None when the story has no lorebook)."""
        lore = self.setup.lore_entries
        moment = LoreMoment.of_next_turn(self.setup.snapshot, self.setup.lore_seed)
        summary = summarize_turn(self.lore_log, moment)
        timers = advance_timers(lore, moment, summary.fired)
        return attrs.evolve(self.snapshot(), lore_timers=timers), (summary if lore.books else None)

    def config(self, agent: Agent) -> AgentConfig:
        return agent_config(self.setup, agent)

    def client(self, agent: Agent) -> ChatClient:
        return agent_client(self.setup, agent)

    # -- stages ---------------------------------------------------------------------------

    async def record_player_input(self) -> None:
        entry = ActorMemoryEntry(*PLAYER_SPEAKER, MemoryKind.PLAYER_INPUT, self.player_input)
        self.world = append_shared_history(self.world, entry, self.windows.storage)
        await self.emit(PlayerInputRecorded(entry=entry, snapshot=self.snapshot()))

    async def keep_after_player_input(self) -> KeeperOutcome:
        phase = KeeperPhase.AFTER_PLAYER_INPUT
        scene = self.scene()
        context = keeper_context(scene, phase, previous=None, transitioned=False, completed_beats=None)
        answer = await update_state(self.client(Agent.KEEPER), self.config(Agent.KEEPER), scene, context)
        applied = self._apply_keeper_update(answer.value)
        self.turn_index += 1
        await self.emit(KeeperApplied(phase=phase, update=applied, snapshot=self.snapshot()))
        return KeeperOutcome(update=applied, output=answer.response)

    async def direct(self) -> DirectorResult:
        """The deterministic transition (R3, one hop), then the Director's plan."""
        scene = self.scene()
        previous = scene.current_node
        transition = select_transition(previous, self.world)
        transitioned = transition is not None and transition.to != previous.id
        if transition is not None and transitioned:
            self.world = enter_node(self.world, scene.node(transition.to))
        client, config = self.client(Agent.DIRECTOR), self.config(Agent.DIRECTOR)
        answer = await plan_response(client, config, self.scene(), transitioned=transitioned)
        result = DirectorResult(
            previous_node_id=previous.id,
            current_node_id=self.world.current_node,
            transitioned=transitioned,
            response_plan=answer.value,
        )
        await self.emit(DirectorCompleted(result=result, snapshot=self.snapshot()))
        return result

    async def apply_role_action(self, action: SessionCharacterAction) -> None:
        if isinstance(action, CreateAndEnter):
            await self._create_and_enter(action)
        elif isinstance(action, LeaveScene):
            await self._leave_scene(action)

    async def perform_beat(self, index: int, beat: ResponseBeat, director: DirectorResult) -> ExecutedBeat:
        if isinstance(beat, NarratorBeat):
            return await self._narrate(index, beat, director)
        return await self._act(index, beat)

    async def keep_after_turn_outputs(self, director: DirectorResult, beats: list[ExecutedBeat]) -> KeeperOutcome:
        phase = KeeperPhase.AFTER_TURN_OUTPUTS
        scene = self.scene()
        previous = scene.node(director.previous_node_id)
        context = keeper_context(
            scene, phase, previous=previous, transitioned=director.transitioned, completed_beats=beats
        )
        answer = await update_state(self.client(Agent.KEEPER), self.config(Agent.KEEPER), scene, context)
        update = answer.value
        if director.transitioned:
            fallback = progression_fallback_ops(previous, director.current_node_id, update)
            # Restated only when the condition names a declared variable with a fitting value.
            fallback_update, _ = keep_declared_values(StateUpdate(ops=fallback), scene.declared_fields())
            update = StateUpdate(ops=[*update.ops, *fallback_update.ops])
        applied = self._apply_keeper_update(update)
        await self.emit(KeeperApplied(phase=phase, update=applied, snapshot=self.snapshot()))
        return KeeperOutcome(update=applied, output=answer.response)

    # -- pieces ---------------------------------------------------------------------------

    def _apply_keeper_update(self, update: StateUpdate) -> StateUpdate:
        """Drop the ops naming characters outside the cast (R7), apply the rest, return them."""
        applied = filter_keeper_update(update, self.cast.keys())
        self.world = apply_state_update(self.world, applied)
        return applied

    async def _create_and_enter(self, action: CreateAndEnter) -> None:
        character_id = action.session_character_id
        if character_id in self.setup.story_cast:
            raise BackendError(f"session character id '{character_id}' conflicts with a story character")
        is_new = character_id not in self.cast
        # A known session character is re-entered with its card refreshed for this turn only.
        self.cast[character_id] = CastMember(
            character_id=character_id,
            name=action.display_name,
            personality=action.personality,
            style=action.style,
            system_prompt=action.system_prompt,
        )
        self.world = apply_state_op(self.world, AddActiveCharacter(character_id))
        if is_new:
            now_ms = self.setup.clock.now_ms()
            self.new_characters.append(action)
            self.created_at_ms[character_id] = now_ms
            created = SessionCharacter(
                session_character_id=character_id,
                display_name=action.display_name,
                personality=action.personality,
                style=action.style,
                system_prompt=action.system_prompt,
                in_scene=True,
                created_at_ms=now_ms,
                updated_at_ms=now_ms,
            )
            await self.emit(SessionCharacterCreated(session_character=created, snapshot=self.snapshot()))
        await self.emit(SessionCharacterEnteredScene(session_character_id=character_id, snapshot=self.snapshot()))

    async def _leave_scene(self, action: LeaveScene) -> None:
        character_id = action.session_character_id
        if character_id not in self.world.active_characters:
            return
        self.world = apply_state_op(self.world, RemoveActiveCharacter(character_id))
        await self.emit(SessionCharacterLeftScene(session_character_id=character_id, snapshot=self.snapshot()))

    async def _narrate(self, index: int, beat: NarratorBeat, director: DirectorResult) -> ExecutedNarratorBeat:
        purpose = beat.purpose
        scene = self.scene()
        previous: NarrativeNode | None = None
        if purpose is NarratorPurpose.DESCRIBE_TRANSITION:
            previous = scene.node(director.previous_node_id)
        request = narrator_request(self.config(Agent.NARRATOR), scene, purpose, previous=previous)
        await self.emit(NarratorStarted(beat_index=index, purpose=purpose))

        async def on_delta(delta: str) -> None:
            await self.emit(NarratorTextDelta(beat_index=index, purpose=purpose, delta=delta))

        response = await narrate(self.client(Agent.NARRATOR), request, on_delta)
        await self.emit(NarratorCompleted(beat_index=index, purpose=purpose, response=response))
        text = response.text.strip()
        if text:
            entry = ActorMemoryEntry(*NARRATOR_SPEAKER, MemoryKind.NARRATION, text)
            self.world = append_shared_history(self.world, entry, self.windows.storage)
        return ExecutedNarratorBeat(purpose=purpose, response=response)

    async def _act(self, index: int, beat: ActorBeat) -> ExecutedActorBeat:
        speaker_id = beat.speaker_id
        member = self.cast.get(speaker_id)
        if member is None or speaker_id not in self.world.active_characters:
            raise BackendError(
                f"actor beat references invalid speaker_id '{speaker_id}' for node '{self.world.current_node}'"
            )
        request = actor_request(self.config(Agent.ACTOR), self.scene(), member, beat.purpose)
        await self.emit(ActorStarted(beat_index=index, speaker_id=speaker_id, purpose=beat.purpose))

        async def on_event(event: ActorOutputEvent) -> None:
            await self.emit(_actor_stream_event(index, speaker_id, event))

        response = await perform(self.client(Agent.ACTOR), request, member, on_event)
        await self.emit(
            ActorCompleted(beat_index=index, speaker_id=speaker_id, purpose=beat.purpose, response=response)
        )
        for segment in response.segments:
            entry = ActorMemoryEntry(speaker_id, member.name, MemoryKind(segment.kind.value), segment.text.strip())
            if segment.kind is SegmentKind.THOUGHT:
                self.world = append_private_memory(self.world, speaker_id, entry, self.windows.actor_private)
            else:
                self.world = append_shared_history(self.world, entry, self.windows.storage)
        return ExecutedActorBeat(speaker_id=speaker_id, purpose=beat.purpose, response=response)


def _actor_stream_event(index: int, speaker_id: str, event: ActorOutputEvent) -> StreamEvent:
    if isinstance(event, ThoughtDelta):
        return ActorThoughtDelta(beat_index=index, speaker_id=speaker_id, delta=event.text)
    if isinstance(event, DialogueDelta):
        return ActorDialogueDelta(beat_index=index, speaker_id=speaker_id, delta=event.text)
    assert isinstance(event, ActionComplete)
    return ActorActionComplete(beat_index=index, speaker_id=speaker_id, text=event.text)
