"""What an agent asks an LLM and what comes back (PROTOCOL §4.7 ChatResponse, §9.1).

`ChatResponse` is also a wire shape: it is reported inside turn results (`KeeperOutcome.output`).
`ChatRequest` never travels on the wire; it is the input of `runtime.llm` clients.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from runtime.model._fields import omittable
from runtime.model.apis import Agent
from runtime.model.llm_calls import CallKind


class ChatRole(enum.Enum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@attrs.frozen
class ChatMessage:
    role: ChatRole
    content: str


@attrs.frozen
class ChatUsage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, prompt_tokens: int, completion_tokens: int) -> ChatUsage:
        return cls(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens)


@attrs.frozen
class ChatResponse:
    """One answer of the provider, as PROTOCOL §4.7 writes it.

    `structured_output` is the parsed JSON of a JSON-mode answer when its content parsed,
    else null; agents parse, validate and repair on their own (§9.5).
    """

    message: ChatMessage
    model: str
    finish_reason: str | None = None
    usage: ChatUsage | None = None
    structured_output: Any = None


@attrs.frozen
class OutputSchema:
    """The JSON Schema an answer must follow, and the name it is sent under (a tool's or a
    response format's name: letters, digits, `_` and `-`)."""

    name: str
    schema: dict[str, Any] = attrs.field(repr=False)


@attrs.frozen
class ChatRequest:
    """One call: exactly two messages, `system` then `user` (§9.1), plus the agent's settings.

    `model` overrides the api's model; leave it None to use the model of the api the client
    was built from. `json_mode` asks for one JSON object: `output_schema`, when given, is sent
    the way the api's structured-output mode says (see `runtime.llm`), and a streamed JSON
    answer ends as soon as its top-level value is complete. `call_kind` says why the call is
    made (telemetry only).
    """

    agent: Agent
    system: str
    user: str
    json_mode: bool = False
    temperature: float | None = omittable()
    max_tokens: int | None = omittable()
    model: str | None = omittable()
    output_schema: OutputSchema | None = omittable()
    call_kind: CallKind = CallKind.FIRST

    def messages(self) -> list[ChatMessage]:
        return [ChatMessage(ChatRole.SYSTEM, self.system), ChatMessage(ChatRole.USER, self.user)]
