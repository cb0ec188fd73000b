"""The Architect: story-graph data from the planning material (PROTOCOL §10.3, §14.3–§14.9).

Three modes, each with its own context (§10.3, §11.2), request settings and output bundle
(§14.8): `graph` (a whole graph; reachable only through previews), `draft_init` (the first
chunk of a draft, its schemas and introduction) and `draft_continue` (one more chunk). The
bundles are decoded and checked in `_architect_output`; any problem earns the one repair call
of §9.5/§14.9 (via `call_json_agent`), and output still unusable after it fails with 50002.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Final

import attrs

from runtime.agents._architect_output import CharacterFields as CharacterFields
from runtime.agents._architect_output import DraftContinuation as DraftContinuation
from runtime.agents._architect_output import DraftStart as DraftStart
from runtime.agents._architect_output import GraphBundle as GraphBundle
from runtime.agents._architect_output import NodeTransitionPatch as NodeTransitionPatch
from runtime.agents._architect_output import apply_patches as apply_patches
from runtime.agents._architect_output import decode_draft_continuation as decode_draft_continuation
from runtime.agents._architect_output import decode_draft_start as decode_draft_start
from runtime.agents._architect_output import decode_graph_bundle as decode_graph_bundle
from runtime.agents._json_agent import JsonCallPlan, call_json_agent
from runtime.agents._output_schemas import ArchitectKnowledge, architect_schema
from runtime.agents.output_limits import ARCHITECT_MAX_TOKENS
from runtime.agents.story_material import SchemaFields, StoryMaterial, lore_context, present
from runtime.llm import ChatClient, ChatRequest
from runtime.model.apis import Agent
from runtime.model.chat import OutputSchema
from runtime.model.graph import NarrativeNode, StoryGraph
from runtime.model.presets import AgentConfig, ArchitectMode
from runtime.presets import RepairTarget, chat_messages, compile_prompt
from runtime.prompt_context import (
    TARGET_NODE_COUNT,
    available_characters_for_architect,
    graph_summary,
    recent_section_detail,
    schema_text,
    section_summaries,
)
from runtime.state import DeclaredFields

DEFAULT_TEMPERATURE: Final = 0.0
MAX_TOKENS: Final = ARCHITECT_MAX_TOKENS
"""`max_tokens` when the preset sets none (sized to the bundles, `output_limits`)."""
TEMPERATURE_STEP: Final = 0.5
MAX_TEMPERATURE: Final = 1.0
"""After an unusable bundle the next call runs this much warmer (at most MAX_TEMPERATURE): the
same prompt at the same temperature mostly makes the same mistake again."""

MODE_TARGETS: Final = {
    ArchitectMode.GRAPH: RepairTarget.FULL_GRAPH,
    ArchitectMode.DRAFT_INIT: RepairTarget.DRAFT_INIT,
    ArchitectMode.DRAFT_CONTINUE: RepairTarget.DRAFT_CONTINUE,
}


# -- context (§10.3, §11.2, §12) ---------------------------------------------------------


@attrs.frozen
class SectionTask:
    """The outline section a draft call builds, and what the draft holds so far.

    `planned_text` is the draft's plan (the resource's plan, or its concept without one).
    At draft start the graph is None and there are no summaries, recent nodes or schemas.
    """

    planned_text: str
    outline_sections: Sequence[str]
    section_index: int
    section_summaries: Sequence[str] = ()
    graph: StoryGraph | None = None
    recent_nodes: Sequence[NarrativeNode] = ()
    world_schema: SchemaFields | None = None
    player_schema: SchemaFields | None = None

    @property
    def current_section(self) -> str | None:
        if 0 <= self.section_index < len(self.outline_sections):
            return self.outline_sections[self.section_index]
        return None


def graph_context(material: StoryMaterial) -> dict[str, str | None]:
    """Context values of `graph` mode."""
    return {
        **_material_values(material),
        "planned_story": material.planned_story,
        **lore_context(material, present([material.story_concept, material.planned_story])),
    }


def draft_init_context(material: StoryMaterial, task: SectionTask) -> dict[str, str | None]:
    """Context values of `draft_init` mode: section 0, an empty graph summary, the seeds."""
    inputs = [
        material.story_concept,
        material.planned_story,
        material.story_concept,
        task.planned_text,
        task.current_section,
    ]
    return {
        **_material_values(material),
        "planned_story": _plan_not_shown_elsewhere(material, task),
        **_section_values(task),
        **lore_context(material, present(inputs)),
    }


def _plan_not_shown_elsewhere(material: StoryMaterial, task: SectionTask) -> str | None:
    """The draft's plan, unless the prompt shows that same text already: as the concept (a
    resource without a plan) or as the current section (a one-section plan)."""
    plan = task.planned_text.strip()
    if plan in (material.story_concept.strip(), (task.current_section or "").strip()):
        return None
    return task.planned_text


def draft_continue_context(material: StoryMaterial, task: SectionTask) -> dict[str, str | None]:
    """Context values of `draft_continue` mode: the next section, summaries, graph, stored schemas."""
    recent = [text for node in task.recent_nodes for text in (node.title, node.scene, node.goal)]
    inputs = [material.story_concept, task.planned_text, task.current_section, *task.section_summaries, *recent]
    return {
        **_material_values(material),
        "world_state_schema": schema_text(task.world_schema),
        "player_state_schema": schema_text(task.player_schema),
        "section_summaries": section_summaries(task.section_summaries),
        **_section_values(task),
        **lore_context(material, present(inputs)),
    }


def _material_values(material: StoryMaterial) -> dict[str, str | None]:
    return {
        "story_concept": material.story_concept,
        "available_characters": available_characters_for_architect(material.cast),
        "world_state_schema_seed": schema_text(material.world_schema_seed),
        "player_state_schema_seed": schema_text(material.player_schema_seed),
    }


def _section_values(task: SectionTask) -> dict[str, str | None]:
    return {
        "current_section": task.current_section,
        "section_index": str(task.section_index),
        "total_sections": str(len(task.outline_sections)),
        "target_node_count": str(TARGET_NODE_COUNT),
        "graph_summary": graph_summary(task.graph),
        "recent_section_detail": recent_section_detail(task.recent_nodes),
    }


def architect_request(config: AgentConfig, mode: ArchitectMode, context: dict[str, str | None]) -> ChatRequest:
    """The call for `mode`: temperature = preset value or 0.0, `max_tokens` = preset value or
    the mode's built-in limit."""
    messages = chat_messages(compile_prompt(config, Agent.ARCHITECT, context, mode))
    return ChatRequest(
        Agent.ARCHITECT,
        messages.system,
        messages.user,
        temperature=DEFAULT_TEMPERATURE if config.temperature is None else config.temperature,
        max_tokens=MAX_TOKENS[mode] if config.max_tokens is None else config.max_tokens,
    )


def architect_plan(request: ChatRequest, mode: ArchitectMode, known: ArchitectKnowledge) -> JsonCallPlan:
    """The mode's schema and repair target; the repair call runs warmer than the first call."""
    base = request.temperature or 0.0
    return JsonCallPlan(
        MODE_TARGETS[mode],
        OutputSchema(MODE_TARGETS[mode].value, architect_schema(mode, known)),
        repair_temperature=min(MAX_TEMPERATURE, base + TEMPERATURE_STEP),
    )


# -- calls --------------------------------------------------------------------------------


async def build_draft_start(
    client: ChatClient, request: ChatRequest, cast_ids: Collection[str], characters: CharacterFields | None = None
) -> DraftStart:
    """Ask for the first chunk; repair once. Raises ProviderError (50002)."""
    plan = architect_plan(request, ArchitectMode.DRAFT_INIT, ArchitectKnowledge(cast_ids=list(cast_ids)))
    answer = await call_json_agent(client, request, lambda value: decode_draft_start(value, cast_ids, characters), plan)
    return answer.value


async def build_draft_continuation(
    client: ChatClient,
    request: ChatRequest,
    existing_ids: Collection[str],
    cast_ids: Collection[str],
    declared: DeclaredFields | None = None,
) -> DraftContinuation:
    """Ask for the next chunk, its conditions and updates held to the `declared` variables when
    given; repair once. Raises ProviderError (50002)."""
    known = ArchitectKnowledge(list(existing_ids), list(cast_ids), declared)
    plan = architect_plan(request, ArchitectMode.DRAFT_CONTINUE, known)
    answer = await call_json_agent(
        client, request, lambda value: decode_draft_continuation(value, existing_ids, cast_ids, declared), plan
    )
    return answer.value


async def build_graph(client: ChatClient, request: ChatRequest, cast_ids: Collection[str]) -> GraphBundle:
    """Ask for a whole graph (`graph` mode); repair once. Raises ProviderError (50002)."""
    plan = architect_plan(request, ArchitectMode.GRAPH, ArchitectKnowledge(cast_ids=list(cast_ids)))
    answer = await call_json_agent(client, request, lambda value: decode_graph_bundle(value, cast_ids), plan)
    return answer.value
