"""`rpc.discover`: an OpenRPC 1.x document generated from the method registry.

Params and result schemas are derived from the attrs records the codec uses, so the
document cannot drift from what the server accepts and answers.
"""

from __future__ import annotations

import enum
import functools
import typing
from typing import Any

import attrs

from runtime.codec import CODEC, INT_MAX, INT_MIN
from runtime.model._fields import OMIT_IF_NONE
from runtime.model.unions import TAGGED_UNIONS
from transport.code_docs import field_docs
from transport.registry import Call, Method, NoParams, Registry, SessionUse
from transport.version import dramaturg_version

OPENRPC_VERSION = "1.3.2"


@attrs.frozen
class OpenRpcDocument:
    openrpc: str
    info: dict[str, Any]
    methods: list[dict[str, Any]]
    components: dict[str, Any]


class SchemaBuilder:
    """JSON Schemas for record types; each attrs class becomes one named component."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}
        # A member of a tagged union carries its tag on the wire, in and out (runtime.codec).
        self._tags: dict[type, tuple[str, str]] = {
            cls: (tag_key, tag) for _, tags, tag_key, _ in TAGGED_UNIONS for tag, cls in tags.items()
        }

    def schema(self, t: Any) -> dict[str, Any]:
        if t is Any or t is object:
            return {}
        if t is type(None):
            return {"type": "null"}
        if t is bool:
            return {"type": "boolean"}
        if t is int:
            return {"type": "integer", "minimum": INT_MIN, "maximum": INT_MAX}
        if t is float:
            return {"type": "number"}
        if t is str:
            return {"type": "string"}
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return {"type": "string", "enum": [member.value for member in t]}
        origin = typing.get_origin(t)
        args = typing.get_args(t)
        if origin in (list, list):
            return {"type": "array", "items": self.schema(args[0] if args else Any)}
        if origin in (dict, dict):
            return {"type": "object", "additionalProperties": self.schema(args[1] if args else Any)}
        if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
            return {"oneOf": [self.schema(arg) for arg in args]}
        if attrs.has(t):
            return self._component(t)
        return {}

    def _component(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.components:
            self.components[name] = {}  # placeholder: recursive types terminate
            hints = typing.get_type_hints(cls)
            properties: dict[str, Any] = {}
            required: list[str] = []
            if cls in self._tags:
                tag_key, tag = self._tags[cls]
                properties[tag_key] = {"const": tag}
                required.append(tag_key)
            descriptions = field_docs(cls)
            for field in attrs.fields(cls):
                properties[field.name] = self.schema(hints.get(field.name, Any))
                if field.name in descriptions:
                    properties[field.name] = {**properties[field.name], "description": descriptions[field.name]}
                if field.default is attrs.NOTHING:
                    required.append(field.name)
            schema: dict[str, Any] = {"type": "object", "properties": properties}
            if required:
                schema["required"] = required
            if not getattr(cls, "codec_ignores_unknown_keys", False):
                schema["additionalProperties"] = False
            omitted = [f.name for f in attrs.fields(cls) if f.metadata.get(OMIT_IF_NONE)]
            if omitted:
                schema["x-omitted-when-null"] = omitted
            self.components[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}


def describe(registry: Registry) -> OpenRpcDocument:
    """The document of every method of `registry`: a summary per method and a description per
    parameter, both from the code's docstrings (`transport.code_docs`)."""
    builder = SchemaBuilder()
    methods = [_describe_method(method, builder) for method in registry.methods.values()]
    return OpenRpcDocument(
        openrpc=OPENRPC_VERSION,
        info={"title": "Dramaturg", "version": dramaturg_version()},
        methods=methods,
        components={"schemas": builder.components},
    )


def _describe_method(method: Method, builder: SchemaBuilder) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    if method.params is not NoParams:
        hints = typing.get_type_hints(method.params)
        descriptions = field_docs(method.params)
        for field in attrs.fields(method.params):
            param = {
                "name": field.name,
                "description": descriptions.get(field.name, ""),
                "required": field.default is attrs.NOTHING,
                "schema": builder.schema(hints.get(field.name, Any)),
            }
            params.append({key: value for key, value in param.items() if value != ""})
    result_schema: dict[str, Any] = {"type": "object"}
    if method.result_tag:
        result_schema = {"type": "object", "properties": {"type": {"const": method.result_tag}}}
        if method.result is not None:
            result_schema = {"allOf": [result_schema, builder.schema(method.result)]}
    described: dict[str, Any] = {"name": method.name}
    if method.summary:
        described["summary"] = method.summary
    described.update(
        {
            "paramStructure": "by-name",
            "params": params,
            "result": {"name": method.result_tag or "result", "schema": result_schema},
            "x-session-id": method.session.value,
            "x-implemented": method.implemented,
        }
    )
    if method.streaming:
        described["x-streaming"] = "text/event-stream"
    return described


DISCOVER = "rpc.discover"


def discover_method(registry: Registry) -> Method:
    """`rpc.discover` over `registry` (which it does not list itself in); the document is built on
    first use and kept."""
    document = functools.cache(lambda: describe(registry))

    async def discover(call: Call, params: NoParams) -> OpenRpcDocument:
        """This API described as an OpenRPC document."""
        return document()

    return Method(name=DISCOVER, result_tag="openrpc", handler=discover, session=SessionUse.NONE)


async def discovered_document(registry: Registry, call: Call) -> dict[str, Any]:
    """What `rpc.discover` answers, as JSON values: the document `GET /openrpc.json` serves."""
    method = registry.get(DISCOVER)
    assert method is not None and method.handler is not None
    document: dict[str, Any] = CODEC.unstructure(await method.handler(call, NoParams()))
    return document
