"""The Planner: a story concept in, a free-text planning brief out (PROTOCOL §9.1, §10.2, §14.1).

One plain-text call (streamed, so that a timeout also stops the server; see `write_plan`). The context holds the concept, the lorebook sections and
the story cast in the Planner's character format (no player name). Lore is matched against
the concept and the resource's plan (§12).
"""

from __future__ import annotations

from runtime.agents.output_limits import DEFAULT_MAX_TOKENS
from runtime.agents.story_material import StoryMaterial, lore_context, present
from runtime.llm import ChatClient, ChatRequest
from runtime.model.apis import Agent
from runtime.model.presets import AgentConfig
from runtime.presets import chat_messages, compile_prompt
from runtime.prompt_context import available_characters_for_planner


def planner_context(material: StoryMaterial) -> dict[str, str | None]:
    """The Planner's context values (§11.2); None marks a value that is unavailable."""
    return {
        "story_concept": material.story_concept,
        "available_characters": available_characters_for_planner(material.cast),
        **lore_context(material, present([material.story_concept, material.planned_story])),
    }


def planner_request(config: AgentConfig, context: dict[str, str | None]) -> ChatRequest:
    """The call: the compiled system and user messages, the preset's temperature when set, and its
    `max_tokens` or else the Planner's built-in limit."""
    messages = chat_messages(compile_prompt(config, Agent.PLANNER, context))
    return ChatRequest(
        Agent.PLANNER,
        messages.system,
        messages.user,
        temperature=config.temperature,
        max_tokens=DEFAULT_MAX_TOKENS[Agent.PLANNER] if config.max_tokens is None else config.max_tokens,
    )


async def write_plan(client: ChatClient, request: ChatRequest) -> str:
    """The Planner's answer text, as the provider sent it. Raises ProviderError (50002).

    Streamed, though nothing is shown before the end: a call cut by its time limit then closes
    its connection, which stops a local server from generating on for nobody."""
    async with client.stream(request) as stream:
        async for _ in stream:
            pass
    return stream.response.message.content
