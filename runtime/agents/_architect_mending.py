"""Deterministic repairs of an Architect bundle, made before its checks (a Dramaturg extension of §14.9).

A small model's bundle is often sound but for a few links: a transition to a node it never
wrote, a patch on a node that does not exist, a start node that is not among its nodes, a
character outside the cast, a schema default of the wrong type. Each of those has one obvious
repair that keeps everything else, so it is made here, with a warning per repair (the call's
telemetry records them as a format warning), and only what cannot be mended this way earns the
LLM repair call. Pure.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

import attrs

from runtime.model.graph import ConditionScope, NarrativeNode
from runtime.model.schemas import StateFieldSchema, StateSchema, ValueType
from runtime.model.state import (
    RemoveCharacterState,
    RemovePlayerState,
    RemoveState,
    SetCharacterState,
    SetCurrentNode,
    SetPlayerState,
    SetState,
    StateOp,
    StateUpdate,
)
from runtime.schema_rules import state_field_problem
from runtime.state import DeclaredFields, keep_declared_values

_VALUE_TYPES: Final = {bool: ValueType.BOOL, int: ValueType.INT, float: ValueType.FLOAT, str: ValueType.STRING}
"""The field type a value used in a condition or an update implies (other values imply none)."""


@attrs.frozen
class Mended:
    """What a repair turned the bundle's parts into, and one warning per repair made."""

    nodes: list[NarrativeNode]
    warnings: list[str]


def mend_nodes(nodes: list[NarrativeNode], existing_ids: Collection[str], cast_ids: Collection[str]) -> Mended:
    """The nodes with fresh ids where theirs was taken, and without transitions to missing
    nodes, foreign characters and SetCurrentNode updates. Targets may be `existing_ids` or the
    ids of the returned nodes (a link to a taken id keeps pointing at the node that had it)."""
    warnings: list[str] = []
    taken = set(existing_ids)
    kept: list[NarrativeNode] = []
    for node in nodes:
        if node.id in taken:
            fresh = _fresh_id(node.id, taken)
            warnings.append(f"node id '{node.id}' is already used: the new node is '{fresh}'")
            node = attrs.evolve(node, id=fresh)
        taken.add(node.id)
        kept.append(node)
    cast = frozenset(cast_ids)
    return Mended([_mend_node(node, taken, cast, warnings) for node in kept], warnings)


def _mend_node(node: NarrativeNode, known: Collection[str], cast: frozenset[str], warnings: list[str]) -> NarrativeNode:
    transitions = []
    for transition in node.transitions:
        if transition.to in known:
            transitions.append(transition)
        else:
            warnings.append(f"dropped transition from '{node.id}' to missing node '{transition.to}'")
    characters = []
    for character in node.characters:
        if character in cast:
            characters.append(character)
        else:
            warnings.append(f"dropped character '{character}' from node '{node.id}': not in the story cast")
    updates: list[StateOp] = [op for op in node.on_enter_updates if not isinstance(op, SetCurrentNode)]
    if len(updates) < len(node.on_enter_updates):
        warnings.append(f"dropped SetCurrentNode from the on_enter_updates of node '{node.id}'")
    characters = list(dict.fromkeys(characters))
    if (transitions, characters, updates) == (node.transitions, node.characters, node.on_enter_updates):
        return node
    return attrs.evolve(node, transitions=transitions, characters=characters, on_enter_updates=updates)


def _fresh_id(node_id: str, taken: Collection[str]) -> str:
    number = 2
    while f"{node_id}_{number}" in taken:
        number += 1
    return f"{node_id}_{number}"


def mend_start_node(start_node: str | None, nodes: list[NarrativeNode], warnings: list[str]) -> str | None:
    """The start node, or the first node when the named one was not returned."""
    ids = [node.id for node in nodes]
    if not ids or start_node in ids:
        return start_node
    warnings.append(f"start_node '{start_node}' is not a returned node: the first node '{ids[0]}' starts instead")
    return ids[0]


def mend_schema(schema: StateSchema | None, which: str, warnings: list[str]) -> StateSchema | None:
    """The schema with each field's broken default and enum values left out (§7.5 rules)."""
    if schema is None:
        return None
    fields: dict[str, StateFieldSchema] = {}
    for key, field in schema.fields.items():
        problem = state_field_problem(field)
        if problem is None:
            fields[key] = field
            continue
        fields[key] = _without_default_or_enum(field)
        warnings.append(f"{which} field '{key}': {problem}; its default and enum values were left out")
    return StateSchema(fields)


def _without_default_or_enum(field: StateFieldSchema) -> StateFieldSchema:
    bare = attrs.evolve(field, default=None, enum_values=None)
    with_enum = attrs.evolve(bare, enum_values=field.enum_values)
    return with_enum if field.enum_values and state_field_problem(with_enum) is None else bare


def declare_used_variables(
    nodes: list[NarrativeNode], world: StateSchema, player: StateSchema, warnings: list[str]
) -> tuple[StateSchema, StateSchema]:
    """The world and player schemas with a field for each key the nodes' conditions and updates
    use but the schemas leave out, typed by the first scalar value used with it: a story whose
    transitions test a variable nobody can set would never move."""
    fields = {ConditionScope.GLOBAL: dict(world.fields), ConditionScope.PLAYER: dict(player.fields)}
    for scope, key, value in _used_variables(nodes):
        scoped = fields.get(scope)
        value_type = _VALUE_TYPES.get(type(value))
        if scoped is None or key in scoped or value_type is None:
            continue
        scoped[key] = StateFieldSchema(value_type)
        warnings.append(
            f"{'world' if scope is ConditionScope.GLOBAL else 'player'} key '{key}' was used but not declared: declared as {value_type.value}"
        )
    return StateSchema(fields[ConditionScope.GLOBAL]), StateSchema(fields[ConditionScope.PLAYER])


def _used_variables(nodes: list[NarrativeNode]) -> list[tuple[ConditionScope, str, Any]]:
    used: list[tuple[ConditionScope, str, Any]] = []
    for node in nodes:
        for transition in node.transitions:
            if transition.condition is not None:
                used.append((transition.condition.scope, transition.condition.key, transition.condition.value))
        for op in node.on_enter_updates:
            if isinstance(op, (SetState, SetPlayerState)):
                scope = ConditionScope.GLOBAL if isinstance(op, SetState) else ConditionScope.PLAYER
                used.append((scope, op.key, op.value))
            elif isinstance(op, (RemoveState, RemovePlayerState)):
                scope = ConditionScope.GLOBAL if isinstance(op, RemoveState) else ConditionScope.PLAYER
                used.append((scope, op.key, None))
    return used


def keep_declared_updates(
    nodes: list[NarrativeNode], declared: DeclaredFields, warnings: list[str], *, check_characters: bool = True
) -> list[NarrativeNode]:
    """The nodes without the entry updates that name an undeclared variable or write a value
    its field does not take: such a value would be stored when a session enters the node.
    Character updates are checked only with `check_characters` (when the cast's schemas are known)."""
    kept = []
    for node in nodes:
        ops: list[StateOp] = []
        for op in node.on_enter_updates:
            if not check_characters and _on_character(op):
                ops.append(op)
                continue
            # One op at a time, so the kept ones stay in order and take the value as the field
            # stores it (an int for an integral 3.0).
            update, dropped = keep_declared_values(StateUpdate([op]), declared)
            ops.extend(update.ops)
            warnings.extend(f"node '{node.id}' on_enter_updates: {reason}" for reason in dropped)
        kept.append(attrs.evolve(node, on_enter_updates=ops))
    return kept


def _on_character(op: object) -> bool:
    return isinstance(op, (SetCharacterState, RemoveCharacterState))
