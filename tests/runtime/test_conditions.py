"""Condition evaluation (§7.3, R12) and transition selection (R3) of runtime/state.py."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.model.graph import Condition, ConditionOp, ConditionScope, NarrativeNode, Transition
from runtime.model.state import WorldState
from runtime.state import condition_holds, select_transition


def world(**custom: Any) -> WorldState:
    return WorldState(current_node="dock", custom=dict(custom))


def holds(op: str, actual: Any, expected: Any) -> bool:
    condition = Condition(key="k", op=ConditionOp(op), value=expected)
    return condition_holds(condition, world(k=actual))


# -- lookup ------------------------------------------------------------------------------


def test_global_scope_reads_custom() -> None:
    condition = Condition(key="gate", op=ConditionOp.EQ, value=True)
    assert condition_holds(condition, world(gate=True))


def test_player_scope_reads_player_state() -> None:
    condition = Condition(key="gate", op=ConditionOp.EQ, value=True, scope=ConditionScope.PLAYER)
    assert not condition_holds(condition, world(gate=True))
    assert condition_holds(condition, WorldState(current_node="x", player_state={"gate": True}))


def test_character_scope_reads_that_characters_state() -> None:
    state = WorldState(current_node="x", character_state={"merchant": {"trust": 3}, "guard": {"trust": 0}})
    condition = Condition(
        key="trust", op=ConditionOp.GTE, value=3, scope=ConditionScope.CHARACTER, character="merchant"
    )
    assert condition_holds(condition, state)


def test_character_scope_without_a_character_is_missing() -> None:
    state = WorldState(current_node="x", character_state={"merchant": {"trust": 3}})
    condition = Condition(key="trust", op=ConditionOp.NE, value=0, scope=ConditionScope.CHARACTER)
    assert not condition_holds(condition, state)


@pytest.mark.parametrize("op", [op.value for op in ConditionOp])
def test_missing_value_is_false_for_every_operator(op: str) -> None:
    condition = Condition(key="absent", op=ConditionOp(op), value=1)
    assert not condition_holds(condition, world(other=1))


def test_stored_null_is_a_present_value() -> None:
    assert holds("eq", None, None)
    assert holds("ne", None, 1)


# -- eq / ne (R12) -----------------------------------------------------------------------


def test_integer_equals_the_same_float() -> None:
    assert holds("eq", 1, 1.0)


def test_float_equals_the_same_integer() -> None:
    assert holds("eq", 2.0, 2)


def test_true_does_not_equal_one() -> None:
    assert not holds("eq", True, 1)


def test_one_does_not_equal_true() -> None:
    assert not holds("eq", 1, True)


def test_false_does_not_equal_zero() -> None:
    assert not holds("eq", False, 0)


def test_ne_is_true_between_boolean_and_number() -> None:
    assert holds("ne", True, 1)


def test_ne_is_false_between_integer_and_equal_float() -> None:
    assert not holds("ne", 1, 1.0)


def test_strings_compare_exactly() -> None:
    assert holds("eq", "open", "open")
    assert not holds("eq", "Open", "open")


def test_string_does_not_equal_a_number() -> None:
    assert not holds("eq", "1", 1)


def test_null_does_not_equal_false() -> None:
    assert not holds("eq", None, False)


def test_arrays_compare_elementwise_with_the_number_rule() -> None:
    assert holds("eq", [1, [2.0, "x"]], [1.0, [2, "x"]])


def test_arrays_of_different_length_differ() -> None:
    assert not holds("eq", [1, 2], [1, 2, 3])


def test_array_order_matters() -> None:
    assert not holds("eq", [1, 2], [2, 1])


def test_objects_compare_by_keys_and_values_with_the_number_rule() -> None:
    assert holds("eq", {"a": 1, "b": {"c": [3]}}, {"b": {"c": [3.0]}, "a": 1.0})


def test_objects_with_different_keys_differ() -> None:
    assert not holds("eq", {"a": 1}, {"a": 1, "b": 2})


def test_nested_boolean_does_not_equal_nested_number() -> None:
    assert not holds("eq", [True], [1])


def test_array_does_not_equal_object() -> None:
    assert not holds("eq", [], {})


# -- ordering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "actual", "expected", "result"),
    [
        ("gt", 3, 2, True),
        ("gt", 2, 2, False),
        ("gte", 2, 2.0, True),
        ("gte", 1.5, 2, False),
        ("lt", 1, 1.5, True),
        ("lt", 2, 2, False),
        ("lte", 2.0, 2, True),
        ("lte", 3, 2, False),
    ],
)
def test_ordering_compares_numbers(op: str, actual: Any, expected: Any, result: bool) -> None:
    assert holds(op, actual, expected) is result


@pytest.mark.parametrize("op", ["gt", "gte", "lt", "lte"])
def test_ordering_with_a_boolean_is_false(op: str) -> None:
    assert not holds(op, True, 0)
    assert not holds(op, 1, False)


@pytest.mark.parametrize("op", ["gt", "gte", "lt", "lte"])
def test_ordering_with_a_string_is_false(op: str) -> None:
    assert not holds(op, "5", 1)
    assert not holds(op, "b", "a")


def test_ordering_with_null_is_false() -> None:
    assert not holds("lte", None, 0)


# -- contains ----------------------------------------------------------------------------


def test_array_contains_an_equal_element() -> None:
    assert holds("contains", ["key", "map"], "map")


def test_array_without_the_element_does_not_contain_it() -> None:
    assert not holds("contains", ["key"], "map")


def test_array_contains_uses_strict_equality_between_int_and_float() -> None:
    assert not holds("contains", [1], 1.0)


def test_array_contains_does_not_match_a_boolean_with_a_number() -> None:
    assert not holds("contains", [1], True)


def test_array_contains_a_nested_array() -> None:
    assert holds("contains", [[1, 2], 3], [1, 2])


def test_string_contains_a_substring() -> None:
    assert holds("contains", "the old gate", "old")


def test_string_contains_is_case_sensitive() -> None:
    assert not holds("contains", "the old gate", "Old")


def test_string_does_not_contain_a_number() -> None:
    assert not holds("contains", "room 42", 42)


def test_object_contains_its_key() -> None:
    assert holds("contains", {"sword": 1}, "sword")


def test_object_does_not_contain_a_value_as_key() -> None:
    assert not holds("contains", {"sword": "shield"}, "shield")


def test_number_contains_nothing() -> None:
    assert not holds("contains", 123, 1)


# -- transition selection (R3) -----------------------------------------------------------


def node(*transitions: Transition) -> NarrativeNode:
    return NarrativeNode(id="dock", title="Dock", scene="s", goal="g", characters=[], transitions=list(transitions))


def when(to: str, key: str, value: Any) -> Transition:
    return Transition(to=to, condition=Condition(key=key, op=ConditionOp.EQ, value=value))


def test_first_matching_transition_in_list_order_wins() -> None:
    chosen = select_transition(node(when("a", "k", 1), when("b", "k", 1)), world(k=1))
    assert chosen is not None and chosen.to == "a"


def test_non_matching_transitions_are_skipped() -> None:
    chosen = select_transition(node(when("a", "k", 2), when("b", "k", 1)), world(k=1))
    assert chosen is not None and chosen.to == "b"


def test_unconditional_transition_always_holds() -> None:
    chosen = select_transition(node(when("a", "k", 2), Transition(to="b"), when("c", "k", 1)), world(k=1))
    assert chosen is not None and chosen.to == "b"


def test_no_transition_when_nothing_matches() -> None:
    assert select_transition(node(when("a", "k", 2)), world(k=1)) is None


def test_terminal_node_selects_nothing() -> None:
    assert select_transition(node(), world()) is None
