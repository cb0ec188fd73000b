"""The Keeper: keeps the state true to the story, twice per turn (PROTOCOL §8.2 steps 3 and 7, §9.2, §10.7).

The Keeper never sees the shared history: it judges the player input and the completed
beats against the node, its transitions and the progression hints. Its answer is a
StateUpdate; a `SetCurrentNode` op makes the answer invalid (the engine moves between nodes).
The caller filters the update (R7) and applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from runtime import prompt_context as render
from runtime.agents._json_agent import Decode, Decoded, JsonAnswer, JsonCallPlan, call_json_agent
from runtime.agents._output_schemas import keeper_schema
from runtime.agents.scene import ContextValues, Scene, agent_request, common_values, previous_values
from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.llm import ChatClient, ChatRequest
from runtime.model.apis import Agent
from runtime.model.chat import OutputSchema
from runtime.model.graph import NarrativeNode
from runtime.model.presets import AgentConfig
from runtime.model.state import SetCurrentNode, StateUpdate
from runtime.model.turns import ExecutedBeat, KeeperPhase
from runtime.presets import RepairTarget
from runtime.state import DeclaredFields, keep_declared_values

KEEPER_TRANSITIONS_TITLE: Final = "candidate_transitions"

PREVIEW_PHASE_NAMES: Final = {
    KeeperPhase.AFTER_PLAYER_INPUT: "AfterPlayerInput",
    KeeperPhase.AFTER_TURN_OUTPUTS: "AfterTurnOutputs",
}
"""How previews write the phase; turns write its wire value (a difference kept from the reference, §6.7)."""


def keeper_context(
    scene: Scene,
    phase: KeeperPhase,
    *,
    previous: NarrativeNode | None,
    transitioned: bool,
    completed_beats: Sequence[ExecutedBeat] | None,
    preview: bool = False,
) -> ContextValues:
    """The Keeper's context values. `previous` is None in the first phase; `completed_beats` is
    None when there are none to judge (the value is then left out)."""
    current = scene.current_node
    phase_name = PREVIEW_PHASE_NAMES[phase] if preview else phase.value
    return {
        **common_values(scene, scene.turn_lore_inputs(), transitions_title=KEEPER_TRANSITIONS_TITLE),
        **previous_values(scene, previous, transitions_title=KEEPER_TRANSITIONS_TITLE),
        "keeper_phase": render.purpose(phase_name),
        "node_change": render.node_change(previous, current, transitioned),
        "progression_hints": render.progression_hints(current),
        "world_state": render.world_state(scene.world),
        "player_input": scene.player_input,
        "completed_beats": None if completed_beats is None else render.completed_beats(completed_beats),
    }


def decode_state_update(value: dict[str, Any]) -> StateUpdate:
    """The update in the Keeper's JSON. Raises InvalidParams for any other shape and for a
    `SetCurrentNode` op."""
    update = CODEC.structure(value, StateUpdate, path="output")
    for index, op in enumerate(update.ops):
        if isinstance(op, SetCurrentNode):
            raise InvalidParams(f"output.ops[{index}]: SetCurrentNode is not allowed in a Keeper update")
    return update


def state_update_decoder(declared: DeclaredFields) -> Decode[StateUpdate]:
    """`decode_state_update`, then the variable ops checked against the declared fields: an op
    on an undeclared key or with a value its field does not take is dropped (a format warning),
    never stored."""

    def decode(value: dict[str, Any]) -> Decoded[StateUpdate]:
        update, dropped = keep_declared_values(decode_state_update(value), declared)
        return Decoded(update, tuple(dropped))

    return decode


def state_update_schema(scene: Scene) -> OutputSchema:
    return OutputSchema(RepairTarget.STATE_UPDATE.value, keeper_schema(scene.declared_fields(), list(scene.cast)))


def keeper_request(config: AgentConfig, context: ContextValues) -> ChatRequest:
    return agent_request(Agent.KEEPER, config, context)


async def update_state(
    client: ChatClient, config: AgentConfig, scene: Scene, context: ContextValues
) -> JsonAnswer[StateUpdate]:
    """Ask for the update, held to the session's declared variables, with one repair call
    (target `state_update`). Raises ProviderError (50002)."""
    plan = JsonCallPlan(RepairTarget.STATE_UPDATE, state_update_schema(scene))
    return await call_json_agent(
        client, keeper_request(config, context), state_update_decoder(scene.declared_fields()), plan
    )
