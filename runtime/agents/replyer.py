"""The Replyer: suggests what the player could say next (PROTOCOL §9.2, §10.8, §13).

Its answer is sanitized before use: texts trimmed, empty and duplicate texts dropped, blank
or duplicate ids replaced with `reply-{index}`, at most `limit` kept. An answer with no
usable reply is invalid output and earns the repair call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from runtime import prompt_context as render
from runtime.agents._json_agent import Decode, Decoded, JsonAnswer, JsonCallPlan, call_json_agent
from runtime.agents._output_schemas import replyer_schema
from runtime.agents.scene import ContextValues, Scene, agent_request, common_values
from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.llm import ChatClient, ChatRequest
from runtime.lore import LoreScan
from runtime.model.apis import Agent
from runtime.model.chat import OutputSchema
from runtime.model.presets import AgentConfig
from runtime.model.sessions import SessionMessage, SuggestedReplies, SuggestedReply
from runtime.presets import RepairTarget


@attrs.frozen
class ReplyItem:
    """One reply as the Replyer writes it; both fields are required."""

    id: str
    text: str


@attrs.frozen
class ReplyerOutput:
    replies: list[ReplyItem]


def replyer_context(scene: Scene, history: Sequence[SessionMessage], limit: int) -> ContextValues:
    """The Replyer's context values; lorebook matching reads the node and the history texts (§12)."""
    node = scene.current_node
    lore_inputs = LoreScan(leading=(node.title, node.scene, node.goal), history=[message.text for message in history])
    return {
        **common_values(scene, lore_inputs),
        "reply_limit": str(limit),
        "world_state": render.world_state(scene.world),
        "session_history": render.session_history(history),
    }


def replyer_request(config: AgentConfig, context: ContextValues) -> ChatRequest:
    return agent_request(Agent.REPLYER, config, context)


def sanitize_replies(items: Sequence[ReplyItem], limit: int) -> list[SuggestedReply]:
    """The usable replies, at most `limit`, in order (§13 step 4).

    A reply whose id is blank or already taken gets `reply-{index}`, index being its 1-based
    position among the usable replies.
    """
    replies: list[SuggestedReply] = []
    texts: set[str] = set()
    ids: set[str] = set()
    for item in items:
        if len(replies) >= limit:
            break
        text = item.text.strip()
        if not text or text in texts:
            continue
        reply_id = item.id.strip()
        if not reply_id or reply_id in ids:
            reply_id = f"reply-{len(replies) + 1}"
        texts.add(text)
        ids.add(reply_id)
        replies.append(SuggestedReply(reply_id=reply_id, text=text))
    return replies


def replies_decoder(limit: int) -> Decode[SuggestedReplies]:
    """Decode and sanitize the Replyer's JSON; InvalidParams when the shape is wrong or no
    reply is usable."""

    def decode(value: dict[str, Any]) -> Decoded[SuggestedReplies]:
        output = CODEC.structure(value, ReplyerOutput, path="output")
        replies = sanitize_replies(output.replies, limit)
        if not replies:
            raise InvalidParams("output.replies: no usable reply (every text was empty or a duplicate)")
        return Decoded(SuggestedReplies(replies=replies))

    return decode


def replies_schema(limit: int) -> OutputSchema:
    return OutputSchema(RepairTarget.REPLIES.value, replyer_schema(ReplyerOutput, limit))


async def suggest(
    client: ChatClient, config: AgentConfig, context: ContextValues, limit: int
) -> JsonAnswer[SuggestedReplies]:
    """Ask for replies, with one repair call (target `replies`). Raises ProviderError (50002)."""
    request = replyer_request(config, context)
    plan = JsonCallPlan(RepairTarget.REPLIES, replies_schema(limit))
    return await call_json_agent(client, request, replies_decoder(limit), plan)
