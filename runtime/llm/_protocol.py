"""The seams the rest of the runtime depends on: a chat client, its stream, and where clients come from.

A test double fills these Protocols the same way the HTTP clients do (PROTOCOL §15.1).
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from runtime.llm._endpoint import ProviderEndpoint
from runtime.llm._telemetry import CallTags
from runtime.model.apis import Api, ApiRecord, StructuredOutput
from runtime.model.chat import ChatRequest, ChatResponse
from runtime.model.llm_calls import CallOutcome


class ChatStream(Protocol):
    """The text deltas of one streamed call, in order. Use it as `async with` and `async for`.

    Iteration raises ProviderError when the call fails. Once iteration has ended,
    `response` is the whole answer (content, model, finish reason, usage). A JSON request's
    stream ends as soon as its top-level value is complete. The call is recorded when the
    stream is closed, with the reader's verdict when it gave one (`judge`).
    """

    def __aiter__(self) -> ChatStream: ...

    async def __anext__(self) -> str: ...

    async def __aenter__(self) -> ChatStream: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    @property
    def response(self) -> ChatResponse: ...

    async def aclose(self) -> None:
        """Stop early and release the connection; idempotent."""

    def judge(self, outcome: CallOutcome, detail: str) -> None:
        """What the reader made of the answer: `invalid_output` (it could not be used) or
        `format_warning` (used, but it bent the contract), with the first problem."""


class ChatClient(Protocol):
    """One api's LLM, for one operation."""

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """The whole answer. Raises ProviderError (50002) when the provider fails."""

    def stream(self, request: ChatRequest) -> ChatStream:
        """The answer as it is generated; nothing is sent before iteration starts."""


class ChatClients(Protocol):
    """Where operations get their clients (owned by whoever runs the server)."""

    def client_for(self, api: ApiRecord, tags: CallTags = ...) -> ChatClient:
        """A client for the api as it is stored now. Raises InvalidParams on a bad configuration."""

    async def list_models(self, endpoint: ProviderEndpoint) -> list[str]:
        """The provider's model ids, in its order. Raises ProviderError."""

    def structured_output_in_use(self, api: ApiRecord | Api) -> StructuredOutput:
        """The structured-output mode the api's next JSON call uses (the api stored, or its payload)."""
