"""A small story, a session state and real chat clients on the LLM stub, for the turn engine's tests.

Every agent gets its own api whose model is the agent's name, so the stub is scripted per
agent: `await rig.script(Agent.KEEPER, {"text": ...})`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from runtime.codec import CODEC
from runtime.llm import LlmHttp, LlmSettings, open_llm_http
from runtime.model.apis import Agent, ApiRecord, Provider
from runtime.model.cast import CastMember
from runtime.model.graph import StoryGraph
from runtime.model.lorebooks import LorebookEntry
from runtime.model.presets import AgentConfig, AgentSpec
from runtime.model.schemas import StateFieldSchema, ValueType
from runtime.model.state import RuntimeSnapshot, WorldState
from runtime.model.turns import StreamEvent
from runtime.presets import normalize_agent
from runtime.turns import TurnSetup
from tests.support.llm_stub import RunningStub

FAST = LlmSettings(timeout_s=10.0, max_retries=2, backoff_base_s=0.0)
NOW_MS = 1_700_000_000_000
TURN_AGENTS = (Agent.DIRECTOR, Agent.ACTOR, Agent.NARRATOR, Agent.KEEPER, Agent.REPLYER)

GRAPH = CODEC.structure(
    {
        "start_node": "dock",
        "nodes": [
            {
                "id": "dock",
                "title": "Flooded Dock",
                "scene": "Water laps at the planks.",
                "goal": "Reach the gate",
                "characters": ["merchant"],
                "transitions": [
                    {"to": "market", "condition": {"scope": "global", "key": "gate_open", "op": "eq", "value": True}},
                    {
                        "to": "alley",
                        "condition": {
                            "scope": "character",
                            "character": "merchant",
                            "key": "trust",
                            "op": "gte",
                            "value": 3,
                        },
                    },
                ],
            },
            {
                "id": "market",
                "title": "Night Market",
                "scene": "Lanterns sway.",
                "goal": "Find the smuggler",
                "characters": ["merchant", "guard"],
                "transitions": [{"to": "market", "condition": None}],
                "on_enter_updates": [{"type": "SetState", "key": "current_event", "value": "market_day"}],
            },
            {
                "id": "alley",
                "title": "Back Alley",
                "scene": "A narrow passage.",
                "goal": "Escape",
                "characters": ["guard"],
                "transitions": [],
            },
        ],
    },
    StoryGraph,
)

STORY_CAST = {
    "merchant": CastMember(
        character_id="merchant",
        name="Old Merchant",
        personality="Greedy but fair; trusts {{user}} at level {{trust}}.",
        style="Speaks in short sentences.",
        system_prompt="Never reveal the {{secret}} to {{user}}.",
        schema_fields={
            "trust": StateFieldSchema(ValueType.INT, default=0, description="How much he trusts"),
            "mood": StateFieldSchema(ValueType.STRING),
        },
    ),
    "guard": CastMember("guard", "Gate Guard", "Stern.", "Formal.", "Guard the gate."),
}

PLAYER_FIELDS = {"coins": StateFieldSchema(ValueType.INT, default=5)}
WORLD_FIELDS = {
    "gate_open": StateFieldSchema(ValueType.BOOL, default=False),
    "noise": StateFieldSchema(ValueType.INT),
    "weather": StateFieldSchema(ValueType.STRING, enum_values=["dry", "rain"]),
    "x": StateFieldSchema(ValueType.INT),
    "current_event": StateFieldSchema(ValueType.STRING),
}

LORE = [
    LorebookEntry("harbor", "The Harbor", "The old harbor floods every spring.", [], True, True),
    LorebookEntry("gate", "The Gate", "The gate opens at dusk.", ["gate"], True, False),
    LorebookEntry("dragon", "Dragons", "There are no dragons.", ["dragon"], True, False),
]


def default_configs(**changes: Any) -> dict[str, AgentConfig]:
    """The expanded default config of each session agent; `changes` are AgentSpec fields per agent name."""
    return {agent.value: normalize_agent(agent, AgentSpec(**changes.get(agent.value, {}))) for agent in TURN_AGENTS}


def start_snapshot(**world: Any) -> RuntimeSnapshot:
    fields: dict[str, Any] = {"current_node": "dock", "active_characters": ["merchant"], **world}
    return RuntimeSnapshot(
        story_id="story-1", player_description="A cautious courier.", turn_index=0, world_state=WorldState(**fields)
    )


def make_setup(snapshot: RuntimeSnapshot | None = None, **changes: Any) -> TurnSetup:
    """A TurnSetup of the small story at its start; without clients unless given."""
    fields: dict[str, Any] = {
        "session_id": "session-1",
        "snapshot": snapshot or start_snapshot(),
        "graph": GRAPH,
        "story_cast": STORY_CAST,
        "session_cast": {},
        "player_name": "Mira",
        "world_fields": WORLD_FIELDS,
        "player_fields": PLAYER_FIELDS,
        "lore_entries": LORE,
        "agents": default_configs(),
        "clients": {},
        "clock": FixedClock(),
        **changes,
    }
    return TurnSetup(**fields)


@attrs.frozen
class FixedClock:
    now: int = NOW_MS

    def now_ms(self) -> int:
        return self.now


@attrs.frozen
class TurnRig:
    llm: LlmHttp
    stub: RunningStub

    def api(self, agent: Agent, provider: Provider = Provider.OPEN_AI) -> ApiRecord:
        base = self.stub.openai_base_url if provider is Provider.OPEN_AI else self.stub.anthropic_base_url
        return ApiRecord(agent.value, agent.value, provider, base, agent.value, "sk-test-key")

    def setup(self, snapshot: RuntimeSnapshot | None = None, **changes: Any) -> TurnSetup:
        clients = {agent.value: self.llm.client_for(self.api(agent)) for agent in TURN_AGENTS}
        return make_setup(snapshot, **{"clients": clients, **changes})

    async def script(self, agent: Agent, *steps: dict[str, Any]) -> None:
        await self.stub.control.script(*steps, model=agent.value)

    async def script_json(self, agent: Agent, *values: Any) -> None:
        await self.script(agent, *({"text": json.dumps(value)} for value in values))

    async def requests(self, agent: Agent) -> list[dict[str, Any]]:
        return [r for r in await self.stub.control.requests() if r["body"].get("model") == agent.value]

    async def prompts(self, agent: Agent) -> list[tuple[str, str]]:
        """(system, user) of each request made for `agent`, in order."""
        pairs = []
        for request in await self.requests(agent):
            messages = request["body"]["messages"]
            pairs.append((messages[0]["content"], messages[1]["content"]))
        return pairs


@attrs.define
class EventLog:
    """An `emit` that keeps every event, with its wire shape."""

    events: list[StreamEvent] = attrs.field(factory=list)

    async def __call__(self, event: StreamEvent) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [CODEC.unstructure(event)["type"] for event in self.events]

    def wire(self) -> list[dict[str, Any]]:
        return [CODEC.unstructure(event) for event in self.events]

    def of_type(self, name: str) -> list[dict[str, Any]]:
        return [shape for shape in self.wire() if shape["type"] == name]


@pytest.fixture
async def turn_rig(llm_stub: RunningStub, tmp_path: Path) -> AsyncIterator[TurnRig]:
    async with open_llm_http(FAST) as llm:
        yield TurnRig(llm, llm_stub)
