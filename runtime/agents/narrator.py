"""The Narrator: streams plain narration for one beat (PROTOCOL §8.2 step 6, §9.4, §10.6).

Every non-empty provider delta is handed on as soon as it arrives; the whole text must not
be blank. The previous node is shown only for `DescribeTransition` beats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from runtime import prompt_context as render
from runtime.agents._narrator_output import require_narration
from runtime.agents.scene import ContextValues, Scene, agent_request, common_values, previous_values
from runtime.llm import ChatClient, ChatRequest
from runtime.model.apis import Agent
from runtime.model.graph import NarrativeNode
from runtime.model.presets import AgentConfig
from runtime.model.turns import NarratorPurpose, NarratorResponse

OnNarration = Callable[[str], Awaitable[None]]
"""Receives each non-empty delta of the narration, in order."""


def narrator_context(scene: Scene, purpose: NarratorPurpose, *, previous: NarrativeNode | None) -> ContextValues:
    """The Narrator's context values; `previous` is None unless the beat describes a transition."""
    return {
        **common_values(scene, scene.turn_lore_inputs()),
        **previous_values(scene, previous),
        "narrator_purpose": render.purpose(purpose.value),
        "world_state": render.world_state(scene.world),
        "shared_history": render.memory_lines(scene.world.actor_shared_history, scene.windows.narrator),
    }


def narrator_request(
    config: AgentConfig, scene: Scene, purpose: NarratorPurpose, *, previous: NarrativeNode | None
) -> ChatRequest:
    return agent_request(Agent.NARRATOR, config, narrator_context(scene, purpose, previous=previous))


async def narrate(client: ChatClient, request: ChatRequest, on_delta: OnNarration) -> NarratorResponse:
    """Stream the narration, handing on each non-empty delta. `text` and `raw_output` are the
    untrimmed concatenation.

    Raises ProviderError when the provider fails, and NarratorOutputError (50001) when the
    whole text is blank.
    """
    parts: list[str] = []
    async with client.stream(request) as stream:
        async for delta in stream:
            if not delta:
                continue
            parts.append(delta)
            await on_delta(delta)
    text = require_narration("".join(parts))
    return NarratorResponse(text=text, raw_output=text)
