"""The stub's side of structured outputs: checking the schemas it is sent, and answering within them.

A provider refuses a schema it cannot enforce before it generates anything: OpenAI's strict
`json_schema` mode takes only a subset of JSON Schema (written out in `strict_schema_problem`),
and every provider refuses a document that is not a JSON Schema at all. The stub does the same,
with a 400 naming the field, so the client's schemas are checked on every call that `make test`
makes. Its auto answers are then held to the schema: an auto answer the schema does not accept
is replaced by the smallest instance the schema accepts (`minimal_instance`).

This module is the stub's own reading of those rules, written apart from the server's schema
generator on purpose: a generator bug must not be mirrored here.
"""

from __future__ import annotations

import json
from typing import Any, Final

import jsonschema
from jsonschema.exceptions import SchemaError

Schema = dict[str, Any]

STRICT_KEYWORDS: Final = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "enum",
        "const",
        "description",
        "title",
        "$defs",
        "$ref",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "pattern",
        "format",
    }
)
"""The keywords OpenAI's strict mode takes; a schema using any other is refused (`minLength` and
`maxLength` among them)."""
STRICT_MAX_DEPTH: Final = 10
STRICT_MAX_PROPERTIES: Final = 5000
STRICT_MAX_ENUM_VALUES: Final = 1000
STRICT_TYPES: Final = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


MAX_CHECKED_SCHEMAS: Final = 256
_checked: dict[tuple[str, bool], str | None] = {}
"""What each schema seen lately was found to be, by its JSON text and strictness: checking one
takes tens of milliseconds (most of it the meta-schema), and every turn sends the same few."""


def _checked_problem(schema: Any, strict: bool) -> str | None:
    key = (json.dumps(schema), strict)
    if key not in _checked:
        if len(_checked) >= MAX_CHECKED_SCHEMAS:
            _checked.clear()
        _checked[key] = _strict_problem(schema) if strict else _schema_problem(schema)
    return _checked[key]


def schema_problem(schema: Any) -> str | None:
    """Why `schema` is not a JSON Schema (draft 2020-12), or None."""
    if not isinstance(schema, dict):
        return "schema must be an object"
    return _checked_problem(schema, strict=False)


def _schema_problem(schema: Schema) -> str | None:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"{exc.message} at {'/'.join(str(step) for step in exc.path) or 'the root'}"
    return None


def strict_schema_problem(schema: Any) -> str | None:
    """Why OpenAI's strict mode would refuse `schema`, or None.

    The rules: a JSON Schema whose root is an object (not `anyOf`); every object lists its
    `properties`, requires every one of them and sets `additionalProperties: false`; every
    subschema says what it is (`type`, `anyOf`, `enum`, `const` or `$ref`) and uses only the
    keywords of `STRICT_KEYWORDS`; nesting at most 10 deep, at most 5,000 properties and 1,000
    enum values in all.
    """
    if not isinstance(schema, dict):
        return "schema must be an object"
    return _checked_problem(schema, strict=True)


def _strict_problem(schema: Schema) -> str | None:
    problem = schema_problem(schema)
    if problem is not None:
        return problem
    if schema.get("type") != "object":
        return "the root of a strict schema must be an object, not anyOf or another type"
    counts = {"properties": 0, "enum": 0}
    return _strict_node(schema, "#", 1, counts)


def _strict_node(node: Any, path: str, depth: int, counts: dict[str, int]) -> str | None:
    if not isinstance(node, dict):
        return f"{path}: a subschema must be an object"
    if depth > STRICT_MAX_DEPTH:
        return f"{path}: nested deeper than {STRICT_MAX_DEPTH} levels"
    unknown = sorted(set(node) - STRICT_KEYWORDS)
    if unknown:
        return f"{path}: '{unknown[0]}' is not permitted in strict mode"
    if not {"type", "anyOf", "enum", "const", "$ref"} & set(node):
        return f"{path}: every subschema must have a type"
    types = node.get("type")
    for name in types if isinstance(types, list) else [types] if types is not None else []:
        if name not in STRICT_TYPES:
            return f"{path}: type '{name}' is not supported"
    counts["enum"] += len(node.get("enum", []))
    if counts["enum"] > STRICT_MAX_ENUM_VALUES:
        return f"{path}: more than {STRICT_MAX_ENUM_VALUES} enum values in all"
    if "properties" in node or types == "object" or (isinstance(types, list) and "object" in types):
        problem = _strict_object(node, path, counts)
        if problem is not None:
            return problem
    return _strict_children(node, path, depth, counts)


def _strict_object(node: Schema, path: str, counts: dict[str, int]) -> str | None:
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return f"{path}: an object must list its properties"
    if node.get("additionalProperties") is not False:
        return f"{path}: 'additionalProperties' must be false"
    missing = sorted(set(properties) - set(node.get("required", [])))
    if missing:
        return f"{path}: 'required' must list every property; missing '{missing[0]}'"
    counts["properties"] += len(properties)
    if counts["properties"] > STRICT_MAX_PROPERTIES:
        return f"{path}: more than {STRICT_MAX_PROPERTIES} properties in all"
    return None


def _strict_children(node: Schema, path: str, depth: int, counts: dict[str, int]) -> str | None:
    children: list[tuple[str, Any]] = []
    children += [(f"{path}/properties/{name}", child) for name, child in node.get("properties", {}).items()]
    children += [(f"{path}/anyOf/{index}", child) for index, child in enumerate(node.get("anyOf", []))]
    children += [(f"{path}/$defs/{name}", child) for name, child in node.get("$defs", {}).items()]
    if "items" in node:
        children.append((f"{path}/items", node["items"]))
    for child_path, child in children:
        problem = _strict_node(child, child_path, depth + 1, counts)
        if problem is not None:
            return problem
    return None


def accepts(schema: Schema, value: Any) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(value)


def with_nulls_written(value: Any, schema: Schema) -> Any:
    """`value` with each required property it leaves out written as null where the schema allows
    null there: what a model held to a schema writes for an optional field it has no value for."""
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [with_nulls_written(item, schema["items"]) for item in value]
    if not isinstance(value, dict):
        return value
    for branch in schema.get("anyOf", []):
        filled = with_nulls_written(value, branch)
        if accepts(branch, filled):
            return filled
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    others = extra if isinstance(extra, dict) else {}
    filled = {key: with_nulls_written(item, properties.get(key, others)) for key, item in value.items()}
    for key in schema.get("required", []):
        if key not in filled and accepts(properties.get(key, {}), None):
            filled[key] = None
    return filled


def minimal_instance(schema: Schema) -> Any:
    """The smallest value `schema` accepts: objects with only their required keys, arrays as
    short as allowed, the first enum value, the first branch of anyOf that yields one."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return minimal_instance(schema["anyOf"][0])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: minimal_instance(properties[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal_instance(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        return "x" * schema.get("minLength", 0)
    if kind in ("integer", "number"):
        return max(0, schema.get("minimum", 0))
    if kind == "boolean":
        return False
    return None
