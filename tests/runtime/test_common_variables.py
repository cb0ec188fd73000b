"""Common-variable validation (§7.7) of runtime/common_variables.py and its record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

import pytest

from runtime.codec import CODEC
from runtime.common_variables import validate_common_variables
from runtime.errors import InvalidParams
from runtime.model.stories import CommonVariableDefinition, CommonVariableScope

WORLD = CommonVariableScope.WORLD
PLAYER = CommonVariableScope.PLAYER
CHARACTER = CommonVariableScope.CHARACTER

CHARACTER_FIELDS: Mapping[str, AbstractSet[str] | None] = {"merchant": {"trust", "mood"}, "guard": {"alert"}}


def var(
    scope: CommonVariableScope, key: str, character_id: str | None = None, display_name: str = "Shown"
) -> CommonVariableDefinition:
    return CommonVariableDefinition(scope=scope, key=key, display_name=display_name, character_id=character_id)


def validate(
    variables: Sequence[CommonVariableDefinition],
    character_fields: Mapping[str, AbstractSet[str] | None] = CHARACTER_FIELDS,
) -> None:
    validate_common_variables(
        variables,
        world_fields={"gate_open", "alarm"},
        player_fields={"coins"},
        character_ids=["merchant", "guard"],
        character_fields=character_fields,
    )


def error_of(
    *variables: CommonVariableDefinition,
    character_fields: Mapping[str, AbstractSet[str] | None] = CHARACTER_FIELDS,
) -> str:
    with pytest.raises(InvalidParams) as caught:
        validate(variables, character_fields)
    return caught.value.message


# -- valid -------------------------------------------------------------------------------


def test_variables_bound_to_existing_fields_are_valid() -> None:
    validate([var(WORLD, "gate_open"), var(PLAYER, "coins"), var(CHARACTER, "trust", "merchant")])


def test_no_variables_are_valid() -> None:
    validate([])


def test_same_key_in_different_scopes_is_not_a_duplicate() -> None:
    validate_common_variables(
        [var(WORLD, "trust"), var(PLAYER, "trust"), var(CHARACTER, "trust", "merchant")],
        world_fields={"trust"},
        player_fields={"trust"},
        character_ids=["merchant"],
        character_fields={"merchant": {"trust"}},
    )


def test_same_key_of_two_characters_is_not_a_duplicate() -> None:
    validate_common_variables(
        [var(CHARACTER, "trust", "merchant"), var(CHARACTER, "trust", "guard")],
        world_fields=set(),
        player_fields=set(),
        character_ids=["merchant", "guard"],
        character_fields={"merchant": {"trust"}, "guard": {"trust"}},
    )


def test_blank_character_id_on_a_world_variable_counts_as_unset() -> None:
    validate([var(WORLD, "gate_open", character_id="  ")])


# -- errors ------------------------------------------------------------------------------


def test_blank_key_is_rejected() -> None:
    assert error_of(var(WORLD, "  ")) == "invalid common variable: key must not be empty"


def test_blank_display_name_is_rejected() -> None:
    assert error_of(var(WORLD, "gate_open", display_name=" ")) == (
        "invalid common variable: display_name must not be empty for key 'gate_open'"
    )


def test_world_variable_must_exist_in_the_world_schema() -> None:
    assert error_of(var(WORLD, "x")) == "invalid common variable: world variable 'x' does not exist in the bound schema"


def test_player_variable_must_exist_in_the_player_schema() -> None:
    assert error_of(var(PLAYER, "gate_open")) == (
        "invalid common variable: player variable 'gate_open' does not exist in the bound schema"
    )


def test_world_variable_must_not_name_a_character() -> None:
    assert error_of(var(WORLD, "gate_open", "merchant")) == (
        "invalid common variable: world variable 'gate_open' must not set character_id"
    )


def test_player_variable_must_not_name_a_character() -> None:
    assert error_of(var(PLAYER, "coins", "merchant")) == (
        "invalid common variable: player variable 'coins' must not set character_id"
    )


def test_character_variable_requires_a_character() -> None:
    assert error_of(var(CHARACTER, "trust")) == (
        "invalid common variable: character variable 'trust' requires character_id"
    )


def test_character_variable_must_name_a_story_character() -> None:
    assert error_of(var(CHARACTER, "trust", "stranger")) == (
        "invalid common variable: character variable 'stranger.trust' references a character not used by this story"
    )


def test_character_variable_needs_a_loadable_schema() -> None:
    fields: Mapping[str, AbstractSet[str] | None] = {"merchant": None, "guard": {"alert"}}
    assert error_of(var(CHARACTER, "trust", "merchant"), character_fields=fields) == (
        "invalid common variable: character variable 'merchant.trust' references character 'merchant' "
        "whose schema could not be loaded"
    )


def test_character_missing_from_the_schema_map_counts_as_unloadable() -> None:
    message = error_of(var(CHARACTER, "trust", "merchant"), character_fields={})
    assert message.endswith("whose schema could not be loaded")


def test_character_variable_must_exist_in_that_characters_schema() -> None:
    assert error_of(var(CHARACTER, "trust", "guard")) == (
        "invalid common variable: character variable 'guard.trust' does not exist in the bound schema"
    )


def test_duplicate_world_variable_is_rejected() -> None:
    assert error_of(var(WORLD, "gate_open"), var(WORLD, "gate_open", display_name="Again")) == (
        "invalid common variable: duplicate world variable 'gate_open'"
    )


def test_duplicate_character_variable_is_rejected() -> None:
    assert error_of(var(CHARACTER, "trust", "merchant"), var(CHARACTER, "trust", "merchant")) == (
        "invalid common variable: duplicate character variable 'merchant.trust'"
    )


def test_first_bad_variable_in_list_order_is_reported() -> None:
    assert error_of(var(PLAYER, "nope"), var(WORLD, " ")) == (
        "invalid common variable: player variable 'nope' does not exist in the bound schema"
    )


def test_key_is_checked_before_display_name() -> None:
    assert error_of(var(WORLD, "", display_name="")) == "invalid common variable: key must not be empty"


# -- record ------------------------------------------------------------------------------


def test_definition_defaults_to_pinned_without_character() -> None:
    definition = CODEC.structure({"scope": "world", "key": "k", "display_name": "K"}, CommonVariableDefinition)
    assert (definition.pinned, definition.character_id) == (True, None)


def test_definition_omits_an_absent_character_id_on_the_wire() -> None:
    definition = CommonVariableDefinition(scope=WORLD, key="k", display_name="K")
    assert CODEC.unstructure(definition) == {"scope": "world", "key": "k", "display_name": "K", "pinned": True}


def test_definition_writes_a_character_id_when_set() -> None:
    definition = CommonVariableDefinition(
        scope=CHARACTER, key="trust", display_name="Trust", character_id="merchant", pinned=False
    )
    assert CODEC.unstructure(definition) == {
        "scope": "character",
        "key": "trust",
        "display_name": "Trust",
        "character_id": "merchant",
        "pinned": False,
    }


def test_definition_with_an_unknown_scope_is_refused() -> None:
    with pytest.raises(InvalidParams, match=r"params.scope"):
        CODEC.structure({"scope": "global", "key": "k", "display_name": "K"}, CommonVariableDefinition)
