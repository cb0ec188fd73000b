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
    display_name: str
    fields: dict[str, StateFieldSchema]
    tags: list[str] = attrs.Factory(list)


@attrs.frozen
class SchemaIdParams:
    schema_id: str


@attrs.frozen
class SchemaUpdateParams:
    schema_id: str
    display_name: str | None = None
    tags: list[str] | None = None
    fields: dict[str, StateFieldSchema] | None = None


@attrs.frozen
class SchemasListed:
    schemas: list[Schema]


@attrs.frozen
class SchemaDeleted:
    schema_id: str
