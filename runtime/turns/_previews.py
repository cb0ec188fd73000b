"""Runtime prompt previews of the session agents (PROTOCOL §6.7): the Director, Actor,
Narrator, Keeper and Replyer prompts compiled from a session's current state.

The context values are the ones a turn would use (§11), built by the same agent modules,
except that `keeper_phase` is written the preview's way (`"AfterPlayerInput"`). The payload
carries the trace of the prompt's lore activation (`lore_trace`, a Dramaturg addition). Pure; the
caller loads the session and passes the configs of the preset named by the params.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from runtime.agents.actor import actor_context
from runtime.agents.director import director_context
from runtime.agents.keeper import keeper_context
from runtime.agents.narrator import narrator_context
from runtime.agents.replyer import replyer_context
from runtime.agents.scene import ContextValues, Scene
from runtime.errors import InvalidParams
from runtime.lore import Activation, ActivationLog, activate, last_trace
from runtime.model.apis import Agent
from runtime.model.graph import NarrativeNode
from runtime.model.presets import (
    DEFAULT_REPLY_LIMIT,
    PreviewActorPurpose,
    PreviewKeeperPhase,
    PreviewKind,
    PreviewNarratorPurpose,
    PromptPreview,
    PromptPreviewParams,
)
from runtime.model.sessions import SessionMessage
from runtime.model.turns import ActorPurpose, KeeperPhase, NarratorPurpose
from runtime.presets import build_preview, check_architect_mode, compile_prompt
from runtime.turns._contract import TurnSetup
from runtime.turns._replies import select_reply_history
from runtime.turns._scene import agent_config, setup_scene

SESSION_AGENTS = frozenset({Agent.DIRECTOR, Agent.ACTOR, Agent.NARRATOR, Agent.KEEPER, Agent.REPLYER})


def invalid_preview(detail: str) -> InvalidParams:
    return InvalidParams(f"invalid prompt preview: {detail}")


def session_agent_preview(
    setup: TurnSetup, params: PromptPreviewParams, messages: Sequence[SessionMessage]
) -> PromptPreview:
    """The `preset_prompt_preview` payload (kind `runtime`) of a session agent, whole or one module.

    `setup.agents` must hold the configs of the preset `params.preset_id`; `messages` is the
    session's transcript (the Replyer's history). Raises InvalidParams (`invalid prompt
    preview: …`) for an agent that is not a session agent, an `architect_mode`, a missing or
    unknown `character_id` (Actor), a `previous_node_id` that is not a node of the graph, or a
    module that contributes nothing; NotFound for an unknown module.
    """
    agent = params.agent
    check_architect_mode(agent, params.architect_mode)
    if agent not in SESSION_AGENTS:
        raise invalid_preview(f"agent '{agent.value}' is not previewed from a session")
    lore_log = ActivationLog()
    scene = setup_scene(setup, player_input=params.player_input, lore_log=lore_log)
    previous = _previous_node(scene, params.previous_node_id)
    context = _context(agent, scene, previous, params, messages)
    config = agent_config(setup, agent)
    module_id = None if params.module_id is None else params.module_id.strip()
    preview = build_preview(
        preset_id=params.preset_id,
        config=config,
        prompt=compile_prompt(config, agent, context),
        kind=PreviewKind.RUNTIME,
        module_id=module_id,
    )
    return attrs.evolve(preview, lore_trace=last_trace(lore_log))


def session_lore_activation(setup: TurnSetup, player_input: str | None) -> Activation:
    """The lore activation the session's next turn would start with if the player wrote
    `player_input`: the turn agents' match inputs (§12), the session's timed effects, the
    setup's seed. Changes nothing."""
    scene = setup_scene(setup, player_input=player_input)
    return activate(scene.lore_entries, scene.turn_lore_inputs(), scene.lore_moment)


def _previous_node(scene: Scene, node_id: str | None) -> NarrativeNode | None:
    if node_id is None:
        return None
    found = next((node for node in scene.graph.nodes if node.id == node_id), None)
    if found is None:
        raise invalid_preview(f"previous_node_id '{node_id}' is not a node of the story graph")
    return found


def _context(
    agent: Agent,
    scene: Scene,
    previous: NarrativeNode | None,
    params: PromptPreviewParams,
    messages: Sequence[SessionMessage],
) -> ContextValues:
    if agent is Agent.DIRECTOR:
        return director_context(scene, transitioned=_moved(scene, previous))
    if agent is Agent.ACTOR:
        return _actor_context(scene, params)
    if agent is Agent.NARRATOR:
        return _narrator_context(scene, previous, params.narrator_purpose)
    if agent is Agent.KEEPER:
        return _keeper_context(scene, previous, params.keeper_phase)
    limit = DEFAULT_REPLY_LIMIT if params.reply_limit is None else params.reply_limit
    history = select_reply_history(messages, scene.windows.replyer)
    return replyer_context(scene, history, limit)


def _moved(scene: Scene, previous: NarrativeNode | None) -> bool:
    return previous is not None and previous.id != scene.world.current_node


def _actor_context(scene: Scene, params: PromptPreviewParams) -> ContextValues:
    character_id = (params.character_id or "").strip()
    if not character_id:
        raise invalid_preview("character_id is required for agent 'actor'")
    member = scene.cast.get(character_id)
    if member is None:
        raise invalid_preview(f"character '{character_id}' is not part of the session cast")
    purpose = ActorPurpose[(params.actor_purpose or PreviewActorPurpose.REACT_TO_PLAYER).name]
    return actor_context(scene, member, purpose)


def _narrator_context(
    scene: Scene, previous: NarrativeNode | None, chosen: PreviewNarratorPurpose | None
) -> ContextValues:
    purpose = NarratorPurpose[(chosen or PreviewNarratorPurpose.DESCRIBE_SCENE).name]
    if purpose is NarratorPurpose.DESCRIBE_TRANSITION and previous is None:
        previous = scene.current_node  # as in a turn that did not move
    return narrator_context(scene, purpose, previous=previous)


def _keeper_context(scene: Scene, previous: NarrativeNode | None, chosen: PreviewKeeperPhase | None) -> ContextValues:
    phase = KeeperPhase[(chosen or PreviewKeeperPhase.AFTER_PLAYER_INPUT).name]
    if phase is KeeperPhase.AFTER_TURN_OUTPUTS and previous is None:
        previous = scene.current_node  # as in a turn that did not move
    return keeper_context(
        scene, phase, previous=previous, transitioned=_moved(scene, previous), completed_beats=None, preview=True
    )
