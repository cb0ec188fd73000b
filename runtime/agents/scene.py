"""What the turn agents' prompts are built from, and the pieces they share (PROTOCOL §8, §11, §12).

A `Scene` is the story, the live state and the cast at one moment of a turn (or of a
preview). `HistoryWindows` are the history limits of §11.3. The context values every turn
agent renders the same way (player, cast, node, player schema, lorebook) and the chat
request built from a compiled prompt live here too. Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

from runtime import prompt_context as render
from runtime.agents.output_limits import DEFAULT_MAX_TOKENS
from runtime.errors import BackendError
from runtime.lore import LoreMoment, LoreScan, StoryLore, render_lore_entries, select_lore, story_lore
from runtime.model.apis import Agent
from runtime.model.cast import CastMember
from runtime.model.chat import ChatRequest
from runtime.model.graph import NarrativeNode, StoryGraph
from runtime.model.presets import AgentConfig
from runtime.model.schemas import StateFieldSchema
from runtime.model.state import WorldState
from runtime.presets import ActorCharacterBlock, chat_messages, compile_prompt, with_character_block
from runtime.state import DeclaredFields

DEFAULT_HISTORY_LIMIT: Final = 8
"""Every history window when the preset leaves it unset (§7.6, §11.3)."""

ContextValues = dict[str, str | None]
"""Context key → rendered value; None means unavailable (the entry is dropped, §11.1)."""


@attrs.frozen
class HistoryWindows:
    """How much history each agent sees (§11.3), and how much the state keeps (§7.6)."""

    director: int = DEFAULT_HISTORY_LIMIT
    actor: int = DEFAULT_HISTORY_LIMIT
    actor_private: int = DEFAULT_HISTORY_LIMIT
    narrator: int = DEFAULT_HISTORY_LIMIT
    replyer: int = DEFAULT_HISTORY_LIMIT

    @property
    def storage(self) -> int:
        """The shared-history storage limit: the largest of the three shared windows."""
        return max(self.director, self.actor, self.narrator)

    @classmethod
    def of(cls, agents: Mapping[str, AgentConfig]) -> HistoryWindows:
        """Each limit read from its own agent's config (`director_shared_history_limit` from the
        Director, …); an agent that is missing or leaves the limit unset gets the default."""

        def limit(agent: Agent, name: str) -> int:
            value = getattr(agents.get(agent.value), name, None)
            return DEFAULT_HISTORY_LIMIT if value is None else value

        return cls(
            director=limit(Agent.DIRECTOR, "director_shared_history_limit"),
            actor=limit(Agent.ACTOR, "actor_shared_history_limit"),
            actor_private=limit(Agent.ACTOR, "actor_private_memory_limit"),
            narrator=limit(Agent.NARRATOR, "narrator_shared_history_limit"),
            replyer=limit(Agent.REPLYER, "replyer_session_history_limit"),
        )


@attrs.frozen
class Scene:
    """The story, the live state and the cast at one moment.

    `cast` holds every character with a card (story cast plus session characters).
    `player_input` is None only in previews that were given none. `lore_moment` is when the
    lore is activated (the turn, its seed and timed effects) and where it is logged.
    """

    graph: StoryGraph
    world: WorldState
    cast: Mapping[str, CastMember]
    player_name: str
    player_description: str
    player_fields: Mapping[str, StateFieldSchema]
    lore_entries: StoryLore = attrs.field(converter=story_lore)
    windows: HistoryWindows
    player_input: str | None = None
    lore_moment: LoreMoment = attrs.field(factory=LoreMoment)
    world_fields: Mapping[str, StateFieldSchema] = attrs.field(factory=dict)
    story_cast_ids: frozenset[str] = frozenset()
    """The story's own characters (the rest of `cast` are session characters)."""

    def node(self, node_id: str) -> NarrativeNode:
        """The graph's node `node_id`. Raises BackendError when the graph has no such node."""
        found = next((node for node in self.graph.nodes if node.id == node_id), None)
        if found is None:
            raise BackendError(f"node '{node_id}' is not part of the story graph")
        return found

    @property
    def current_node(self) -> NarrativeNode:
        return self.node(self.world.current_node)

    def declared_fields(self) -> DeclaredFields:
        """The variables the session declares: world, player, and each story character's own."""
        characters = {
            member.character_id: member.schema_fields for member in self.cast.values() if member.schema_fields
        }
        return DeclaredFields(world=self.world_fields, player=self.player_fields, characters=characters)

    def speakers(self) -> list[str]:
        """The characters present who can speak: active, with a card."""
        return [character_id for character_id in self.world.active_characters if character_id in self.cast]

    def turn_lore_inputs(self) -> LoreScan:
        """Match inputs of the Keeper, Director, Narrator and Actor (§12): the current node's
        title, scene and goal, the last shared-history texts (storage limit; the history a
        scan depth cuts), the player input."""
        node = self.current_node
        history = self.world.actor_shared_history
        recent = history[-self.windows.storage :] if self.windows.storage > 0 else []
        return LoreScan(
            leading=(node.title, node.scene, node.goal),
            history=tuple(entry.text for entry in recent),
            trailing=(self.player_input or "",),
        )


def common_values(scene: Scene, lore_inputs: LoreScan, *, transitions_title: str = "transitions") -> ContextValues:
    """`player`, `current_cast`, `current_node`, `player_state_schema`, `lorebook_base` and
    `lorebook_matched`, rendered as every turn agent sees them (§11.2)."""
    matches = select_lore(scene.lore_entries, lore_inputs, scene.lore_moment)
    return {
        "player": render.player(scene.player_name, scene.player_description),
        "current_cast": render.cast_list(scene.world.active_characters, scene.cast, scene.player_name, scene.world),
        "current_node": render.node(scene.current_node, transitions_title=transitions_title),
        "player_state_schema": render.schema_field_items(scene.player_fields),
        "lorebook_base": render_lore_entries(matches.base),
        "lorebook_matched": render_lore_entries(matches.matched),
    }


def previous_values(
    scene: Scene, previous: NarrativeNode | None, *, transitions_title: str = "transitions"
) -> ContextValues:
    """`previous_node` and `previous_cast`; both left out (None) without a previous node."""
    if previous is None:
        return {"previous_node": None, "previous_cast": None}
    return {
        "previous_node": render.node(previous, transitions_title=transitions_title),
        "previous_cast": render.cast_list(previous.characters, scene.cast, scene.player_name, scene.world),
    }


def character_block(scene: Scene, member: CastMember) -> ActorCharacterBlock:
    """The Actor's character sections, templates expanded with the character's current state."""
    state = scene.world.character_state.get(member.character_id)

    def expanded(text: str) -> str:
        return render.expand_character_template(text, member, scene.player_name, state)

    return ActorCharacterBlock(
        character_id=member.character_id,
        character_name=member.name,
        character_personality=expanded(member.personality),
        character_style=expanded(member.style),
        character_state_schema=render.schema_field_items(member.schema_fields),
        character_system_prompt=expanded(member.system_prompt),
    )


def agent_request(
    agent: Agent, config: AgentConfig, context: Mapping[str, str | None], block: ActorCharacterBlock | None = None
) -> ChatRequest:
    """The call of one agent: its compiled system and user messages (the Actor's with its
    character block), the config's `temperature` when set, and its `max_tokens` or else the
    agent's built-in limit (§9.1, §11.1)."""
    messages = chat_messages(compile_prompt(config, agent, context))
    if block is not None:
        messages = with_character_block(messages, block)
    return ChatRequest(
        agent=agent,
        system=messages.system,
        user=messages.user,
        temperature=config.temperature,
        max_tokens=DEFAULT_MAX_TOKENS.get(agent) if config.max_tokens is None else config.max_tokens,
    )
