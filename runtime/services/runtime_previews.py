"""`preset_preview.runtime` (PROTOCOL §6.7): which data a runtime preview reads, by agent.

The Planner and the Architect read a story resources bundle or a draft; the session agents
read the session named by the envelope `session_id`, with the preset named by the params.
"""

from __future__ import annotations

import trio

from runtime.errors import InvalidParams
from runtime.model.presets import PromptPreview, PromptPreviewParams
from runtime.presets import check_architect_mode
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.services.generation_previews import GENERATION_PREVIEW_AGENTS, preview_generation_runtime
from runtime.services.session_records import list_messages
from runtime.services.session_turns import load_turn_setup
from runtime.services.sessions import load_session
from runtime.turns import session_agent_preview


async def preview_runtime(services: Services, params: PromptPreviewParams, session_id: str | None) -> PromptPreview:
    """The compiled prompt as the agent would see it now. Changes nothing."""
    if params.agent in GENERATION_PREVIEW_AGENTS:
        return await preview_generation_runtime(services, params)
    preset_id = require_id(params.preset_id, "preset_id")
    check_architect_mode(params.agent, params.architect_mode)
    if session_id is None:
        raise InvalidParams("request requires session_id")
    session = await load_session(services, session_id)
    setup = await load_turn_setup(services, session, client_agents=(), preset_id=preset_id)
    messages = (await list_messages(services, session_id)).messages
    # Pure, but the lore trace of a large lorebook takes tens of milliseconds: off the event loop.
    return await trio.to_thread.run_sync(session_agent_preview, setup, params, messages)
