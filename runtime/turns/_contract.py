"""What a turn needs, what it gives back, and how it fails.

The session layer builds a `TurnSetup` (everything loaded and resolved before the `ack`,
PROTOCOL §8.1), calls `run_turn`, and persists the `TurnOutcome` in one transaction. The
turn itself never touches the store: a failed turn leaves nothing to undo (R4).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from runtime.clock import Clock, SystemClock
from runtime.errors import DramaturgError
from runtime.lore import StoryLore, TurnLore, story_lore
from runtime.model.cast import CastMember
from runtime.model.graph import StoryGraph
from runtime.model.schemas import StateFieldSchema
from runtime.model.sessions import MessageKind
from runtime.model.state import RuntimeSnapshot
from runtime.model.turns import CreateAndEnter, EngineTurnResult, StreamEvent, TurnStage

EmitEvent = Callable[[StreamEvent], Awaitable[None]]
"""Where the turn sends its events as they happen. It must not raise when the client is gone."""


@attrs.frozen
class TurnSetup:
    """Everything a turn reads, resolved before it starts.

    `agents` maps an agent name (`director`, `actor`, `narrator`, `keeper`; `replyer` for reply
    suggestions) to its expanded preset agent config; `clients` maps the same names to ready
    chat clients. `lore_entries` is the story's lore, compiled (plain entries are compiled as
    one lorebook without settings). `clock` stamps the session characters created during the
    turn (`session_character_created`). `lore_seed` seeds the lore's random draws
    (probability, inclusion groups) for every prompt of the turn; it is recorded with the turn.
    """

    session_id: str
    snapshot: RuntimeSnapshot
    graph: StoryGraph
    story_cast: Mapping[str, CastMember]
    session_cast: Mapping[str, CastMember]
    player_name: str
    world_fields: Mapping[str, StateFieldSchema]
    player_fields: Mapping[str, StateFieldSchema]
    lore_entries: StoryLore = attrs.field(converter=story_lore)
    agents: Mapping[str, Any]
    clients: Mapping[str, Any]
    call_tags: Any = None
    clock: Clock = attrs.field(factory=SystemClock)
    lore_seed: int = 0


@attrs.frozen
class TranscriptLine:
    """A transcript message to append after a successful turn (§7.9); ids and sequence come later."""

    kind: MessageKind
    speaker_id: str
    speaker_name: str
    text: str


@attrs.frozen
class TurnOutcome:
    """`created_at_ms` maps each new session character's id to the time the turn stamped it with
    (what `session_character_created` carried), for persisting the same timestamps. `lore` is
    what the story's lorebooks did in the turn (None when the story has none)."""

    result: EngineTurnResult
    new_session_characters: list[CreateAndEnter]
    transcript: list[TranscriptLine]
    created_at_ms: Mapping[str, int] = attrs.field(factory=dict)
    lore: TurnLore | None = None


class TurnFailed(Exception):
    """The turn stopped at `stage`; `error` carries the code (50001 or 50002) and the detail."""

    def __init__(self, stage: TurnStage, error: DramaturgError) -> None:
        super().__init__(f"turn failed during {stage.value}: {error.message}")
        self.stage = stage
        self.error = error

    @property
    def code(self) -> int:
        return self.error.code

    @property
    def message(self) -> str:
        return f"turn failed during {self.stage.value}: {self.error.message}"


RunTurn = Callable[[TurnSetup, str, EmitEvent], Awaitable[TurnOutcome]]
