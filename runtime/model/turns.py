"""What a turn plans, performs, streams and returns (PROTOCOL §4.3–§4.8, §9.2).

Casing is part of the contract (§4.4): Director beat types and purposes are PascalCase,
executed beat types lower case, role actions and event types snake_case.
"""

from __future__ import annotations

import enum
from typing import Union

import attrs

from runtime.model.chat import ChatResponse
from runtime.model.sessions import SessionCharacter
from runtime.model.state import ActorMemoryEntry, RuntimeSnapshot, StateUpdate

# -- the Director's plan -------------------------------------------------------------------


class NarratorPurpose(enum.Enum):
    DESCRIBE_TRANSITION = "DescribeTransition"
    DESCRIBE_SCENE = "DescribeScene"
    DESCRIBE_RESULT = "DescribeResult"


class ActorPurpose(enum.Enum):
    ADVANCE_GOAL = "AdvanceGoal"
    REACT_TO_PLAYER = "ReactToPlayer"
    COMMENT_ON_SCENE = "CommentOnScene"


@attrs.frozen
class NarratorBeat:
    purpose: NarratorPurpose


@attrs.frozen
class ActorBeat:
    speaker_id: str
    purpose: ActorPurpose


ResponseBeat = Union[NarratorBeat, ActorBeat]
RESPONSE_BEAT_TAGS: dict[str, type] = {"Narrator": NarratorBeat, "Actor": ActorBeat}


@attrs.frozen
class CreateAndEnter:
    session_character_id: str
    display_name: str
    personality: str
    style: str
    system_prompt: str


@attrs.frozen
class LeaveScene:
    session_character_id: str


SessionCharacterAction = Union[CreateAndEnter, LeaveScene]
ROLE_ACTION_TAGS: dict[str, type] = {"create_and_enter": CreateAndEnter, "leave_scene": LeaveScene}


@attrs.frozen
class ResponsePlan:
    role_actions: list[SessionCharacterAction] = attrs.field(factory=list)
    beats: list[ResponseBeat] = attrs.field(factory=list)


@attrs.frozen
class DirectorResult:
    previous_node_id: str
    current_node_id: str
    transitioned: bool
    response_plan: ResponsePlan


# -- performances --------------------------------------------------------------------------


class SegmentKind(enum.Enum):
    THOUGHT = "thought"
    ACTION = "action"
    DIALOGUE = "dialogue"


@attrs.frozen
class ActorSegment:
    kind: SegmentKind
    text: str


@attrs.frozen
class ActorResponse:
    speaker_id: str
    speaker_name: str
    segments: list[ActorSegment]
    raw_output: str


@attrs.frozen
class NarratorResponse:
    text: str
    raw_output: str


@attrs.frozen
class ExecutedNarratorBeat:
    purpose: NarratorPurpose
    response: NarratorResponse


@attrs.frozen
class ExecutedActorBeat:
    speaker_id: str
    purpose: ActorPurpose
    response: ActorResponse


ExecutedBeat = Union[ExecutedNarratorBeat, ExecutedActorBeat]
EXECUTED_BEAT_TAGS: dict[str, type] = {"narrator": ExecutedNarratorBeat, "actor": ExecutedActorBeat}


@attrs.frozen
class KeeperOutcome:
    update: StateUpdate
    output: ChatResponse


@attrs.frozen
class EngineTurnResult:
    turn_index: int
    player_input: str
    first_keeper: KeeperOutcome
    director: DirectorResult
    completed_beats: list[ExecutedBeat]
    second_keeper: KeeperOutcome
    snapshot: RuntimeSnapshot


# -- stream events (StreamEventBody, §4.5) -------------------------------------------------


class KeeperPhase(enum.Enum):
    AFTER_PLAYER_INPUT = "after_player_input"
    AFTER_TURN_OUTPUTS = "after_turn_outputs"


@attrs.frozen
class TurnStarted:
    next_turn_index: int
    player_input: str


@attrs.frozen
class PlayerInputRecorded:
    entry: ActorMemoryEntry
    snapshot: RuntimeSnapshot


@attrs.frozen
class KeeperApplied:
    phase: KeeperPhase
    update: StateUpdate
    snapshot: RuntimeSnapshot


@attrs.frozen
class DirectorCompleted:
    result: DirectorResult
    snapshot: RuntimeSnapshot


@attrs.frozen
class SessionCharacterCreated:
    session_character: SessionCharacter
    snapshot: RuntimeSnapshot


@attrs.frozen
class SessionCharacterEnteredScene:
    session_character_id: str
    snapshot: RuntimeSnapshot


@attrs.frozen
class SessionCharacterLeftScene:
    session_character_id: str
    snapshot: RuntimeSnapshot


@attrs.frozen
class NarratorStarted:
    beat_index: int
    purpose: NarratorPurpose


@attrs.frozen
class NarratorTextDelta:
    beat_index: int
    purpose: NarratorPurpose
    delta: str


@attrs.frozen
class NarratorCompleted:
    beat_index: int
    purpose: NarratorPurpose
    response: NarratorResponse


@attrs.frozen
class ActorStarted:
    beat_index: int
    speaker_id: str
    purpose: ActorPurpose


@attrs.frozen
class ActorThoughtDelta:
    beat_index: int
    speaker_id: str
    delta: str


@attrs.frozen
class ActorActionComplete:
    beat_index: int
    speaker_id: str
    text: str


@attrs.frozen
class ActorDialogueDelta:
    beat_index: int
    speaker_id: str
    delta: str


@attrs.frozen
class ActorCompleted:
    beat_index: int
    speaker_id: str
    purpose: ActorPurpose
    response: ActorResponse


StreamEvent = Union[
    TurnStarted,
    PlayerInputRecorded,
    KeeperApplied,
    DirectorCompleted,
    SessionCharacterCreated,
    SessionCharacterEnteredScene,
    SessionCharacterLeftScene,
    NarratorStarted,
    NarratorTextDelta,
    NarratorCompleted,
    ActorStarted,
    ActorThoughtDelta,
    ActorActionComplete,
    ActorDialogueDelta,
    ActorCompleted,
]
STREAM_EVENT_TAGS: dict[str, type] = {
    "turn_started": TurnStarted,
    "player_input_recorded": PlayerInputRecorded,
    "keeper_applied": KeeperApplied,
    "director_completed": DirectorCompleted,
    "session_character_created": SessionCharacterCreated,
    "session_character_entered_scene": SessionCharacterEnteredScene,
    "session_character_left_scene": SessionCharacterLeftScene,
    "narrator_started": NarratorStarted,
    "narrator_text_delta": NarratorTextDelta,
    "narrator_completed": NarratorCompleted,
    "actor_started": ActorStarted,
    "actor_thought_delta": ActorThoughtDelta,
    "actor_action_complete": ActorActionComplete,
    "actor_dialogue_delta": ActorDialogueDelta,
    "actor_completed": ActorCompleted,
}


class TurnStage(enum.Enum):
    """Where a turn failed; the value is the `{Stage}` of `turn failed during {Stage}: …`."""

    RECORD_PLAYER_INPUT = "RecordPlayerInput"
    KEEPER_AFTER_PLAYER_INPUT = "KeeperAfterPlayerInput"
    DIRECTOR = "Director"
    NARRATOR = "Narrator"
    ACTOR = "Actor"
    KEEPER_AFTER_TURN_OUTPUTS = "KeeperAfterTurnOutputs"
