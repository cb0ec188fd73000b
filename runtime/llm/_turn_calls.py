"""Counting the LLM calls of running turns, for their turn records.

`TurnCallCounter` stands in front of the process's call recorder: every call passes on to it
unchanged, and a call of a turn being watched is counted first. It counts exactly the calls
that become `llm_calls` rows, in whatever way the agents make them (retries and repairs are
calls of their own). A session runs one turn at a time (R5), so the session id and the turn
index name a running turn; reply suggestions share them and are told apart by their agent.
"""

from __future__ import annotations

from runtime.llm._telemetry import CallRecorder
from runtime.model.apis import Agent
from runtime.model.llm_calls import LlmCall

NOT_TURN_AGENTS = frozenset({Agent.REPLYER, Agent.PLANNER, Agent.ARCHITECT})


class TurnCallCounter:
    """A CallRecorder that counts the calls of watched turns and passes every call on."""

    def __init__(self, recorder: CallRecorder | None = None) -> None:
        self._recorder = recorder
        self._counts: dict[tuple[str, int], int] = {}

    async def record(self, call: LlmCall) -> None:
        self._count(call)
        if self._recorder is not None:
            await self._recorder.record(call)

    def _count(self, call: LlmCall) -> None:
        if call.session_id is None or call.turn_index is None or call.agent in NOT_TURN_AGENTS:
            return
        key = (call.session_id, call.turn_index)
        if key in self._counts:
            self._counts[key] += 1

    def watch(self, session_id: str, turn_index: int) -> None:
        """Start counting the calls of this turn (from zero)."""
        self._counts[session_id, turn_index] = 0

    def take(self, session_id: str, turn_index: int) -> int:
        """Stop counting this turn; the number of its calls recorded since `watch`."""
        return self._counts.pop((session_id, turn_index), 0)
