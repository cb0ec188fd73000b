"""Material for the one repair call of the JSON agents (PROTOCOL §9.5, §14.9).

Per repair target: the JSON skeleton sent as `EXPECTED_SHAPE:` and the fixed system prompt
(the Architect's restates its own rules; the Director, Keeper and Replyer share a generic
one). `repair_user_message` lays out the four sections of the user message. Pure data.
"""

from __future__ import annotations

import enum

from runtime.presets import _shapes


class RepairTarget(enum.Enum):
    """What a repair call repairs; the value is written after `TARGET:`."""

    RESPONSE_PLAN = "response_plan"
    STATE_UPDATE = "state_update"
    REPLIES = "replies"
    FULL_GRAPH = "full_graph"
    DRAFT_INIT = "draft_init"
    DRAFT_CONTINUE = "draft_continue"

    @property
    def is_architect(self) -> bool:
        return self in (RepairTarget.FULL_GRAPH, RepairTarget.DRAFT_INIT, RepairTarget.DRAFT_CONTINUE)


EXPECTED_SHAPE: dict[RepairTarget, str] = {
    RepairTarget.RESPONSE_PLAN: _shapes.skeleton(_shapes.RESPONSE_PLAN),
    RepairTarget.STATE_UPDATE: _shapes.skeleton(_shapes.STATE_UPDATE),
    RepairTarget.REPLIES: _shapes.skeleton(_shapes.REPLIES),
    RepairTarget.FULL_GRAPH: _shapes.skeleton(_shapes.FULL_GRAPH),
    RepairTarget.DRAFT_INIT: _shapes.skeleton(_shapes.DRAFT_INIT),
    RepairTarget.DRAFT_CONTINUE: _shapes.skeleton(_shapes.DRAFT_CONTINUE),
}
"""The JSON skeleton of each target's expected output, sent as `EXPECTED_SHAPE:`."""

GENERIC_REPAIR_SYSTEM_PROMPT = """\
You repair structured output that a program could not use. The user message has four \
sections: TARGET names the kind of output, PARSER_ERROR says what was wrong with it, \
EXPECTED_SHAPE shows the JSON shape it must have, and RAW_OUTPUT is the output that failed.
Return one corrected JSON object and nothing else: no markdown, no code fences, no \
explanations. Keep the meaning of RAW_OUTPUT wherever possible and change only what is \
needed to fix the error.
- Use exactly the keys of EXPECTED_SHAPE; add no others. Always write list keys, with [] \
when a list is empty.
- Type tags and enum strings are case-sensitive: write them exactly as EXPECTED_SHAPE and \
the error show them (for example "Narrator", "Actor", "DescribeScene", "ReactToPlayer", \
"SetState", "create_and_enter").
- For state_update, never use SetCurrentNode. For replies, every item needs a non-empty \
"id" and a non-empty "text"."""

ARCHITECT_REPAIR_SYSTEM_PROMPT = """\
You repair story-graph data written by the Architect of an interactive fiction engine that a \
program could not use. The user message has four sections: TARGET (full_graph, draft_init \
or draft_continue), PARSER_ERROR (what was wrong), EXPECTED_SHAPE (the JSON shape required) \
and RAW_OUTPUT (the output that failed).
Return one corrected JSON object and nothing else: no markdown, no code fences, no \
explanations, no duplicate keys. Keep the story content of RAW_OUTPUT and change only what is \
needed. Rules:
- Schema fields are {"value_type", "default", "description", "enum_values"}; value_type is \
one of bool, int, float, string, array, object, null. enum_values only for bool, int, float \
and string; a default must match value_type and, when enum_values are given, be one of \
them, otherwise leave the default out.
- on_enter_updates may only contain SetState, RemoveState, SetPlayerState, \
RemovePlayerState, SetCharacterState and RemoveCharacterState ops; never SetCurrentNode.
- Condition ops are eq, ne, gt, gte, lt, lte, contains; scopes are global, player and \
character (character scope needs "character").
- Node ids are unique snake_case strings; node characters use only ids of the available \
characters.
- full_graph: graph.start_node and every transition target are nodes of graph.nodes.
- draft_init: start_node, world_state_schema, player_state_schema, introduction and \
section_summary are required; start_node, every transition target and every patch node and \
target are nodes returned in this same response.
- draft_continue: return only nodes, transition_patches and section_summary; new node ids \
must not reuse existing ids; transition targets are existing or new node ids; existing \
nodes change only through transition_patches."""


def expected_shape(target: RepairTarget) -> str:
    return EXPECTED_SHAPE[target]


def repair_system_prompt(target: RepairTarget) -> str:
    """The fixed system prompt of a repair call for this target."""
    return ARCHITECT_REPAIR_SYSTEM_PROMPT if target.is_architect else GENERIC_REPAIR_SYSTEM_PROMPT


def repair_user_message(target: RepairTarget, parser_error: str, raw_output: str) -> str:
    """The four sections `TARGET:`, `PARSER_ERROR:`, `EXPECTED_SHAPE:`, `RAW_OUTPUT:`."""
    sections = (
        ("TARGET", target.value),
        ("PARSER_ERROR", parser_error),
        ("EXPECTED_SHAPE", EXPECTED_SHAPE[target]),
        ("RAW_OUTPUT", raw_output),
    )
    return "\n\n".join(f"{name}:\n{value}" for name, value in sections)
