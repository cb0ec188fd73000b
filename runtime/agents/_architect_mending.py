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

import attrs

from runtime.model.graph import NarrativeNode
from runtime.model.schemas import StateFieldSchema, StateSchema
from runtime.model.state import SetCurrentNode
from runtime.schema_rules import state_field_problem


@attrs.frozen
class Mended:
    """What a repair turned the bundle's parts into, and one warning per repair made."""

    nodes: list[NarrativeNode]
    warnings: list[str]


def mend_nodes(nodes: list[NarrativeNode], existing_ids: Collection[str], cast_ids: Collection[str]) -> Mended:
    """The nodes without repeated or taken ids, transitions to missing nodes, foreign characters
    and SetCurrentNode updates. Targets may be `existing_ids` or the ids of the kept nodes."""
    warnings: list[str] = []
    taken = set(existing_ids)
    kept: list[NarrativeNode] = []
    for node in nodes:
        if node.id in taken:
            warnings.append(f"dropped node '{node.id}': the id is already used")
            continue
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
    updates = [op for op in node.on_enter_updates if not isinstance(op, SetCurrentNode)]
    if len(updates) < len(node.on_enter_updates):
        warnings.append(f"dropped SetCurrentNode from the on_enter_updates of node '{node.id}'")
    characters = list(dict.fromkeys(characters))
    if (transitions, characters, updates) == (node.transitions, node.characters, node.on_enter_updates):
        return node
    return attrs.evolve(node, transitions=transitions, characters=characters, on_enter_updates=updates)


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
