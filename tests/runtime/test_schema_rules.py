"""State-schema field rules (PROTOCOL §7.5): value-type matching, defaults and enum values."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.errors import InvalidParams
from runtime.model.schemas import StateFieldSchema, ValueType
from runtime.schema_rules import state_field_problem, state_fields_error, validate_state_fields, value_matches_type

ACCEPTED: list[tuple[ValueType, Any]] = [
    (ValueType.BOOL, True),
    (ValueType.INT, 0),
    (ValueType.INT, -(2**63)),
    (ValueType.INT, 2**64 - 1),
    (ValueType.FLOAT, 1.5),
    (ValueType.FLOAT, 3),
    (ValueType.FLOAT, 2**70),
    (ValueType.STRING, ""),
    (ValueType.ARRAY, [1, "a"]),
    (ValueType.OBJECT, {"a": 1}),
    (ValueType.NULL, None),
]

REFUSED: list[tuple[ValueType, Any]] = [
    (ValueType.BOOL, 1),
    (ValueType.INT, True),
    (ValueType.INT, 1.0),
    (ValueType.INT, -(2**63) - 1),
    (ValueType.INT, 2**64),
    (ValueType.INT, "1"),
    (ValueType.FLOAT, False),
    (ValueType.FLOAT, "1.5"),
    (ValueType.FLOAT, float("nan")),
    (ValueType.FLOAT, float("inf")),
    (ValueType.STRING, 1),
    (ValueType.ARRAY, {"a": 1}),
    (ValueType.OBJECT, [1]),
    (ValueType.NULL, 0),
]


@pytest.mark.parametrize(("value_type", "value"), ACCEPTED)
def test_value_type_accepts(value_type: ValueType, value: Any) -> None:
    assert value_matches_type(value, value_type)


@pytest.mark.parametrize(("value_type", "value"), REFUSED)
def test_value_type_refuses(value_type: ValueType, value: Any) -> None:
    assert not value_matches_type(value, value_type)


def test_a_field_without_default_or_enum_is_fine_for_every_type() -> None:
    for value_type in ValueType:
        assert state_field_problem(StateFieldSchema(value_type)) is None


def test_default_of_the_wrong_type_is_named_with_its_compact_json() -> None:
    field = StateFieldSchema(ValueType.INT, default="x")
    assert state_field_problem(field) == "default must match value_type 'int', got \"x\""
    nested = StateFieldSchema(ValueType.STRING, default={"a": [1, 2]})
    assert state_field_problem(nested) == "default must match value_type 'string', got {\"a\":[1,2]}"


def test_bool_default_is_not_an_int() -> None:
    assert state_field_problem(StateFieldSchema(ValueType.INT, default=True)) == (
        "default must match value_type 'int', got true"
    )


def test_enum_values_need_a_scalar_type() -> None:
    field = StateFieldSchema(ValueType.ARRAY, enum_values=[[1]])
    assert state_field_problem(field) == "enum_values are only supported for scalar types, got array"


def test_empty_enum_values_are_no_constraint_even_for_non_scalars() -> None:
    assert state_field_problem(StateFieldSchema(ValueType.OBJECT, default={"a": 1}, enum_values=[])) is None


def test_every_enum_item_must_match_the_type() -> None:
    field = StateFieldSchema(ValueType.INT, enum_values=[1, 2.5])
    assert state_field_problem(field) == "enum_values item must match value_type 'int', got 2.5"


def test_default_must_be_one_of_the_enum_values() -> None:
    field = StateFieldSchema(ValueType.STRING, default="c", enum_values=["a", "b"])
    assert state_field_problem(field) == "default must be one of enum_values when enum_values are configured"
    assert state_field_problem(StateFieldSchema(ValueType.STRING, default="b", enum_values=["a", "b"])) is None


def test_default_type_is_checked_before_the_enum_rules() -> None:
    field = StateFieldSchema(ValueType.ARRAY, default="x", enum_values=[[1]])
    assert state_field_problem(field) == "default must match value_type 'array', got \"x\""


def test_float_enum_compares_numbers_numerically() -> None:
    assert state_field_problem(StateFieldSchema(ValueType.FLOAT, default=1, enum_values=[1.0, 2.5])) is None


def test_first_bad_field_in_map_order_is_reported_with_the_schema_template() -> None:
    fields = {
        "ok": StateFieldSchema(ValueType.BOOL, default=False),
        "trust": StateFieldSchema(ValueType.INT, default="x"),
        "mood": StateFieldSchema(ValueType.STRING, default=1),
    }
    expected = "invalid schema: field 'trust' default must match value_type 'int', got \"x\""
    assert state_fields_error(fields) == expected
    with pytest.raises(InvalidParams) as raised:
        validate_state_fields(fields)
    assert raised.value.message == expected


def test_valid_fields_pass() -> None:
    validate_state_fields({"gold": StateFieldSchema(ValueType.INT, default=10, enum_values=[0, 10])})
    assert state_fields_error({}) is None
