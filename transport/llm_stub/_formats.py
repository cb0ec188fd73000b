"""What a chat request asks of its answer's form, read as each provider reads it, or why it is refused.

OpenAI-compatible: `response_format` `json_schema` (strict or not), `json_object` with
llama.cpp's `schema`, plain `json_object`, and `stream_options.include_usage`. Anthropic: tools
and a `tool_choice` that forces one of them. A schema is checked before anything is answered;
a refused request gets a 400 whose message names the field, as the real endpoints do, and the
fields listed in `StubSettings.refused` are refused as an endpoint that lacks them would.
"""

from __future__ import annotations

from typing import Any

import attrs

from runtime.llm.anthropic_wire import TOOL_CHOICE_TOOL, AnthropicChatBody
from runtime.llm.openai_wire import JSON_OBJECT_FORMAT, JSON_SCHEMA_FORMAT, OpenAiChatBody
from transport.llm_stub._schemas import schema_problem, strict_schema_problem

TEXT_FORMAT = "text"


@attrs.frozen
class AnswerForm:
    """`json_mode`: answer one JSON object; `schema`: the schema it must follow; `tool`: the
    forced Anthropic tool whose input carries the answer; `include_usage`: OpenAI's streamed usage."""

    json_mode: bool = False
    schema: dict[str, Any] | None = None
    tool: str | None = None
    include_usage: bool = False


PLAIN = AnswerForm()
"""A request that asks for nothing but text."""


class Refused(Exception):
    """The request asks for something this endpoint refuses; the message names the field."""


def openai_form(chat: OpenAiChatBody, refused: frozenset[str]) -> AnswerForm:
    """The form an OpenAI-compatible request asks for. Raises Refused."""
    include_usage = bool(chat.stream_options is not None and chat.stream_options.include_usage)
    if chat.stream_options is not None and "stream_options" in refused:
        raise Refused("Unrecognized request argument supplied: stream_options")
    response_format = chat.response_format
    if response_format is None or response_format.type == TEXT_FORMAT:
        return AnswerForm(include_usage=include_usage)
    if response_format.type == JSON_SCHEMA_FORMAT:
        return attrs.evolve(_json_schema_form(chat, refused), include_usage=include_usage)
    if response_format.type != JSON_OBJECT_FORMAT:
        raise Refused(f"response_format.type: unknown format '{response_format.type}'")
    if response_format.schema is None:
        if "json_object" in refused:
            raise Refused("response_format: 'json_object' is not supported by this endpoint")
        return AnswerForm(json_mode=True, include_usage=include_usage)
    if "json_object_schema" in refused:
        raise Refused("response_format.schema: Extra inputs are not permitted")
    problem = schema_problem(response_format.schema)
    if problem is not None:
        raise Refused(f"response_format.schema: invalid JSON Schema: {problem}")
    return AnswerForm(json_mode=True, schema=response_format.schema, include_usage=include_usage)


def _json_schema_form(chat: OpenAiChatBody, refused: frozenset[str]) -> AnswerForm:
    if "json_schema" in refused:
        raise Refused("Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.")
    assert chat.response_format is not None
    json_schema = chat.response_format.json_schema
    if json_schema is None or json_schema.schema is None:
        raise Refused("response_format.json_schema.schema: a schema is required")
    check = strict_schema_problem if json_schema.strict else schema_problem
    problem = check(json_schema.schema)
    if problem is not None:
        raise Refused(f"Invalid schema for response_format '{json_schema.name}': {problem}")
    return AnswerForm(json_mode=True, schema=json_schema.schema)


def anthropic_form(chat: AnthropicChatBody, refused: frozenset[str]) -> AnswerForm:
    """The form a Messages request asks for: a forced tool's input, or free text. Raises Refused."""
    if not chat.tools:
        if chat.tool_choice is not None:
            raise Refused("tool_choice: may only be specified while providing tools")
        return AnswerForm()
    if "tools" in refused:
        raise Refused("tools: Extra inputs are not permitted")
    schemas = {}
    for index, tool in enumerate(chat.tools):
        problem = schema_problem(tool.input_schema)
        if problem is None and tool.input_schema.get("type") != "object":
            problem = "the input schema must be of type object"
        if problem is not None:
            raise Refused(f"tools.{index}.custom.input_schema: {problem}")
        schemas[tool.name] = tool.input_schema
    choice = chat.tool_choice
    if choice is None or choice.type != TOOL_CHOICE_TOOL:
        return AnswerForm()
    if choice.name not in schemas:
        raise Refused(f"tool_choice.name: no tool named '{choice.name}' was given")
    return AnswerForm(json_mode=True, schema=schemas[choice.name], tool=choice.name)
