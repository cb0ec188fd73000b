"""The Actor: performs one character for one beat, as streamed tagged segments (PROTOCOL §8.2 step 6,
§9.3, §10.5, §11.1 step 4).

The output is parsed while it streams: thought and dialogue text is handed on as it
arrives, each action when its segment closes. Slips in the tag format are read as well as they
can be (see `_actor_output`) and recorded as the call's format warning; only an answer with no
text fails the beat, with 50001 `stream parse error: …`. Streamed agents get no repair call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from runtime import prompt_context as render
from runtime.agents._actor_output import ActorOutputError, ActorOutputEvent, ActorOutputParser
from runtime.agents.scene import ContextValues, Scene, agent_request, character_block, common_values
from runtime.errors import BackendError
from runtime.llm import ChatClient, ChatRequest
from runtime.model.apis import Agent
from runtime.model.cast import CastMember
from runtime.model.llm_calls import CallOutcome
from runtime.model.presets import AgentConfig
from runtime.model.turns import ActorPurpose, ActorResponse, ActorSegment, SegmentKind

OnPerformance = Callable[[ActorOutputEvent], Awaitable[None]]
"""Receives each thought delta, dialogue delta and completed action, in order."""


class ActorStreamError(BackendError):
    """The Actor's output broke the segment-tag contract: `stream parse error: {detail}` (50001)."""


def actor_context(scene: Scene, member: CastMember, purpose: ActorPurpose) -> ContextValues:
    """The Actor's context values: the scene, the world state without the player's variables, its
    shared-history window and the character's own recent thoughts."""
    memory = scene.world.actor_private_memory.get(member.character_id, [])
    return {
        **common_values(scene, scene.turn_lore_inputs()),
        "world_state": render.world_state(scene.world, include_player=False),
        "shared_history": render.memory_lines(scene.world.actor_shared_history, scene.windows.actor),
        "private_memory": render.memory_lines(memory, scene.windows.actor_private),
        "actor_purpose": render.purpose(purpose.value),
    }


def actor_request(config: AgentConfig, scene: Scene, member: CastMember, purpose: ActorPurpose) -> ChatRequest:
    """The Actor's call: the compiled prompt with the character block after the system message."""
    context = actor_context(scene, member, purpose)
    return agent_request(Agent.ACTOR, config, context, character_block(scene, member))


async def perform(
    client: ChatClient, request: ChatRequest, member: CastMember, on_event: OnPerformance
) -> ActorResponse:
    """Stream the performance, handing on each parser event as it happens.

    Raises ProviderError when the provider fails, and ActorStreamError (50001) when the answer
    held no text to perform.
    """
    parser = ActorOutputParser()
    async with client.stream(request) as stream:
        async for delta in stream:
            for event in parser.feed(delta):
                await on_event(event)
        for event in parser.end():
            await on_event(event)
        try:
            output = parser.finish()
        except ActorOutputError as exc:
            stream.judge(CallOutcome.INVALID_OUTPUT, exc.message)
            raise ActorStreamError(f"stream parse error: {exc.message}") from exc
        if output.warnings:
            stream.judge(CallOutcome.FORMAT_WARNING, "; ".join(output.warnings))
    return ActorResponse(
        speaker_id=member.character_id,
        speaker_name=member.name,
        segments=[ActorSegment(SegmentKind(segment.kind.value), segment.text) for segment in output.segments],
        raw_output=output.raw_output,
    )
