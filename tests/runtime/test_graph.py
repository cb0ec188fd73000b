"""Story-graph validation (story rules, draft rules) and the R11 warnings of runtime/graph.py."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.graph import (
    graph_warnings,
    require_valid_draft_graph,
    require_valid_story_graph,
    validate_draft_graph,
    validate_story_graph,
)
from runtime.model.graph import Condition, ConditionOp, ConditionScope, NarrativeNode, StoryGraph, Transition
from runtime.model.state import SetCurrentNode, SetState, StateOp

CAST = ["merchant", "guard"]


def node(
    node_id: str,
    *targets: str | Transition,
    characters: Sequence[str] = (),
    on_enter: Sequence[StateOp] = (),
) -> NarrativeNode:
    transitions = [t if isinstance(t, Transition) else Transition(to=t) for t in targets]
    return NarrativeNode(
        id=node_id,
        title=node_id.title(),
        scene="scene",
        goal="goal",
        characters=list(characters),
        transitions=transitions,
        on_enter_updates=list(on_enter),
    )


def graph(start: str, *nodes: NarrativeNode) -> StoryGraph:
    return StoryGraph(start_node=start, nodes=list(nodes))


def conditional(
    to: str, key: str, scope: ConditionScope = ConditionScope.GLOBAL, character: str | None = None
) -> Transition:
    condition = Condition(key=key, op=ConditionOp.EQ, value=True, scope=scope, character=character)
    return Transition(to=to, condition=condition)


# -- story rules -------------------------------------------------------------------------


def test_valid_graph_with_a_cycle_has_no_errors() -> None:
    story = graph("a", node("a", "b", characters=["merchant"]), node("b", "a", "c"), node("c"))
    assert validate_story_graph(story, CAST) == []


def test_repeated_node_id_is_reported_once_per_id() -> None:
    story = graph("a", node("a"), node("a"), node("a"))
    assert validate_story_graph(story, CAST) == ["story graph contains duplicate node id 'a'"]


def test_transition_to_a_missing_node_names_both_ends() -> None:
    story = graph("a", node("a", "nowhere"))
    assert validate_story_graph(story, CAST) == ["transition from 'a' points to missing node 'nowhere'"]


def test_missing_start_node_is_reported() -> None:
    story = graph("gate", node("a"))
    assert validate_story_graph(story, CAST) == ["start node 'gate' does not exist"]


def test_empty_story_graph_fails_on_its_start_node() -> None:
    assert validate_story_graph(graph("a"), CAST) == ["start node 'a' does not exist"]


def test_node_character_outside_the_cast_is_reported() -> None:
    story = graph("a", node("a", characters=["merchant", "ghost"]))
    assert validate_story_graph(story, CAST) == [
        "node 'a' references character 'ghost' that is not part of the story cast"
    ]


def test_set_current_node_on_enter_is_reported() -> None:
    story = graph("a", node("a", on_enter=[SetState(key="k", value=1), SetCurrentNode(node_id="a")]))
    assert validate_story_graph(story, CAST) == ["node 'a' on_enter_updates must not contain SetCurrentNode"]


def test_story_errors_come_in_step_order() -> None:
    story = graph(
        "start",
        node("a", "missing", characters=["ghost"], on_enter=[SetCurrentNode(node_id="a")]),
        node("a"),
    )
    assert validate_story_graph(story, CAST) == [
        "story graph contains duplicate node id 'a'",
        "transition from 'a' points to missing node 'missing'",
        "start node 'start' does not exist",
        "node 'a' references character 'ghost' that is not part of the story cast",
        "node 'a' on_enter_updates must not contain SetCurrentNode",
    ]


def test_dangling_transitions_are_reported_in_node_then_transition_order() -> None:
    story = graph("a", node("a", "x", "b", "y"), node("b", "z"))
    assert validate_story_graph(story, CAST) == [
        "transition from 'a' points to missing node 'x'",
        "transition from 'a' points to missing node 'y'",
        "transition from 'b' points to missing node 'z'",
    ]


def test_require_valid_story_graph_raises_the_first_error_with_the_prefix() -> None:
    story = graph("start", node("a", "missing"))
    with pytest.raises(InvalidParams) as caught:
        require_valid_story_graph(story, CAST)
    assert caught.value.message == "invalid story graph: transition from 'a' points to missing node 'missing'"
    assert caught.value.code == -32602


def test_require_valid_story_graph_accepts_a_valid_graph() -> None:
    require_valid_story_graph(graph("a", node("a")), CAST)


def test_session_cast_may_include_session_characters() -> None:
    story = graph("a", node("a", characters=["tmp_guard"]))
    assert validate_story_graph(story, [*CAST, "tmp_guard"]) == []


def test_graph_decoded_from_wire_json_is_validated() -> None:
    wire = {
        "start_node": "dock",
        "nodes": [
            {
                "id": "dock",
                "title": "Dock",
                "scene": "s",
                "goal": "g",
                "characters": [],
                "transitions": [{"to": "market", "condition": None}],
                "extra": "ignored",
            },
        ],
    }
    story = CODEC.structure(wire, StoryGraph)
    assert validate_story_graph(story, CAST) == ["transition from 'dock' points to missing node 'market'"]


# -- draft rules -------------------------------------------------------------------------


def test_draft_without_nodes_fails_first_on_its_node_count() -> None:
    errors = validate_draft_graph(graph("a"), CAST)
    assert errors[0] == "story graph must contain at least one node"


def test_draft_missing_start_uses_the_draft_wording() -> None:
    assert validate_draft_graph(graph("gate", node("a")), CAST) == ["story graph start node 'gate' does not exist"]


def test_draft_reports_missing_start_before_dangling_transitions() -> None:
    draft = graph("gate", node("a", "missing"))
    assert validate_draft_graph(draft, CAST) == [
        "story graph start node 'gate' does not exist",
        "transition from 'a' points to missing node 'missing'",
    ]


def test_draft_errors_come_in_step_order() -> None:
    draft = graph(
        "gate",
        node("a", "missing", characters=["ghost"], on_enter=[SetCurrentNode(node_id="a")]),
        node("a"),
    )
    assert validate_draft_graph(draft, CAST) == [
        "story graph contains duplicate node id 'a'",
        "story graph start node 'gate' does not exist",
        "transition from 'a' points to missing node 'missing'",
        "node 'a' references character 'ghost' that is not part of the story cast",
        "node 'a' on_enter_updates must not contain SetCurrentNode",
    ]


def test_require_valid_draft_graph_raises_with_the_draft_prefix() -> None:
    with pytest.raises(InvalidParams) as caught:
        require_valid_draft_graph(graph("a"), CAST)
    assert caught.value.message == "invalid story draft: story graph must contain at least one node"


def test_valid_draft_has_no_errors() -> None:
    assert validate_draft_graph(graph("a", node("a", "b"), node("b", characters=["guard"])), CAST) == []


# -- warnings ----------------------------------------------------------------------------


def test_connected_graph_with_a_terminal_node_has_no_warnings() -> None:
    story = graph("a", node("a", "b"), node("b", "a", "c"), node("c"))
    assert graph_warnings(story, set(), set(), {}) == []


def test_unreachable_nodes_are_reported_in_node_order() -> None:
    story = graph("a", node("z"), node("a"), node("y", "a"))
    assert graph_warnings(story, set(), set(), {}) == [
        "node 'z' is unreachable from start node 'a'",
        "node 'y' is unreachable from start node 'a'",
    ]


def test_node_stuck_in_a_loop_cannot_reach_a_terminal_node() -> None:
    story = graph("a", node("a", "loop", "end"), node("loop", "loop2"), node("loop2", "loop"), node("end"))
    assert graph_warnings(story, set(), set(), {}) == [
        "node 'loop' cannot reach any terminal node",
        "node 'loop2' cannot reach any terminal node",
    ]


def test_graph_without_any_terminal_node_warns_for_every_node() -> None:
    story = graph("a", node("a", "b"), node("b", "a"))
    assert graph_warnings(story, set(), set(), {}) == [
        "node 'a' cannot reach any terminal node",
        "node 'b' cannot reach any terminal node",
    ]


def test_node_with_only_dangling_transitions_is_not_terminal() -> None:
    story = graph("a", node("a", "missing"))
    assert graph_warnings(story, set(), set(), {}) == ["node 'a' cannot reach any terminal node"]


def test_unreachable_findings_come_before_terminal_findings() -> None:
    story = graph("a", node("a"), node("island", "island"))
    assert graph_warnings(story, set(), set(), {}) == [
        "node 'island' is unreachable from start node 'a'",
        "node 'island' cannot reach any terminal node",
    ]


def test_missing_start_node_skips_the_reachability_finding() -> None:
    story = graph("nowhere", node("a"))
    assert graph_warnings(story, set(), set(), {}) == []


def test_global_condition_key_outside_the_world_schema_is_reported() -> None:
    story = graph("a", node("a", conditional("b", "gate_open"), conditional("b", "alarm")), node("b"))
    assert graph_warnings(story, {"gate_open"}, set(), {}) == [
        "transition from 'a' to 'b' uses global key 'alarm' that is not in the bound schema"
    ]


def test_player_condition_key_is_checked_against_the_player_schema() -> None:
    story = graph("a", node("a", conditional("b", "coins", ConditionScope.PLAYER)), node("b"))
    assert graph_warnings(story, {"coins"}, set(), {}) == [
        "transition from 'a' to 'b' uses player key 'coins' that is not in the bound schema"
    ]
    assert graph_warnings(story, set(), {"coins"}, {}) == []


def test_character_condition_key_is_checked_against_that_characters_schema() -> None:
    story = graph(
        "a",
        node(
            "a",
            conditional("b", "trust", ConditionScope.CHARACTER, "merchant"),
            conditional("b", "trust", ConditionScope.CHARACTER, "guard"),
        ),
        node("b"),
    )
    assert graph_warnings(story, set(), set(), {"merchant": {"trust"}, "guard": {"mood"}}) == [
        "transition from 'a' to 'b' uses character key 'trust' that is not in the bound schema"
    ]


def test_character_condition_without_a_character_is_reported() -> None:
    story = graph("a", node("a", conditional("b", "trust", ConditionScope.CHARACTER)), node("b"))
    assert graph_warnings(story, set(), set(), {"merchant": {"trust"}}) == [
        "transition from 'a' to 'b' uses character key 'trust' that is not in the bound schema"
    ]


def test_character_condition_for_a_character_without_schema_is_reported() -> None:
    story = graph("a", node("a", conditional("b", "trust", ConditionScope.CHARACTER, "stranger")), node("b"))
    assert graph_warnings(story, set(), set(), {"merchant": {"trust"}}) == [
        "transition from 'a' to 'b' uses character key 'trust' that is not in the bound schema"
    ]


def test_warning_kinds_come_in_the_specified_order() -> None:
    story = graph(
        "a",
        node("a", conditional("end", "unknown")),
        node("end"),
        node("island", "island"),
    )
    assert graph_warnings(story, set(), set(), {}) == [
        "node 'island' is unreachable from start node 'a'",
        "node 'island' cannot reach any terminal node",
        "transition from 'a' to 'end' uses global key 'unknown' that is not in the bound schema",
    ]


def test_warnings_do_not_change_the_graph() -> None:
    story = graph("a", node("a", "b"), node("b"))
    before = CODEC.unstructure(story)
    graph_warnings(story, set(), set(), {})
    assert CODEC.unstructure(story) == before


def test_warnings_on_a_large_chain_reach_the_end() -> None:
    ids = [f"n{i}" for i in range(5000)]
    nodes = [node(node_id, *ids[i + 1 : i + 2]) for i, node_id in enumerate(ids)]
    assert graph_warnings(graph("n0", *nodes), set(), set(), {}) == []


def test_character_whose_schema_could_not_be_loaded_has_no_bound_schema() -> None:
    story = graph("a", node("a", conditional("b", "trust", ConditionScope.CHARACTER, "merchant")), node("b"))
    assert graph_warnings(story, set(), set(), {"merchant": None}) == [
        "transition from 'a' to 'b' uses character key 'trust' that is not in the bound schema"
    ]
