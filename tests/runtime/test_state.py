"""StateOps, the Keeper filter, the progression fallback, histories and the initial state (runtime/state.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from runtime.model.graph import Condition, ConditionOp, ConditionScope, NarrativeNode, Transition
from runtime.model.schemas import StateFieldSchema, ValueType
from runtime.model.state import (
    ActorMemoryEntry,
    AddActiveCharacter,
    MemoryKind,
    RemoveActiveCharacter,
    RemoveCharacterState,
    RemovePlayerState,
    RemoveState,
    SetActiveCharacters,
    SetCharacterState,
    SetCurrentNode,
    SetPlayerState,
    SetState,
    StateOp,
    StateUpdate,
    WorldState,
)
from runtime.state import (
    DeclaredFields,
    append_private_memory,
    append_shared_history,
    apply_state_op,
    apply_state_update,
    enter_node,
    filter_keeper_update,
    keep_declared_values,
    progression_fallback_ops,
    seed_initial_state,
)


def world_with(**changes: Any) -> WorldState:
    return attrs.evolve(WorldState(current_node="dock"), **changes)


def node(
    node_id: str,
    transitions: Sequence[Transition] = (),
    characters: Sequence[str] = (),
    on_enter: Sequence[StateOp] = (),
) -> NarrativeNode:
    return NarrativeNode(
        id=node_id,
        title="T",
        scene="S",
        goal="G",
        characters=list(characters),
        transitions=list(transitions),
        on_enter_updates=list(on_enter),
    )


def entry(text: str, speaker: str = "merchant") -> ActorMemoryEntry:
    return ActorMemoryEntry(speaker_id=speaker, speaker_name=speaker.title(), kind=MemoryKind.DIALOGUE, text=text)


def eq_transition(
    to: str,
    key: str,
    value: Any,
    scope: ConditionScope = ConditionScope.GLOBAL,
    character: str | None = None,
    op: ConditionOp = ConditionOp.EQ,
) -> Transition:
    return Transition(to=to, condition=Condition(key=key, op=op, value=value, scope=scope, character=character))


# -- single ops --------------------------------------------------------------------------


def test_set_current_node_only_moves_the_pointer() -> None:
    world = world_with(active_characters=["merchant"])
    assert apply_state_op(world, SetCurrentNode(node_id="market")) == world_with(
        current_node="market", active_characters=["merchant"]
    )


def test_set_active_characters_replaces_the_list() -> None:
    world = apply_state_op(world_with(active_characters=["a"]), SetActiveCharacters(characters=["b", "c"]))
    assert world.active_characters == ["b", "c"]


def test_add_active_character_appends_a_new_id() -> None:
    world = apply_state_op(world_with(active_characters=["a"]), AddActiveCharacter(character="b"))
    assert world.active_characters == ["a", "b"]


def test_add_active_character_ignores_an_id_already_present() -> None:
    world = apply_state_op(world_with(active_characters=["a", "b"]), AddActiveCharacter(character="a"))
    assert world.active_characters == ["a", "b"]


def test_remove_active_character_removes_only_the_first_occurrence() -> None:
    world = apply_state_op(world_with(active_characters=["a", "b", "a"]), RemoveActiveCharacter(character="a"))
    assert world.active_characters == ["b", "a"]


def test_remove_absent_active_character_is_a_no_op() -> None:
    world = apply_state_op(world_with(active_characters=["a"]), RemoveActiveCharacter(character="z"))
    assert world.active_characters == ["a"]


def test_set_state_writes_any_json_value() -> None:
    world = apply_state_op(world_with(custom={"a": 1}), SetState(key="gate", value={"open": [True, None]}))
    assert world.custom == {"a": 1, "gate": {"open": [True, None]}}


def test_set_state_overwrites_an_existing_key() -> None:
    world = apply_state_op(world_with(custom={"gate": False}), SetState(key="gate", value=True))
    assert world.custom == {"gate": True}


def test_remove_state_deletes_the_key() -> None:
    world = apply_state_op(world_with(custom={"a": 1, "b": 2}), RemoveState(key="a"))
    assert world.custom == {"b": 2}


def test_remove_missing_state_key_is_a_no_op() -> None:
    world = apply_state_op(world_with(custom={"a": 1}), RemoveState(key="zzz"))
    assert world.custom == {"a": 1}


def test_set_player_state_writes_player_state_only() -> None:
    world = apply_state_op(world_with(), SetPlayerState(key="coins", value=7))
    assert (world.player_state, world.custom) == ({"coins": 7}, {})


def test_remove_player_state_deletes_the_key() -> None:
    world = apply_state_op(world_with(player_state={"coins": 7, "hp": 3}), RemovePlayerState(key="coins"))
    assert world.player_state == {"hp": 3}


def test_set_character_state_creates_the_inner_map() -> None:
    world = apply_state_op(world_with(), SetCharacterState(character="merchant", key="trust", value=2))
    assert world.character_state == {"merchant": {"trust": 2}}


def test_set_character_state_keeps_other_keys_of_that_character() -> None:
    world = apply_state_op(
        world_with(character_state={"merchant": {"mood": "calm"}}),
        SetCharacterState(character="merchant", key="trust", value=2),
    )
    assert world.character_state == {"merchant": {"mood": "calm", "trust": 2}}


def test_removing_last_character_key_drops_the_map() -> None:
    world = apply_state_op(
        world_with(character_state={"mira": {"mood": "calm"}}), RemoveCharacterState(character="mira", key="mood")
    )
    assert "mira" not in world.character_state


def test_removing_one_of_several_character_keys_keeps_the_map() -> None:
    world = apply_state_op(
        world_with(character_state={"mira": {"mood": "calm", "trust": 1}}),
        RemoveCharacterState(character="mira", key="mood"),
    )
    assert world.character_state == {"mira": {"trust": 1}}


def test_removing_character_state_of_an_unknown_character_is_a_no_op() -> None:
    world = apply_state_op(
        world_with(character_state={"mira": {"mood": "calm"}}), RemoveCharacterState(character="ghost", key="mood")
    )
    assert world.character_state == {"mira": {"mood": "calm"}}


# -- purity and updates ------------------------------------------------------------------


def test_applying_an_op_leaves_the_original_state_unchanged() -> None:
    original = world_with(
        active_characters=["a"], custom={"k": 1}, player_state={"p": 1}, character_state={"c": {"x": 1}}
    )
    ops: list[StateOp] = [
        SetState(key="k", value=2),
        RemoveState(key="k"),
        SetPlayerState(key="p", value=2),
        RemovePlayerState(key="p"),
        SetCharacterState(character="c", key="x", value=2),
        RemoveCharacterState(character="c", key="x"),
        AddActiveCharacter(character="b"),
        RemoveActiveCharacter(character="a"),
        SetActiveCharacters(characters=[]),
    ]
    for op in ops:
        apply_state_op(original, op)
    assert original == world_with(
        active_characters=["a"], custom={"k": 1}, player_state={"p": 1}, character_state={"c": {"x": 1}}
    )


def test_updated_state_does_not_share_its_maps_with_the_original() -> None:
    original = world_with(character_state={"c": {"x": 1}})
    updated = apply_state_op(original, SetCharacterState(character="c", key="y", value=2))
    assert updated.character_state["c"] is not original.character_state["c"]


def test_update_applies_ops_in_list_order() -> None:
    update = StateUpdate(ops=[SetState(key="k", value=1), SetState(key="k", value=2), RemoveState(key="gone")])
    world = apply_state_update(world_with(custom={"gone": True}), update)
    assert world.custom == {"k": 2}


def test_set_then_remove_in_one_update_leaves_nothing() -> None:
    update = StateUpdate(ops=[SetPlayerState(key="k", value=1), RemovePlayerState(key="k")])
    assert apply_state_update(world_with(), update).player_state == {}


def test_empty_update_returns_an_equal_state() -> None:
    world = world_with(custom={"a": 1})
    assert apply_state_update(world, StateUpdate(ops=[])) == world


def test_entering_a_node_sets_node_cast_and_applies_on_enter_ops() -> None:
    target = node("market", characters=["guard"], on_enter=[SetState(key="event", value="arrival")])
    world = enter_node(world_with(active_characters=["merchant"]), target)
    assert (world.current_node, world.active_characters, world.custom) == ("market", ["guard"], {"event": "arrival"})


# -- Keeper filter (R7) ------------------------------------------------------------------


def test_keeper_filter_drops_ops_naming_unknown_characters() -> None:
    update = StateUpdate(
        ops=[
            AddActiveCharacter(character="ghost"),
            RemoveActiveCharacter(character="ghost"),
            SetCharacterState(character="ghost", key="k", value=1),
            RemoveCharacterState(character="ghost", key="k"),
        ]
    )
    assert filter_keeper_update(update, ["merchant"]) == StateUpdate(ops=[])


def test_keeper_filter_keeps_ops_naming_cast_characters() -> None:
    ops: list[StateOp] = [
        AddActiveCharacter(character="merchant"),
        RemoveActiveCharacter(character="guard"),
        SetCharacterState(character="merchant", key="k", value=1),
        RemoveCharacterState(character="guard", key="k"),
        SetActiveCharacters(characters=["merchant", "guard"]),
    ]
    assert filter_keeper_update(StateUpdate(ops=ops), ["merchant", "guard"]).ops == ops


def test_keeper_filter_drops_set_active_characters_with_any_unknown_id() -> None:
    update = StateUpdate(ops=[SetActiveCharacters(characters=["merchant", "ghost"])])
    assert filter_keeper_update(update, ["merchant"]).ops == []


def test_keeper_filter_keeps_variable_ops_and_order() -> None:
    update = StateUpdate(
        ops=[
            SetState(key="a", value=1),
            AddActiveCharacter(character="ghost"),
            SetPlayerState(key="b", value=2),
            RemoveState(key="c"),
        ]
    )
    assert filter_keeper_update(update, []).ops == [
        SetState(key="a", value=1),
        SetPlayerState(key="b", value=2),
        RemoveState(key="c"),
    ]


def test_keeper_filter_keeps_an_empty_active_character_list() -> None:
    update = StateUpdate(ops=[SetActiveCharacters(characters=[])])
    assert filter_keeper_update(update, []).ops == [SetActiveCharacters(characters=[])]


# -- progression fallback (§8.3) ---------------------------------------------------------


def test_fallback_restates_a_global_eq_condition() -> None:
    previous = node("dock", [eq_transition("market", "gate_open", True)])
    assert progression_fallback_ops(previous, "market", StateUpdate(ops=[])) == [SetState(key="gate_open", value=True)]


def test_fallback_restates_a_player_eq_condition() -> None:
    previous = node("dock", [eq_transition("market", "paid", 3, ConditionScope.PLAYER)])
    assert progression_fallback_ops(previous, "market", StateUpdate(ops=[])) == [SetPlayerState(key="paid", value=3)]


def test_fallback_restates_a_character_eq_condition() -> None:
    previous = node("dock", [eq_transition("market", "trust", "high", ConditionScope.CHARACTER, "merchant")])
    assert progression_fallback_ops(previous, "market", StateUpdate(ops=[])) == [
        SetCharacterState(character="merchant", key="trust", value="high")
    ]


def test_fallback_uses_the_first_transition_to_the_new_node() -> None:
    previous = node(
        "dock",
        [
            eq_transition("alley", "x", 1),
            eq_transition("market", "first", 1),
            eq_transition("market", "second", 2),
        ],
    )
    assert progression_fallback_ops(previous, "market", StateUpdate(ops=[])) == [SetState(key="first", value=1)]


def test_fallback_ignores_non_eq_conditions() -> None:
    previous = node("dock", [eq_transition("market", "coins", 3, op=ConditionOp.GTE)])
    assert progression_fallback_ops(previous, "market", StateUpdate(ops=[])) == []


def test_fallback_does_nothing_for_an_unconditional_transition() -> None:
    previous = node("dock", [Transition(to="market")])
    assert progression_fallback_ops(previous, "market", StateUpdate(ops=[])) == []


def test_fallback_does_nothing_without_a_transition_to_the_new_node() -> None:
    previous = node("dock", [eq_transition("alley", "k", 1)])
    assert progression_fallback_ops(previous, "market", StateUpdate(ops=[])) == []


def test_fallback_skips_a_key_the_update_already_sets() -> None:
    previous = node("dock", [eq_transition("market", "gate_open", True)])
    update = StateUpdate(ops=[SetState(key="gate_open", value=False)])
    assert progression_fallback_ops(previous, "market", update) == []


def test_fallback_skips_a_key_the_update_already_removes() -> None:
    previous = node("dock", [eq_transition("market", "paid", 1, ConditionScope.PLAYER)])
    update = StateUpdate(ops=[RemovePlayerState(key="paid")])
    assert progression_fallback_ops(previous, "market", update) == []


def test_fallback_is_not_blocked_by_the_same_key_in_another_scope() -> None:
    previous = node("dock", [eq_transition("market", "gate_open", True)])
    update = StateUpdate(ops=[SetPlayerState(key="gate_open", value=False)])
    assert progression_fallback_ops(previous, "market", update) == [SetState(key="gate_open", value=True)]


def test_fallback_is_not_blocked_by_the_same_key_of_another_character() -> None:
    previous = node("dock", [eq_transition("market", "trust", 1, ConditionScope.CHARACTER, "merchant")])
    update = StateUpdate(ops=[SetCharacterState(character="guard", key="trust", value=0)])
    assert progression_fallback_ops(previous, "market", update) == [
        SetCharacterState(character="merchant", key="trust", value=1)
    ]


def test_fallback_is_blocked_by_the_same_character_key() -> None:
    previous = node("dock", [eq_transition("market", "trust", 1, ConditionScope.CHARACTER, "merchant")])
    update = StateUpdate(ops=[RemoveCharacterState(character="merchant", key="trust")])
    assert progression_fallback_ops(previous, "market", update) == []


# -- histories ---------------------------------------------------------------------------


def test_shared_history_appends_at_the_end() -> None:
    world = append_shared_history(world_with(actor_shared_history=[entry("one")]), entry("two"), 8)
    assert [e.text for e in world.actor_shared_history] == ["one", "two"]


def test_shared_history_drops_the_oldest_beyond_the_limit() -> None:
    world = world_with(actor_shared_history=[entry("one"), entry("two"), entry("three")])
    world = append_shared_history(world, entry("four"), 3)
    assert [e.text for e in world.actor_shared_history] == ["two", "three", "four"]


def test_shared_history_limit_zero_empties_the_list() -> None:
    world = append_shared_history(world_with(actor_shared_history=[entry("one")]), entry("two"), 0)
    assert world.actor_shared_history == []


def test_private_memory_is_kept_per_character() -> None:
    world = append_private_memory(world_with(), "merchant", entry("hmm"), 8)
    world = append_private_memory(world, "guard", entry("halt", "guard"), 8)
    assert {c: [e.text for e in m] for c, m in world.actor_private_memory.items()} == {
        "merchant": ["hmm"],
        "guard": ["halt"],
    }


def test_private_memory_is_trimmed_to_its_limit() -> None:
    world = world_with(actor_private_memory={"merchant": [entry("a"), entry("b")]})
    world = append_private_memory(world, "merchant", entry("c"), 2)
    assert [e.text for e in world.actor_private_memory["merchant"]] == ["b", "c"]


def test_private_memory_limit_zero_empties_the_list() -> None:
    world = world_with(actor_private_memory={"merchant": [entry("a")]})
    world = append_private_memory(world, "merchant", entry("b"), 0)
    assert world.actor_private_memory["merchant"] == []


def test_appending_history_leaves_the_original_unchanged() -> None:
    original = world_with(actor_shared_history=[entry("one")], actor_private_memory={"m": [entry("x")]})
    append_shared_history(original, entry("two"), 8)
    append_private_memory(original, "m", entry("y"), 8)
    assert [e.text for e in original.actor_shared_history] == ["one"]
    assert [e.text for e in original.actor_private_memory["m"]] == ["x"]


# -- initial state (§7.8, R6) ------------------------------------------------------------


def seed(**overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "story_id": "story-0",
        "start_node": node("dock", characters=["merchant"]),
        "world_defaults": {},
        "player_defaults": {},
        "character_defaults": {},
        "player_description": "",
    }
    arguments.update(overrides)
    return seed_initial_state(**arguments)


def test_new_session_starts_at_the_start_node_with_its_characters() -> None:
    snapshot = seed(start_node=node("dock", characters=["merchant", "guard"]), player_description="A courier.")
    assert (snapshot.story_id, snapshot.player_description, snapshot.turn_index) == ("story-0", "A courier.", 0)
    assert snapshot.world_state == WorldState(current_node="dock", active_characters=["merchant", "guard"])


def test_non_null_schema_defaults_seed_world_and_player_state() -> None:
    snapshot = seed(world_defaults={"gate_open": False, "none": None}, player_defaults={"coins": 5, "x": None})
    assert snapshot.world_state.custom == {"gate_open": False}
    assert snapshot.world_state.player_state == {"coins": 5}


def test_character_gets_state_only_when_one_of_its_fields_has_a_default() -> None:
    snapshot = seed(character_defaults={"merchant": {"trust": 1, "mood": None}, "guard": {"alert": None}, "cat": {}})
    assert snapshot.world_state.character_state == {"merchant": {"trust": 1}}


def test_start_node_on_enter_ops_apply_after_the_defaults() -> None:
    start = node(
        "dock",
        on_enter=[
            SetState(key="gate_open", value=True),
            RemovePlayerState(key="coins"),
            SetCharacterState(character="merchant", key="trust", value=9),
        ],
    )
    snapshot = seed(
        start_node=start,
        world_defaults={"gate_open": False},
        player_defaults={"coins": 5},
        character_defaults={"merchant": {"trust": 1}},
    )
    world = snapshot.world_state
    assert (world.custom, world.player_state, world.character_state) == (
        {"gate_open": True},
        {},
        {"merchant": {"trust": 9}},
    )


def test_falsy_defaults_other_than_null_are_seeded() -> None:
    snapshot = seed(world_defaults={"zero": 0, "empty": "", "no": False, "list": []})
    assert snapshot.world_state.custom == {"zero": 0, "empty": "", "no": False, "list": []}


def test_keep_declared_values_drops_each_undeclared_or_ill_typed_op_and_says_where() -> None:
    declared = DeclaredFields(
        world={"tide": StateFieldSchema(ValueType.STRING)},
        player={"coins": StateFieldSchema(ValueType.INT, enum_values=[1, 2, 3])},
        characters={"merchant": {"trust": StateFieldSchema(ValueType.INT)}},
    )
    update = StateUpdate(
        [
            SetState("tide", "high"),
            RemoveState("moon"),
            SetPlayerState("coins", 3.0),
            SetPlayerState("coins", 7),
            RemovePlayerState("name"),
            SetCharacterState("merchant", "trust", "a lot"),
            RemoveCharacterState("guard", "trust"),
            AddActiveCharacter("guard"),
        ]
    )
    kept, dropped = keep_declared_values(update, declared)
    assert kept.ops == [SetState("tide", "high"), SetPlayerState("coins", 3), AddActiveCharacter("guard")]
    assert type(kept.ops[1].value) is int  # type: ignore[union-attr]
    assert dropped == [
        "RemoveState dropped: the world schema declares no key 'moon'",
        "SetPlayerState dropped: 'coins' takes one of [1,2,3], got 7",
        "RemovePlayerState dropped: the player schema declares no key 'name'",
        "SetCharacterState dropped: 'trust' takes a value of type int, got \"a lot\"",
        "RemoveCharacterState dropped: character 'guard' declares no key 'trust'",
    ]
