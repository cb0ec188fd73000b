"""JSON Schemas of codec records: what a model must write so that `CODEC.structure` accepts it.

An agent's output shape is an attrs record that the codec decodes (PROTOCOL §9.2, §14.8). The
schema sent to a provider for constrained decoding is generated here from that same record, so
the two cannot drift apart: every value valid under a generated schema decodes. A schema may be
stricter than the decoder (every property is required, optional ones are nullable), never looser.

Per call the schema is tightened with what the call knows (`Tightening`): a field's schema
replaced (an enum of known ids, a bounded array), or a tagged-union member replaced by other
branches (several, one per known key, or none to leave the member out).

The schemas follow the rules of OpenAI's strict mode wherever the record allows it (every
object closes its properties and requires all of them); a free-keyed map cannot follow them,
and `is_strict_expressible` says so. Pure; no I/O.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Final, Union

import attrs

from runtime.codec import INT_MAX, INT_MIN
from runtime.model.unions import TAGGED_UNIONS

Schema = dict[str, Any]

NULL: Final[Schema] = {"type": "null"}
SCALAR_TYPES: Final = ("string", "number", "boolean", "null")
ANY_JSON: Final[Schema] = {
    "anyOf": [
        *({"type": name} for name in SCALAR_TYPES),
        {"type": "array", "items": {"anyOf": [{"type": name} for name in SCALAR_TYPES]}},
    ]
}
"""What an `Any` field is sent as: a scalar or a list of scalars. A free object cannot be written
under strict rules, and no agent contract needs one where it says 'any JSON value'."""

INTEGER: Final[Schema] = {"type": "integer", "minimum": INT_MIN, "maximum": INT_MAX}
"""The codec's int: JSON integers within the 64-bit ranges."""

STRICT_UNSUPPORTED_KEYWORDS: Final = frozenset({"minLength", "maxLength"})
"""Keywords that strict providers refuse in a schema; `without_keywords` takes them out."""


@attrs.frozen
class Tightening:
    """What one call knows beyond the record types.

    `fields` maps (record class, field name) to the schema that replaces the field's own.
    `members` maps a tagged-union member class to the branches that stand for it: each a
    complete object schema with its tag (see `tagged_branch`); an empty list drops the member.
    `strings` maps a field name to what a string written there must be beyond a string: its
    length bounds, a pattern (applied wherever a field of that name is a string).
    """

    fields: Mapping[tuple[type, str], Schema] = attrs.field(factory=dict)
    members: Mapping[type, Sequence[Schema]] = attrs.field(factory=dict)
    strings: Mapping[str, Schema] = attrs.field(factory=dict)


NO_TIGHTENING: Final = Tightening()


def record_schema(record_type: type, tightening: Tightening = NO_TIGHTENING) -> Schema:
    """The schema of `record_type` (an attrs class) as tightened. Raises TypeError for a field
    type the codec does not decode."""
    return _Generator(tightening).record(record_type)


def tagged_branch(member: type, tightening: Tightening = NO_TIGHTENING) -> Schema:
    """The object schema of one tagged-union member, its tag included (as the codec writes it)."""
    return _Generator(tightening).member(member)


def enum_schema(values: Sequence[Any]) -> Schema:
    """A schema accepting exactly `values` (strings or other scalars)."""
    return {"enum": list(dict.fromkeys(values))}


def array_schema(items: Schema, *, max_items: int | None = None, min_items: int = 0) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if min_items:
        schema["minItems"] = min_items
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def is_strict_expressible(schema: Schema) -> bool:
    """Whether `schema` keeps strict mode's rules: its root is an object, and every object
    declares its properties, requires all of them and allows no others."""
    if schema.get("type") != "object":
        return False
    return all(_strict_object(node) for node in _nodes(schema) if node.get("type") == "object")


def without_keywords(schema: Any, keywords: frozenset[str] = STRICT_UNSUPPORTED_KEYWORDS) -> Any:
    """A copy of `schema` without those keywords, at any depth (property names are kept)."""
    if isinstance(schema, list):
        return [without_keywords(item, keywords) for item in schema]
    if not isinstance(schema, dict):
        return schema
    copied = {}
    for key, value in schema.items():
        if key in keywords:
            continue
        if key == "properties":
            copied[key] = {name: without_keywords(item, keywords) for name, item in value.items()}
        else:
            copied[key] = without_keywords(value, keywords)
    return copied


def _strict_object(node: Schema) -> bool:
    properties = node.get("properties")
    return (
        isinstance(properties, dict)
        and node.get("additionalProperties") is False
        and sorted(node.get("required", [])) == sorted(properties)
    )


def _nodes(schema: Any) -> typing.Iterator[Schema]:
    if isinstance(schema, list):
        for item in schema:
            yield from _nodes(item)
        return
    if not isinstance(schema, dict):
        return
    yield schema
    for key, value in schema.items():
        if key == "properties":
            yield from _nodes(list(value.values()))
        elif key in ("items", "anyOf", "additionalProperties"):
            yield from _nodes(value)


# -- generation --------------------------------------------------------------------------


@functools.cache
def _unions() -> dict[Any, tuple[dict[str, type], str]]:
    return {union: (tags, tag_key) for union, tags, tag_key, _ in TAGGED_UNIONS}


@functools.cache
def _type_hints(record_type: type) -> dict[str, Any]:
    """The record's resolved field types: resolving them is most of a schema's cost, and the
    Director's and Keeper's schemas are generated on every turn."""
    return typing.get_type_hints(record_type)


@functools.cache
def _tag_of(member: type) -> tuple[str, str]:
    """(tag key, tag) of a tagged-union member class."""
    for tags, tag_key in _unions().values():
        for tag, cls in tags.items():
            if cls is member:
                return tag_key, tag
    raise TypeError(f"{member.__name__} is not a member of a tagged union")


@attrs.frozen
class _Generator:
    tightening: Tightening

    def record(self, record_type: type) -> Schema:
        hints = _type_hints(record_type)
        properties: Schema = {}
        for field in attrs.fields(record_type):
            override = self.tightening.fields.get((record_type, field.name))
            properties[field.name] = override if override is not None else self.of_type(hints[field.name], field.name)
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }

    def member(self, member: type) -> Schema:
        tag_key, tag = _tag_of(member)
        body = self.record(member)
        properties = {tag_key: {"type": "string", **enum_schema([tag])}, **body["properties"]}
        return {**body, "properties": properties, "required": list(properties)}

    def of_type(self, value_type: Any, name: str) -> Schema:
        if value_type is Any:
            return ANY_JSON
        if value_type in _unions():
            return self.union(value_type)
        origin = typing.get_origin(value_type)
        if origin in (Union, types.UnionType):
            return self.optional(value_type, name)
        if origin is list:
            (item_type,) = typing.get_args(value_type)
            if item_type in _unions() and not self.union(item_type)["anyOf"]:
                return array_schema(NULL, max_items=0)  # every member left out: only [] is valid
            return array_schema(self.of_type(item_type, name))
        if origin is dict:
            _, item_type = typing.get_args(value_type)
            # A free-keyed map: valid JSON Schema, but not strict-expressible.
            return {"type": "object", "additionalProperties": self.of_type(item_type, name)}
        if isinstance(value_type, type):
            return self.plain(value_type, name)
        raise TypeError(f"no JSON Schema for field type {value_type!r}")

    def plain(self, value_type: type, name: str) -> Schema:
        if issubclass(value_type, enum.Enum):
            return {"type": "string", **enum_schema([member.value for member in value_type])}
        if attrs.has(value_type):
            return self.record(value_type)
        if value_type is bool:
            return {"type": "boolean"}
        if value_type is int:
            return dict(INTEGER)
        if value_type is float:
            return {"type": "number"}
        if value_type is str:
            return {"type": "string", **self.tightening.strings.get(name, {})}
        raise TypeError(f"no JSON Schema for field type {value_type.__name__}")

    def optional(self, value_type: Any, name: str) -> Schema:
        members = [arg for arg in typing.get_args(value_type) if arg is not type(None)]
        if len(members) != 1 or len(members) == len(typing.get_args(value_type)):
            raise TypeError(f"no JSON Schema for field type {value_type!r}")
        return {"anyOf": [self.of_type(members[0], name), NULL]}

    def union(self, union: Any) -> Schema:
        tags, _ = _unions()[union]
        branches: list[Schema] = []
        for member in tags.values():
            replaced = self.tightening.members.get(member)
            branches.extend(replaced if replaced is not None else [self.member(member)])
        return {"anyOf": branches}
