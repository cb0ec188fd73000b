"""The live state of a session and the rules that change it (PROTOCOL §7.3, §7.4, §7.6, §7.8, §8.3).

Owns: applying StateOps, evaluating transition conditions and picking the transition (R3),
the Keeper character filter (R7), the progression fallback, the history windows kept in the
state, and the initial state of a new session (R6). Every function is pure: records are
frozen, and each change returns a new record built from copies.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final

import attrs

from runtime.model.graph import Condition, ConditionOp, ConditionScope, NarrativeNode, Transition
from runtime.model.schemas import StateFieldSchema, ValueType
from runtime.model.state import (
    ActorMemoryEntry,
    AddActiveCharacter,
    RemoveActiveCharacter,
    RemoveCharacterState,
    RemovePlayerState,
    RemoveState,
    RuntimeSnapshot,
    SetActiveCharacters,
    SetCharacterState,
    SetCurrentNode,
    SetPlayerState,
    SetState,
    StateOp,
    StateUpdate,
    WorldState,
)
from runtime.schema_rules import compact_json, value_matches_type


class _Missing:
    """The value of a key that is not in the state: distinct from a stored JSON `null`."""


_MISSING: Final = _Missing()


# -- ops ---------------------------------------------------------------------------------


def apply_state_op(world: WorldState, op: StateOp) -> WorldState:
    """A copy of `world` with `op` applied (§7.4). Values are not checked against a schema."""
    match op:
        case SetCurrentNode(node_id=node_id):
            return attrs.evolve(world, current_node=node_id)
        case SetActiveCharacters(characters=characters):
            return attrs.evolve(world, active_characters=list(characters))
        case AddActiveCharacter(character=character):
            if character in world.active_characters:
                return world
            return attrs.evolve(world, active_characters=[*world.active_characters, character])
        case RemoveActiveCharacter(character=character):
            return attrs.evolve(world, active_characters=_without_first(world.active_characters, character))
        case SetState(key=key, value=value):
            return attrs.evolve(world, custom={**world.custom, key: value})
        case RemoveState(key=key):
            return attrs.evolve(world, custom=_without_key(world.custom, key))
        case SetPlayerState(key=key, value=value):
            return attrs.evolve(world, player_state={**world.player_state, key: value})
        case RemovePlayerState(key=key):
            return attrs.evolve(world, player_state=_without_key(world.player_state, key))
        case SetCharacterState(character=character, key=key, value=value):
            inner = {**world.character_state.get(character, {}), key: value}
            return attrs.evolve(world, character_state={**world.character_state, character: inner})
        case RemoveCharacterState(character=character, key=key):
            return attrs.evolve(world, character_state=_without_character_key(world.character_state, character, key))
    raise TypeError(f"not a StateOp: {op!r}")


def apply_state_update(world: WorldState, update: StateUpdate | Iterable[StateOp]) -> WorldState:
    """A copy of `world` with the ops of `update` applied in list order."""
    ops = update.ops if isinstance(update, StateUpdate) else update
    for op in ops:
        world = apply_state_op(world, op)
    return world


def enter_node(world: WorldState, node: NarrativeNode) -> WorldState:
    """The state after moving into `node` (§8.2 step 4.1): current node, its cast, its on-enter ops."""
    world = attrs.evolve(world, current_node=node.id, active_characters=list(node.characters))
    return apply_state_update(world, node.on_enter_updates)


def _without_first(items: list[str], item: str) -> list[str]:
    if item not in items:
        return list(items)
    index = items.index(item)
    return [*items[:index], *items[index + 1 :]]


def _without_key(values: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != key}


def _without_character_key(
    character_state: dict[str, dict[str, Any]], character: str, key: str
) -> dict[str, dict[str, Any]]:
    inner = character_state.get(character)
    if inner is None or key not in inner:
        return dict(character_state)
    remaining = _without_key(inner, key)
    if not remaining:
        return {c: values for c, values in character_state.items() if c != character}
    return {**character_state, character: remaining}


# -- conditions --------------------------------------------------------------------------


def condition_holds(condition: Condition, world: WorldState) -> bool:
    """Whether `condition` is true in `world` (§7.3, R12). A missing value is false for every op."""
    actual = _lookup(condition, world)
    if actual is _MISSING:
        return False
    expected = condition.value
    match condition.op:
        case ConditionOp.EQ:
            return json_values_equal(actual, expected)
        case ConditionOp.NE:
            return not json_values_equal(actual, expected)
        case ConditionOp.GT | ConditionOp.GTE | ConditionOp.LT | ConditionOp.LTE:
            return _compare_numbers(condition.op, actual, expected)
        case ConditionOp.CONTAINS:
            return _contains(actual, expected)
    return False


def select_transition(node: NarrativeNode, world: WorldState) -> Transition | None:
    """The first transition of `node`, in list order, whose condition holds (R3); None if none does.

    A transition without a condition always holds.
    """
    for transition in node.transitions:
        if transition.condition is None or condition_holds(transition.condition, world):
            return transition
    return None


def json_values_equal(left: Any, right: Any) -> bool:
    """JSON equality with numbers compared numerically (`1` equals `1.0`), also inside arrays and
    objects; a boolean is never equal to a number (R12)."""
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_values_equal(a, b) for a, b in zip(left, right, strict=False))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_values_equal(left[k], right[k]) for k in left)
    return _strictly_equal_scalars(left, right)


def json_values_identical(left: Any, right: Any) -> bool:
    """Strict JSON equality: an integer and a float are different values (`1` is not `1.0`)."""
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_values_identical(a, b) for a, b in zip(left, right, strict=False))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_values_identical(left[k], right[k]) for k in left)
    return _strictly_equal_scalars(left, right)


def _strictly_equal_scalars(left: Any, right: Any) -> bool:
    if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
        return False
    return type(left) is type(right) and bool(left == right)


def _lookup(condition: Condition, world: WorldState) -> Any:
    if condition.scope is ConditionScope.GLOBAL:
        return world.custom.get(condition.key, _MISSING)
    if condition.scope is ConditionScope.PLAYER:
        return world.player_state.get(condition.key, _MISSING)
    if condition.character is None:
        return _MISSING
    return world.character_state.get(condition.character, {}).get(condition.key, _MISSING)


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _compare_numbers(op: ConditionOp, actual: Any, expected: Any) -> bool:
    if not (_is_number(actual) and _is_number(expected)):
        return False
    if op is ConditionOp.GT:
        return bool(actual > expected)
    if op is ConditionOp.GTE:
        return bool(actual >= expected)
    if op is ConditionOp.LT:
        return bool(actual < expected)
    return bool(actual <= expected)


def _contains(actual: Any, expected: Any) -> bool:
    # Arrays keep the reference's strict equality: R12 changed eq/ne only.
    if isinstance(actual, list):
        return any(json_values_identical(item, expected) for item in actual)
    if isinstance(actual, str) and isinstance(expected, str):
        return expected in actual
    if isinstance(actual, dict) and isinstance(expected, str):
        return expected in actual
    return False


# -- Keeper filter and progression fallback ----------------------------------------------


@attrs.frozen
class DeclaredFields:
    """The variables a session declares: its world and player schemas' fields, and each story
    character's own schema fields (a character without a schema, or a session character, has none)."""

    world: Mapping[str, StateFieldSchema] = attrs.field(factory=dict)
    player: Mapping[str, StateFieldSchema] = attrs.field(factory=dict)
    characters: Mapping[str, Mapping[str, StateFieldSchema]] = attrs.field(factory=dict)

    def fields_of(self, scope: ConditionScope, character: str | None) -> Mapping[str, StateFieldSchema]:
        """The fields declared for variables of `scope` (of `character` in its scope)."""
        if scope is ConditionScope.GLOBAL:
            return self.world
        if scope is ConditionScope.PLAYER:
            return self.player
        return self.characters.get(character or "", {})


_SET_OPS: Final = (SetState, SetPlayerState, SetCharacterState)
_SCHEMA_NAMES: Final = {ConditionScope.GLOBAL: "the world schema", ConditionScope.PLAYER: "the player schema"}


def keep_declared_values(update: StateUpdate, declared: DeclaredFields) -> tuple[StateUpdate, list[str]]:
    """`update` without the variable ops that name an undeclared key or set a value its field does
    not accept (type, then enum); and one reason per dropped op, in op order.

    An integral number (`3.0`) for an int field is kept as the int: JSON does not tell them apart.
    Other ops (active characters) pass unchanged.
    """
    kept: list[StateOp] = []
    dropped: list[str] = []
    for op in update.ops:
        variable = _variable_of(op)
        if variable is None:
            kept.append(op)
            continue
        scope, character, key = variable
        field = declared.fields_of(scope, character).get(key)
        if field is None:
            where = _SCHEMA_NAMES.get(scope) or f"character '{character}'"
            dropped.append(f"{type(op).__name__} dropped: {where} declares no key '{key}'")
            continue
        if not isinstance(op, _SET_OPS):
            kept.append(op)
            continue
        value = _declared_value(op.value, field)
        if value is _MISSING:
            dropped.append(
                f"{type(op).__name__} dropped: '{op.key}' takes {_accepted(field)}, got {compact_json(op.value)}"
            )
            continue
        kept.append(attrs.evolve(op, value=value))
    return StateUpdate(ops=kept), dropped


def _declared_value(value: Any, field: StateFieldSchema) -> Any:
    """`value` as the field stores it, or _MISSING when the field does not accept it."""
    if field.value_type is ValueType.INT and type(value) is float and value.is_integer():
        value = int(value)
    if not value_matches_type(value, field.value_type):
        return _MISSING
    if field.enum_values and not any(json_values_identical(value, item) for item in field.enum_values):
        return _MISSING
    return value


def _accepted(field: StateFieldSchema) -> str:
    if field.enum_values:
        return f"one of {compact_json(field.enum_values)}"
    return f"a value of type {field.value_type.value}"


def filter_keeper_update(update: StateUpdate, cast_ids: Collection[str]) -> StateUpdate:
    """`update` without the ops that name a character outside `cast_ids` (R7)."""
    cast = frozenset(cast_ids)
    return StateUpdate(ops=[op for op in update.ops if _names_only_cast(op, cast)])


def _names_only_cast(op: StateOp, cast: frozenset[str]) -> bool:
    if isinstance(op, SetActiveCharacters):
        return all(character in cast for character in op.characters)
    if isinstance(op, (AddActiveCharacter, RemoveActiveCharacter, SetCharacterState, RemoveCharacterState)):
        return op.character in cast
    return True


def progression_fallback_ops(
    previous_node: NarrativeNode, new_node_id: str, second_update: StateUpdate
) -> list[StateOp]:
    """The op that restates the condition of the transition just taken (§8.3), or `[]`.

    Call only when the Director transitioned from `previous_node` to `new_node_id`. The first
    transition to `new_node_id` counts; only an `eq` condition is restated, and only when
    `second_update` does not already set or remove that key (same scope, same character).
    """
    transition = next((t for t in previous_node.transitions if t.to == new_node_id), None)
    if transition is None or transition.condition is None:
        return []
    condition = transition.condition
    if condition.op is not ConditionOp.EQ or _update_touches(second_update, condition):
        return []
    if condition.scope is ConditionScope.GLOBAL:
        return [SetState(key=condition.key, value=condition.value)]
    if condition.scope is ConditionScope.PLAYER:
        return [SetPlayerState(key=condition.key, value=condition.value)]
    if condition.character is None:
        return []
    return [SetCharacterState(character=condition.character, key=condition.key, value=condition.value)]


def _update_touches(update: StateUpdate, condition: Condition) -> bool:
    character = condition.character if condition.scope is ConditionScope.CHARACTER else None
    variable = (condition.scope, character, condition.key)
    return any(_variable_of(op) == variable for op in update.ops)


def _variable_of(op: StateOp) -> tuple[ConditionScope, str | None, str] | None:
    """The variable a Set or Remove op writes, as (scope, character, key); None for other ops."""
    match op:
        case SetState(key=key) | RemoveState(key=key):
            return (ConditionScope.GLOBAL, None, key)
        case SetPlayerState(key=key) | RemovePlayerState(key=key):
            return (ConditionScope.PLAYER, None, key)
        case SetCharacterState(character=character, key=key) | RemoveCharacterState(character=character, key=key):
            return (ConditionScope.CHARACTER, character, key)
    return None


# -- histories ---------------------------------------------------------------------------


def append_shared_history(world: WorldState, entry: ActorMemoryEntry, limit: int) -> WorldState:
    """A copy of `world` with `entry` appended to the shared history, trimmed (oldest first) to
    the last `limit` entries; a limit of 0 leaves the history empty (§7.6)."""
    history = _last(limit, [*world.actor_shared_history, entry])
    return attrs.evolve(world, actor_shared_history=history)


def append_private_memory(world: WorldState, character_id: str, entry: ActorMemoryEntry, limit: int) -> WorldState:
    """A copy of `world` with `entry` appended to `character_id`'s private memory, trimmed to the
    last `limit` entries; a limit of 0 leaves that memory empty (§7.6)."""
    memory = _last(limit, [*world.actor_private_memory.get(character_id, []), entry])
    return attrs.evolve(world, actor_private_memory={**world.actor_private_memory, character_id: memory})


def _last(limit: int, entries: list[ActorMemoryEntry]) -> list[ActorMemoryEntry]:
    if limit <= 0:
        return []
    return entries[-limit:]


# -- a new session -----------------------------------------------------------------------


def seed_initial_state(
    *,
    story_id: str,
    start_node: NarrativeNode,
    world_defaults: Mapping[str, Any],
    player_defaults: Mapping[str, Any],
    character_defaults: Mapping[str, Mapping[str, Any]],
    player_description: str,
) -> RuntimeSnapshot:
    """The snapshot of a new session (§7.8, R6).

    1. At `start_node` with its characters active, turn 0, empty histories.
    2. Every non-null schema default written into the state: `world_defaults` → `custom`,
       `player_defaults` → `player_state`, `character_defaults[character_id]` →
       `character_state[character_id]` (only for characters with at least one default).
       Each mapping is field key → default, in schema order; `None` means no default.
    3. The start node's `on_enter_updates` applied.
    """
    character_state = {
        character_id: seeded
        for character_id, defaults in character_defaults.items()
        if (seeded := _present_defaults(defaults))
    }
    world = WorldState(
        current_node=start_node.id,
        active_characters=list(start_node.characters),
        custom=_present_defaults(world_defaults),
        player_state=_present_defaults(player_defaults),
        character_state=character_state,
    )
    world = apply_state_update(world, start_node.on_enter_updates)
    return RuntimeSnapshot(
        story_id=story_id,
        player_description=player_description,
        turn_index=0,
        world_state=world,
    )


def _present_defaults(defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in defaults.items() if value is not None}
