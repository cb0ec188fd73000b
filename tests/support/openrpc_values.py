"""Values built from the JSON Schemas of `rpc.discover`: a plain example for each branch, a value
that breaks the schema, and hypothesis strategies for fuzzing. Only the schema words the document
uses are understood ($ref, const, enum, type, properties, required, additionalProperties, items,
oneOf, allOf, minimum, maximum)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

Schema = dict[str, Any]


class SchemaValues:
    """Values for the schemas of one OpenRPC document (its `components.schemas`)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components: dict[str, Schema] = document["components"]["schemas"]

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    # -- examples --------------------------------------------------------------------------

    def example(self, schema: Schema, pick: int = 0, depth: int = 0) -> Any:
        """A valid value; `pick` chooses the branch of every `oneOf` (modulo its length)."""
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][pick % len(schema["enum"])]
        if "oneOf" in schema:
            options = [option for option in schema["oneOf"] if self.resolve(option).get("type") != "null"]
            return self.example(options[pick % len(options)], pick, depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self.example(part, pick, depth + 1))
            return merged
        kind: str = schema.get("type", "")
        if kind == "object":
            return self._object_example(schema, pick, depth)
        if kind == "array":
            return [] if depth > 6 else [self.example(schema.get("items", {}), pick, depth + 1)]
        return {"string": "x", "integer": 1, "number": 1.5, "boolean": True, "null": None}.get(kind, "x")

    def _object_example(self, schema: Schema, pick: int, depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        if properties is None:
            extra = schema.get("additionalProperties", {})
            return {} if depth > 6 or extra is False else {"k": self.example(extra, pick, depth + 1)}
        required = schema.get("required", [])
        return {name: self.example(sub, pick, depth + 1) for name, sub in properties.items() if name in required}

    def wrong_value(self, schema: Schema) -> Any:
        """A value of the wrong JSON type for `schema`, or None when the schema takes anything."""
        schema = self.resolve(schema)
        if "const" in schema or "enum" in schema:
            return "no-such-member"
        if "oneOf" in schema:
            kinds = {self.resolve(option).get("type") for option in schema["oneOf"]}
            kinds |= {"object" for option in schema["oneOf"] if "$ref" in option or "allOf" in self.resolve(option)}
            if None in kinds and not kinds - {None}:
                return None
            return [[]] if "array" not in kinds else {"unexpected": True}
        kind: str = schema.get("type", "")
        return {
            "string": 5,
            "integer": "5",
            "number": "5",
            "boolean": "true",
            "array": "x",
            "object": "x",
            "null": 0,
        }.get(kind)

    # -- hypothesis ------------------------------------------------------------------------

    def strategy(self, schema: Schema, hostile: st.SearchStrategy[Any], depth: int = 0) -> st.SearchStrategy[Any]:
        """Mostly values of `schema`, now and then one of `hostile` in its place."""
        return st.one_of(self._valid(schema, hostile, depth), hostile) if depth else self._valid(schema, hostile, depth)

    def _valid(self, schema: Schema, hostile: st.SearchStrategy[Any], depth: int) -> st.SearchStrategy[Any]:
        schema = self.resolve(schema)
        nested = depth + 1
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "oneOf" in schema:
            return st.one_of([self.strategy(option, hostile, nested) for option in schema["oneOf"]])
        if "allOf" in schema:
            parts = [self.strategy(part, hostile, nested) for part in schema["allOf"]]
            return st.tuples(*parts).map(
                lambda values: {k: v for value in values if isinstance(value, dict) for k, v in value.items()}
            )
        kind: str = schema.get("type", "")
        if kind == "object":
            return self._object_strategy(schema, hostile, nested)
        if kind == "array":
            if depth > 5:
                return st.just([])
            return st.lists(self.strategy(schema.get("items", {}), hostile, nested), max_size=3)
        scalars: dict[str, st.SearchStrategy[Any]] = {
            "string": st.text(max_size=20),
            "integer": st.integers(schema.get("minimum", -(2**63)), schema.get("maximum", 2**64 - 1)),
            "number": st.floats(allow_nan=False, allow_infinity=False),
            "boolean": st.booleans(),
            "null": st.none(),
        }
        return scalars.get(kind, st.one_of(st.text(max_size=10), st.integers(), st.booleans(), st.none()))

    def _object_strategy(self, schema: Schema, hostile: st.SearchStrategy[Any], depth: int) -> st.SearchStrategy[Any]:
        properties = schema.get("properties")
        if properties is None:
            extra = schema.get("additionalProperties", {})
            if extra is False or depth > 5:
                return st.just({})
            return st.dictionaries(st.text(max_size=8), self.strategy(extra, hostile, depth), max_size=3)
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: self.strategy(sub, hostile, depth) for name, sub in properties.items() if name in required},
            optional={
                name: self.strategy(sub, hostile, depth) for name, sub in properties.items() if name not in required
            },
        )
