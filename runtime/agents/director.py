"""The Director: plans each turn's role actions and beats as a ResponsePlan (PROTOCOL §8.2 step 4, §9.2, §10.4).

The deterministic transition happens before the Director is asked; it only sees the
(possibly new) current node, and the player's input as the last shared-history entry.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import attrs

from runtime import prompt_context as render
from runtime.agents._json_agent import Decoded, JsonAnswer, JsonCallPlan, call_json_agent
from runtime.agents._output_schemas import director_schema
from runtime.agents.scene import ContextValues, Scene, agent_request, common_values
from runtime.codec import CODEC
from runtime.llm import ChatClient, ChatRequest
from runtime.model.apis import Agent
from runtime.model.chat import OutputSchema
from runtime.model.presets import AgentConfig
from runtime.model.turns import CreateAndEnter, ResponsePlan
from runtime.presets import RepairTarget


def director_context(scene: Scene, *, transitioned: bool) -> ContextValues:
    """The Director's context values: the scene, the full world state and its history window."""
    return {
        **common_values(scene, scene.turn_lore_inputs()),
        "world_state": render.world_state(scene.world),
        "shared_history": render.memory_lines(scene.world.actor_shared_history, scene.windows.director),
        "transitioned_this_turn": "true" if transitioned else "false",
    }


def director_request(config: AgentConfig, scene: Scene, *, transitioned: bool) -> ChatRequest:
    return agent_request(Agent.DIRECTOR, config, director_context(scene, transitioned=transitioned))


def decode_response_plan(value: dict[str, Any], story_cast_ids: Collection[str] = ()) -> Decoded[ResponsePlan]:
    """The plan in the Director's JSON; a missing list is `[]`. Raises InvalidParams for any
    other shape, an unknown beat type or role action included, and for an unknown purpose.

    A `create_and_enter` that names a story character is dropped with a warning (§8.2 step 5
    failed the turn): that character exists already, and is brought in by the story, not as a
    session character."""
    plan = CODEC.structure(value, ResponsePlan, path="output")
    story = frozenset(story_cast_ids)
    kept = [
        action
        for action in plan.role_actions
        if not (isinstance(action, CreateAndEnter) and action.session_character_id in story)
    ]
    warnings = tuple(
        f"dropped create_and_enter of '{action.session_character_id}': a story character"
        for action in plan.role_actions
        if action not in kept
    )
    return Decoded(attrs.evolve(plan, role_actions=kept), warnings)


def response_plan_schema(scene: Scene) -> OutputSchema:
    """Actor beats for the characters present only."""
    return OutputSchema(RepairTarget.RESPONSE_PLAN.value, director_schema(scene.speakers()))


async def plan_response(
    client: ChatClient, config: AgentConfig, scene: Scene, *, transitioned: bool
) -> JsonAnswer[ResponsePlan]:
    """Ask for the plan, with one repair call (target `response_plan`). Raises ProviderError (50002)."""
    request = director_request(config, scene, transitioned=transitioned)
    plan = JsonCallPlan(RepairTarget.RESPONSE_PLAN, response_plan_schema(scene))
    return await call_json_agent(client, request, lambda value: decode_response_plan(value, scene.story_cast_ids), plan)
