"""The state-schema field rules of PROTOCOL §7.5. Pure; no I/O.

Which JSON values each `value_type` accepts, and whether a field's `default` and
`enum_values` agree with its type. Used by `schema.create`/`schema.update` and meant for
every other place a schema is made (Architect-generated schemas, data-package imports).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping

from runtime.errors import InvalidParams
from runtime.model.schemas import SCALAR_VALUE_TYPES, StateFieldSchema, ValueType

INT64_MIN = -(2**63)
UINT64_MAX = 2**64 - 1  # ints span the signed and the unsigned 64-bit ranges together


def _is_int(value: object) -> bool:
    return type(value) is int and INT64_MIN <= value <= UINT64_MAX


def _is_number(value: object) -> bool:
    # `type(...) is` rather than isinstance: a bool is an int to Python, never a number to us.
    if type(value) is float:
        return math.isfinite(value)  # NaN and infinities are not JSON numbers
    return type(value) is int


_ACCEPTS: dict[ValueType, Callable[[object], bool]] = {
    ValueType.BOOL: lambda value: type(value) is bool,
    ValueType.INT: _is_int,
    ValueType.FLOAT: _is_number,
    ValueType.STRING: lambda value: type(value) is str,
    ValueType.ARRAY: lambda value: type(value) is list,
    ValueType.OBJECT: lambda value: type(value) is dict,
    ValueType.NULL: lambda value: value is None,
}


def value_matches_type(value: object, value_type: ValueType) -> bool:
    """Whether the decoded JSON `value` is acceptable for `value_type` (the table of §7.5)."""
    return _ACCEPTS[value_type](value)


def compact_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def state_field_problem(field: StateFieldSchema) -> str | None:
    """The detail of the first §7.5 rule `field` breaks (`default must match …`), or None."""
    type_name = field.value_type.value
    if field.default is not None and not value_matches_type(field.default, field.value_type):
        return f"default must match value_type '{type_name}', got {compact_json(field.default)}"
    if not field.enum_values:  # absent or empty: no constraint
        return None
    if field.value_type not in SCALAR_VALUE_TYPES:
        return f"enum_values are only supported for scalar types, got {type_name}"
    for item in field.enum_values:
        if not value_matches_type(item, field.value_type):
            return f"enum_values item must match value_type '{type_name}', got {compact_json(item)}"
    if field.default is not None and field.default not in field.enum_values:
        return "default must be one of enum_values when enum_values are configured"
    return None


def state_fields_error(fields: Mapping[str, StateFieldSchema]) -> str | None:
    """`invalid schema: field '{key}' {detail}` for the first bad field in map order, or None."""
    for key, field in fields.items():
        detail = state_field_problem(field)
        if detail is not None:
            return f"invalid schema: field '{key}' {detail}"
    return None


def validate_state_fields(fields: Mapping[str, StateFieldSchema]) -> None:
    """Raise InvalidParams with `state_fields_error`'s message when any field breaks a rule."""
    error = state_fields_error(fields)
    if error is not None:
        raise InvalidParams(error)
