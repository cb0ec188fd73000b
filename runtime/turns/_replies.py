"""Reply suggestions for a session (PROTOCOL §13): which history the Replyer sees, and the call.

The caller validates `limit` (2..=5) before anything else; nothing here stores anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from runtime.agents.replyer import replyer_context, suggest
from runtime.model.apis import Agent
from runtime.model.sessions import MessageKind, SessionMessage, SuggestedReplies
from runtime.turns._contract import TurnSetup
from runtime.turns._scene import agent_client, agent_config, setup_scene


def select_reply_history(messages: Sequence[SessionMessage], limit: int) -> list[SessionMessage]:
    """The last `limit` messages by `sequence`; of those, narration only from the latest turn
    that has narration (other kinds are all kept)."""
    ordered = sorted(messages, key=lambda message: message.sequence)
    recent = ordered[-limit:] if limit > 0 else []
    narration_turns = [message.turn_index for message in recent if message.kind is MessageKind.NARRATION]
    latest = max(narration_turns, default=None)
    return [message for message in recent if message.kind is not MessageKind.NARRATION or message.turn_index == latest]


async def suggest_replies(setup: TurnSetup, messages: Sequence[SessionMessage], limit: int) -> SuggestedReplies:
    """Up to `limit` sanitized replies for the session as `setup` describes it (needs the
    `replyer` config and client). Raises ProviderError (50002) when the provider fails or no
    reply is usable even after the repair call; BackendError when the setup lacks the Replyer."""
    scene = setup_scene(setup)
    history = select_reply_history(messages, scene.windows.replyer)
    context = replyer_context(scene, history, limit)
    answer = await suggest(agent_client(setup, Agent.REPLYER), agent_config(setup, Agent.REPLYER), context, limit)
    return answer.value
