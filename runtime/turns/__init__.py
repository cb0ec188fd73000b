"""The turn engine: one `session.run_turn` from player input to committed outcome (PROTOCOL §8)."""

from runtime.turns._contract import EmitEvent as EmitEvent
from runtime.turns._contract import RunTurn as RunTurn
from runtime.turns._contract import TranscriptLine as TranscriptLine
from runtime.turns._contract import TurnFailed as TurnFailed
from runtime.turns._contract import TurnOutcome as TurnOutcome
from runtime.turns._contract import TurnSetup as TurnSetup
