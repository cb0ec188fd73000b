"""A Hypothesis strategy for the values a JSON Schema accepts, for the subset Dramaturg generates.

Covers `type` (one name or a list), `enum`, `const`, `anyOf`, objects with `properties`,
`required` and `additionalProperties` (false or a schema), arrays with `items`, `minItems` and
`maxItems`, strings with `minLength`/`maxLength`/`pattern`, integers and numbers with `minimum`/`maximum`.
Any other keyword raises, so a schema that grows beyond the subset fails loudly instead of
being tested loosely.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

KNOWN_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "anyOf",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "pattern",
        "description",
    }
)
MAX_FREE_ITEMS = 3
"""Arrays and open maps without a bound are kept this short: the values only need to be varied."""
MAX_FREE_CHARS = 12


def values_of(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values `schema` accepts."""
    unknown = set(schema) - KNOWN_KEYWORDS
    if unknown:
        raise ValueError(f"schema keywords outside the tested subset: {sorted(unknown)}")
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([values_of(branch) for branch in schema["anyOf"]])
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return st.one_of([values_of({**schema, "type": kind}) for kind in kinds])
    return _of_type(kinds, schema)


def _of_type(kind: str | None, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "object":
        return _objects(schema)
    if kind == "array":
        items = values_of(schema.get("items", {"type": "null"}))
        max_items = schema.get("maxItems", schema.get("minItems", 0) + MAX_FREE_ITEMS)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=max_items)
    if kind == "string":
        min_chars = schema.get("minLength", 0)
        max_chars = min(schema.get("maxLength", MAX_FREE_CHARS), MAX_FREE_CHARS + min_chars)
        if "pattern" in schema:
            matching = st.from_regex(schema["pattern"], fullmatch=True)
            return matching.filter(lambda text: min_chars <= len(text) <= schema.get("maxLength", len(text)))
        return st.text(min_size=min_chars, max_size=max_chars)
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "number":
        return st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise ValueError(f"schema without a type the strategy knows: {schema}")


def _objects(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = st.fixed_dictionaries(
        {name: values_of(properties[name]) for name in properties if name in required},
        optional={name: values_of(properties[name]) for name in properties if name not in required},
    )
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return fixed
    extra_values = values_of(extra) if isinstance(extra, dict) else st.none()
    keys = st.text(min_size=1, max_size=MAX_FREE_CHARS).filter(lambda key: key not in properties)
    more = st.dictionaries(keys, extra_values, max_size=MAX_FREE_ITEMS)
    return st.tuples(fixed, more).map(lambda pair: {**pair[1], **pair[0]})
