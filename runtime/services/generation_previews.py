"""Runtime prompt previews of the story-building agents (PROTOCOL §6.7): the Planner and the
Architect, compiled with the same context values the real calls use.

Data sources: the Planner and the Architect's `graph` mode read a story resources bundle
(`resource_id`), the draft modes a draft (`draft_id`): `draft_init` as its start call saw it,
`draft_continue` as its next call will. The preset is the one named by the params. Changes
nothing.
"""

from __future__ import annotations

from typing import Final

import attrs

from runtime.agents.architect import SectionTask, draft_continue_context, draft_init_context, graph_context
from runtime.agents.planner import planner_context
from runtime.errors import InvalidParams
from runtime.lore import ActivationLog, LoreMoment, last_trace
from runtime.model.apis import Agent
from runtime.model.lore import LoreTrace
from runtime.model.presets import AgentConfig, ArchitectMode, PreviewKind, PromptPreview, PromptPreviewParams
from runtime.presets import build_preview, check_architect_mode, compile_prompt
from runtime.services._generation_inputs import read_material
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.services.drafts import continue_task, read_draft_setting
from runtime.store import Cursor
from runtime.store.presets import read_preset
from runtime.store.stories import STORY_DRAFTS
from runtime.store.story_resources import STORY_RESOURCES

GENERATION_PREVIEW_AGENTS: Final = frozenset({Agent.PLANNER, Agent.ARCHITECT})
"""The agents whose runtime previews this module builds; the others read a session."""

Context = dict[str, str | None]


async def preview_generation_runtime(services: Services, params: PromptPreviewParams) -> PromptPreview:
    """The runtime preview of the Planner or the Architect (in `params.architect_mode`).

    Raises InvalidParams for a missing/forbidden `architect_mode`, a missing data source, an
    agent this module does not preview, or a module that contributes nothing; NotFound for
    the preset, the module, the resource or the draft.
    """
    preset_id = require_id(params.preset_id, "preset_id")
    check_architect_mode(params.agent, params.architect_mode)
    if params.agent not in GENERATION_PREVIEW_AGENTS:
        raise _invalid(f"agent '{params.agent.value}' is previewed from a session, not from story generation")
    source_id = _required_source(params)
    module_id = None if params.module_id is None else params.module_id.strip()

    def read(cursor: Cursor) -> tuple[AgentConfig, Context, LoreTrace | None]:
        preset = read_preset(cursor, preset_id)
        lore_log = ActivationLog()
        context = _context(cursor, params.agent, params.architect_mode, source_id, lore_log)
        return preset.agents.for_agent(params.agent), context, last_trace(lore_log)

    config, context, trace = await services.store.read(read)
    prompt = compile_prompt(config, params.agent, context, params.architect_mode)
    preview = build_preview(
        preset_id=preset_id, config=config, prompt=prompt, kind=PreviewKind.RUNTIME, module_id=module_id
    )
    return attrs.evolve(preview, lore_trace=trace)


def _required_source(params: PromptPreviewParams) -> str:
    """The resource id (Planner, `graph`) or the draft id (draft modes) the preview reads."""
    reads_draft = params.architect_mode in (ArchitectMode.DRAFT_INIT, ArchitectMode.DRAFT_CONTINUE)
    name, value = ("draft_id", params.draft_id) if reads_draft else ("resource_id", params.resource_id)
    if value is None or not value.strip():
        raise _invalid(f"{name} is required for {_target(params)}")
    return value.strip()


def _context(
    cursor: Cursor, agent: Agent, mode: ArchitectMode | None, source_id: str, lore_log: ActivationLog
) -> Context:
    """The context values, with the lore activation logged in `lore_log` (for the trace)."""
    moment = LoreMoment(log=lore_log)
    if mode in (ArchitectMode.DRAFT_INIT, ArchitectMode.DRAFT_CONTINUE):
        draft = STORY_DRAFTS.require(cursor, source_id)
        setting = read_draft_setting(cursor, draft)
        material = attrs.evolve(setting.material, lore_moment=moment)
        if mode is ArchitectMode.DRAFT_CONTINUE:
            return draft_continue_context(material, continue_task(draft, setting))
        task = SectionTask(draft.planned_story, draft.outline_sections, 0)
        return draft_init_context(material, task)
    material = attrs.evolve(read_material(cursor, STORY_RESOURCES.require(cursor, source_id)), lore_moment=moment)
    if agent is Agent.PLANNER:
        return planner_context(material)
    return graph_context(material)


def _target(params: PromptPreviewParams) -> str:
    if params.architect_mode is None:
        return f"agent '{params.agent.value}'"
    return f"agent 'architect' in architect_mode '{params.architect_mode.value}'"


def _invalid(detail: str) -> InvalidParams:
    return InvalidParams(f"invalid prompt preview: {detail}")
