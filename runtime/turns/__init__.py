"""The turn engine: one `session.run_turn` from player input to committed outcome (PROTOCOL §8)."""

from runtime.turns._contract import EmitEvent as EmitEvent
from runtime.turns._contract import RunTurn as RunTurn
from runtime.turns._contract import TranscriptLine as TranscriptLine
from runtime.turns._contract import TurnFailed as TurnFailed
from runtime.turns._contract import TurnOutcome as TurnOutcome
from runtime.turns._contract import TurnSetup as TurnSetup
from runtime.turns._pipeline import run_turn as run_turn
from runtime.turns._pipeline import transcript_lines as transcript_lines
from runtime.turns._previews import session_agent_preview as session_agent_preview
from runtime.turns._previews import session_lore_activation as session_lore_activation
from runtime.turns._replies import select_reply_history as select_reply_history
from runtime.turns._replies import suggest_replies as suggest_replies
