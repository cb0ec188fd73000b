"""The `Scene` of a session as its `TurnSetup` describes it, and the agent settings it carries."""

from __future__ import annotations

from collections.abc import Mapping

from runtime.agents.scene import HistoryWindows, Scene
from runtime.errors import BackendError
from runtime.llm import ChatClient
from runtime.lore import ActivationLog, LoreMoment
from runtime.model.apis import Agent
from runtime.model.cast import CastMember
from runtime.model.presets import AgentConfig
from runtime.model.state import WorldState
from runtime.turns._contract import TurnSetup


def setup_scene(
    setup: TurnSetup,
    *,
    world: WorldState | None = None,
    cast: Mapping[str, CastMember] | None = None,
    player_input: str | None = None,
    lore_log: ActivationLog | None = None,
) -> Scene:
    """The scene of `setup` (its snapshot's state and its whole cast), or of the given state and
    cast. Its lore is activated at the moment of the turn after the snapshot, with the setup's
    seed, and logged in `lore_log` when given."""
    return Scene(
        graph=setup.graph,
        world=setup.snapshot.world_state if world is None else world,
        cast={**setup.story_cast, **setup.session_cast} if cast is None else dict(cast),
        player_name=setup.player_name,
        player_description=setup.snapshot.player_description,
        player_fields=setup.player_fields,
        lore_entries=setup.lore_entries,
        windows=HistoryWindows.of(setup.agents),
        player_input=player_input,
        lore_moment=LoreMoment.of_next_turn(setup.snapshot, setup.lore_seed, lore_log),
        world_fields=setup.world_fields,
        story_cast_ids=frozenset(setup.story_cast),
    )


def agent_config(setup: TurnSetup, agent: Agent) -> AgentConfig:
    """The agent's expanded preset config. Raises BackendError when the setup has none."""
    config = setup.agents.get(agent.value)
    if config is None:
        raise BackendError(f"no prompt configuration for agent '{agent.value}'")
    return config


def agent_client(setup: TurnSetup, agent: Agent) -> ChatClient:
    """The agent's chat client. Raises BackendError when the setup has none."""
    client = setup.clients.get(agent.value)
    if client is None:
        raise BackendError(f"no llm client for agent '{agent.value}'")
    return client
