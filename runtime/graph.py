"""Story-graph validation: errors that block a write, and warnings that never do (PROTOCOL §7.2).

Two rule sets produce errors: the story rules (stories, imports, the runtime graph of a
session) and the draft rules (story drafts). Both return every finding as a bare message
in the order of the spec's steps; the `require_*` functions raise the first one with the
template prefix. `graph_warnings` computes the R11 findings with networkx.

Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Final

import networkx as nx

from runtime.errors import InvalidParams
from runtime.model.graph import Condition, ConditionScope, StoryGraph
from runtime.model.state import SetCurrentNode

STORY_GRAPH_ERROR_PREFIX: Final = "invalid story graph: "
DRAFT_GRAPH_ERROR_PREFIX: Final = "invalid story draft: "

_TERMINAL_SINK: Final = object()
"""A virtual node every terminal node points to, so one reverse search finds who can finish."""


# -- errors ------------------------------------------------------------------------------


def validate_story_graph(graph: StoryGraph, cast_ids: Collection[str]) -> list[str]:
    """Every story-rule error of `graph`, in step order (§7.2 steps 1–5), without prefix.

    `cast_ids` are the characters a node may name: the story resources' `character_ids`,
    or a session's whole cast when its runtime graph is built. Never raises.
    """
    node_ids = {node.id for node in graph.nodes}
    return [
        *_duplicate_id_errors(graph),
        *_dangling_transition_errors(graph, node_ids),
        *([] if graph.start_node in node_ids else [f"start node '{graph.start_node}' does not exist"]),
        *_foreign_character_errors(graph, frozenset(cast_ids)),
        *_set_current_node_errors(graph),
    ]


def require_valid_story_graph(graph: StoryGraph, cast_ids: Collection[str]) -> None:
    """Raise `InvalidParams("invalid story graph: {first error}")` unless the graph is valid."""
    errors = validate_story_graph(graph, cast_ids)
    if errors:
        raise InvalidParams(STORY_GRAPH_ERROR_PREFIX + errors[0])


def validate_draft_graph(graph: StoryGraph, cast_ids: Collection[str]) -> list[str]:
    """Every draft-rule error of `graph`, in step order (§7.2 draft rules 1–6), without prefix.

    `cast_ids` are the draft resource's `character_ids`. Never raises.
    """
    node_ids = {node.id for node in graph.nodes}
    return [
        *([] if graph.nodes else ["story graph must contain at least one node"]),
        *_duplicate_id_errors(graph),
        *([] if graph.start_node in node_ids else [f"story graph start node '{graph.start_node}' does not exist"]),
        *_dangling_transition_errors(graph, node_ids),
        *_foreign_character_errors(graph, frozenset(cast_ids)),
        *_set_current_node_errors(graph),
    ]


def require_valid_draft_graph(graph: StoryGraph, cast_ids: Collection[str]) -> None:
    """Raise `InvalidParams("invalid story draft: {first error}")` unless the graph is valid."""
    errors = validate_draft_graph(graph, cast_ids)
    if errors:
        raise InvalidParams(DRAFT_GRAPH_ERROR_PREFIX + errors[0])


def _duplicate_id_errors(graph: StoryGraph) -> Iterator[str]:
    seen: set[str] = set()
    reported: set[str] = set()
    for node in graph.nodes:
        if node.id in seen and node.id not in reported:
            reported.add(node.id)
            yield f"story graph contains duplicate node id '{node.id}'"
        seen.add(node.id)


def _dangling_transition_errors(graph: StoryGraph, node_ids: AbstractSet[str]) -> Iterator[str]:
    for node in graph.nodes:
        for transition in node.transitions:
            if transition.to not in node_ids:
                yield f"transition from '{node.id}' points to missing node '{transition.to}'"


def _foreign_character_errors(graph: StoryGraph, cast_ids: AbstractSet[str]) -> Iterator[str]:
    for node in graph.nodes:
        for character_id in dict.fromkeys(node.characters):
            if character_id not in cast_ids:
                yield f"node '{node.id}' references character '{character_id}' that is not part of the story cast"


def _set_current_node_errors(graph: StoryGraph) -> Iterator[str]:
    for node in graph.nodes:
        if any(isinstance(op, SetCurrentNode) for op in node.on_enter_updates):
            yield f"node '{node.id}' on_enter_updates must not contain SetCurrentNode"


# -- warnings ----------------------------------------------------------------------------


def graph_warnings(
    graph: StoryGraph,
    world_fields: AbstractSet[str],
    player_fields: AbstractSet[str],
    character_fields: Mapping[str, AbstractSet[str] | None],
) -> list[str]:
    """The R11 findings of `graph`, in the order of §7.2: unreachable nodes, nodes that
    cannot reach a terminal node, then condition keys missing from the bound schema.

    `world_fields` / `player_fields` are the field keys of the bound world / player schema
    (empty when there is none); `character_fields` maps a character id to its schema's
    field keys (a character without a schema is absent or maps to None). Tolerates invalid graphs
    (dangling targets are ignored, a missing start node skips the reachability finding).
    Never raises.
    """
    digraph, terminal_ids = _transition_digraph(graph)
    node_ids = list(dict.fromkeys(node.id for node in graph.nodes))
    warnings = list(_unreachable_warnings(digraph, node_ids, graph.start_node))
    warnings += _dead_end_warnings(digraph, node_ids, terminal_ids)
    warnings += _condition_key_warnings(graph, world_fields, player_fields, character_fields)
    return warnings


def _transition_digraph(graph: StoryGraph) -> tuple[nx.DiGraph[object], set[str]]:
    """The graph of valid transitions, and the ids of terminal nodes (no transitions at all)."""
    node_ids = {node.id for node in graph.nodes}
    digraph: nx.DiGraph[object] = nx.DiGraph()
    digraph.add_nodes_from(node_ids)
    has_transitions: set[str] = set()
    for node in graph.nodes:
        if node.transitions:
            has_transitions.add(node.id)
        # Targets are checked first: add_edge would silently create a missing node.
        digraph.add_edges_from((node.id, t.to) for t in node.transitions if t.to in node_ids)
    return digraph, node_ids - has_transitions


def _unreachable_warnings(digraph: nx.DiGraph[object], node_ids: list[str], start: str) -> Iterator[str]:
    if start not in digraph:
        return
    reachable = nx.descendants(digraph, start) | {start}
    for node_id in node_ids:
        if node_id not in reachable:
            yield f"node '{node_id}' is unreachable from start node '{start}'"


def _dead_end_warnings(digraph: nx.DiGraph[object], node_ids: list[str], terminal_ids: set[str]) -> Iterator[str]:
    digraph.add_edges_from((node_id, _TERMINAL_SINK) for node_id in terminal_ids)
    can_finish = nx.ancestors(digraph, _TERMINAL_SINK) if terminal_ids else set()
    digraph.remove_nodes_from([_TERMINAL_SINK])
    for node_id in node_ids:
        if node_id not in can_finish:
            yield f"node '{node_id}' cannot reach any terminal node"


def _condition_key_warnings(
    graph: StoryGraph,
    world_fields: AbstractSet[str],
    player_fields: AbstractSet[str],
    character_fields: Mapping[str, AbstractSet[str] | None],
) -> Iterator[str]:
    for node in graph.nodes:
        for transition in node.transitions:
            condition = transition.condition
            if condition is None:
                continue
            if condition.key not in _bound_fields(condition, world_fields, player_fields, character_fields):
                yield (
                    f"transition from '{node.id}' to '{transition.to}' uses {condition.scope.value} "
                    f"key '{condition.key}' that is not in the bound schema"
                )


def _bound_fields(
    condition: Condition,
    world_fields: AbstractSet[str],
    player_fields: AbstractSet[str],
    character_fields: Mapping[str, AbstractSet[str] | None],
) -> AbstractSet[str]:
    if condition.scope is ConditionScope.GLOBAL:
        return world_fields
    if condition.scope is ConditionScope.PLAYER:
        return player_fields
    if condition.character is None:
        return frozenset()
    return character_fields.get(condition.character) or frozenset()
