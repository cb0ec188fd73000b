"""Validation of a story's common variables against its schemas (PROTOCOL §7.7). Pure; no I/O.

The caller loads the schemas and passes their field keys; this module only decides.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Final

from runtime.errors import InvalidParams
from runtime.model.stories import CommonVariableDefinition, CommonVariableScope

ERROR_PREFIX: Final = "invalid common variable: "


def validate_common_variables(
    variables: Sequence[CommonVariableDefinition],
    *,
    world_fields: AbstractSet[str],
    player_fields: AbstractSet[str],
    character_ids: Collection[str],
    character_fields: Mapping[str, AbstractSet[str] | None],
) -> None:
    """Raise `InvalidParams("invalid common variable: …")` for the first bad variable, in order.

    `world_fields` / `player_fields` are the keys of the bound world / player schema;
    `character_ids` are the resource's characters; `character_fields` maps a character id to
    its schema's keys, or to None (or nothing) when that schema could not be loaded.
    """
    seen: set[tuple[CommonVariableScope, str | None, str]] = set()
    for variable in variables:
        detail = _problem(variable, world_fields, player_fields, character_ids, character_fields)
        if detail is None:
            identity = (variable.scope, _character_of(variable), variable.key)
            if identity in seen:
                detail = f"duplicate {variable.scope.value} variable '{_qualified_key(variable)}'"
            seen.add(identity)
        if detail is not None:
            raise InvalidParams(ERROR_PREFIX + detail)


def _problem(
    variable: CommonVariableDefinition,
    world_fields: AbstractSet[str],
    player_fields: AbstractSet[str],
    character_ids: Collection[str],
    character_fields: Mapping[str, AbstractSet[str] | None],
) -> str | None:
    key = variable.key
    if not key.strip():
        return "key must not be empty"
    if not variable.display_name.strip():
        return f"display_name must not be empty for key '{key}'"
    if variable.scope is CommonVariableScope.CHARACTER:
        return _character_problem(variable, character_ids, character_fields)
    scope = variable.scope.value
    if _character_of(variable) is not None:
        return f"{scope} variable '{key}' must not set character_id"
    fields = world_fields if variable.scope is CommonVariableScope.WORLD else player_fields
    if key not in fields:
        return f"{scope} variable '{key}' does not exist in the bound schema"
    return None


def _character_problem(
    variable: CommonVariableDefinition,
    character_ids: Collection[str],
    character_fields: Mapping[str, AbstractSet[str] | None],
) -> str | None:
    character_id = _character_of(variable)
    if character_id is None:
        return f"character variable '{variable.key}' requires character_id"
    name = _qualified_key(variable)
    if character_id not in character_ids:
        return f"character variable '{name}' references a character not used by this story"
    fields = character_fields.get(character_id)
    if fields is None:
        return f"character variable '{name}' references character '{character_id}' whose schema could not be loaded"
    if variable.key not in fields:
        return f"character variable '{name}' does not exist in the bound schema"
    return None


def _character_of(variable: CommonVariableDefinition) -> str | None:
    """The variable's character id; a blank one counts as not set."""
    if variable.character_id is None or not variable.character_id.strip():
        return None
    return variable.character_id


def _qualified_key(variable: CommonVariableDefinition) -> str:
    character_id = _character_of(variable)
    if variable.scope is CommonVariableScope.CHARACTER and character_id is not None:
        return f"{character_id}.{variable.key}"
    return variable.key
