"""State schemas: the fields a world, a player or a character carries (PROTOCOL §6.8, §7.5)."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from runtime.model._fields import omittable


class ValueType(enum.Enum):
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STRING = "string"
    ARRAY = "array"
    OBJECT = "object"
    NULL = "null"


SCALAR_VALUE_TYPES = frozenset({ValueType.BOOL, ValueType.INT, ValueType.FLOAT, ValueType.STRING})
"""The value types that may carry `enum_values`."""


@attrs.frozen
class StateFieldSchema:
    """One field. A null `default` means "no default"; `enum_values` is left out when unset."""

    value_type: ValueType
    default: Any = None
    description: str | None = None
    enum_values: list[Any] | None = omittable()


@attrs.frozen
class StateSchema:
    """The internal form used by the Architect and the engine: `{"fields": {key: field}}`."""

    fields: dict[str, StateFieldSchema]


@attrs.frozen
class Schema:
    """A stored schema; also its payload and its data-package record."""

    schema_id: str
    display_name: str
    tags: list[str]
    fields: dict[str, StateFieldSchema]


@attrs.frozen
class SchemaCreateParams:
    schema_id: str
    """The new schema's id, chosen by the client."""
    display_name: str
    """The name shown to people."""
    fields: dict[str, StateFieldSchema]
    """The state fields by name: each with its value type, default and description."""
    tags: list[str] = attrs.Factory(list)
    """Free labels for grouping schemas."""


@attrs.frozen
class SchemaIdParams:
    schema_id: str
    """The state schema's id."""


@attrs.frozen
class SchemaUpdateParams:
    schema_id: str
    """The state schema's id."""
    display_name: str | None = None
    """A new name; omitted keeps the stored one."""
    tags: list[str] | None = None
    """New labels; omitted keeps the stored ones."""
    fields: dict[str, StateFieldSchema] | None = None
    """All fields, replacing the stored ones whole; omitted keeps them."""


@attrs.frozen
class SchemasListed:
    schemas: list[Schema]


@attrs.frozen
class SchemaDeleted:
    schema_id: str
