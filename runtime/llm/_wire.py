"""The seam between the generic HTTP call machinery and one provider's wire format."""

from __future__ import annotations

import json
from typing import Any, Protocol, TypeVar

import attrs

from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.llm._errors import malformed_answer
from runtime.llm._settings import LlmSettings
from runtime.llm._sse import SseEvent
from runtime.model.apis import Provider, StructuredOutput
from runtime.model.chat import ChatRequest, ChatResponse, ChatUsage

T = TypeVar("T")


@attrs.define
class StreamTally:
    """What a stream has told so far besides its text: filled in by a `StreamReader`."""

    model: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ended: bool = False

    def usage(self) -> ChatUsage | None:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return ChatUsage.of(self.prompt_tokens or 0, self.completion_tokens or 0)


@attrs.frozen
class BodyOptions:
    """How one call's body is written beyond the request itself.

    `mode` is the structured-output mode in use for a JSON request (None for other requests);
    `stream_usage` asks a stream for its token counts where the provider needs asking.
    """

    mode: StructuredOutput | None = None
    stream_usage: bool = True


@attrs.frozen
class ModelPage:
    """One page of a provider's model list: its ids in provider order, and where the list goes on.

    `next_url` is None on the last page. The wire reads it from the page, so the loop that
    follows it (`LlmHttp.list_models`) stays the same for paginated and unpaginated providers.
    """

    models: list[str]
    next_url: str | None = None


class StreamReader(Protocol):
    def read(self, event: SseEvent, tally: StreamTally) -> str:
        """The text the event adds ("" for none); sets `tally.ended` at the end marker.

        Raises ProviderError when the event reports an error or cannot be read.
        """


class ProviderWire(Protocol):
    """One provider's URLs, headers and JSON shapes (PROTOCOL §15.2, §15.3)."""

    provider: Provider

    def chat_url(self, base_url: str) -> str: ...

    def models_url(self, base_url: str) -> str:
        """The first page of the model list; the URL is fixed by PROTOCOL §6.3, without query."""

    def headers(self, api_key: str) -> dict[str, str]: ...

    def chat_body(
        self, request: ChatRequest, model: str, settings: LlmSettings, *, stream: bool, options: BodyOptions
    ) -> object:
        """The request body record."""

    def sent_mode(self, request: ChatRequest, mode: StructuredOutput | None) -> StructuredOutput | None:
        """The mode a body written with `mode` really uses (None for a request that is not JSON)."""

    def max_tokens(self, request: ChatRequest, settings: LlmSettings) -> int | None:
        """The output limit the body sends."""

    def read_answer(self, body: Any) -> ChatResponse:
        """A non-streamed answer (without `structured_output`); raises ProviderError."""

    def stream_reader(self) -> StreamReader: ...

    def read_model_page(self, body: Any, base_url: str) -> ModelPage:
        """One page of a model list and the URL of the next (None when done); raises ProviderError."""


def decode_json(text: str | bytes, what: str) -> Any:
    """Parsed JSON, or the ProviderError `provider error: {what} is not valid JSON`."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise malformed_answer(f"{what} is not valid JSON") from exc


def decode_record(value: Any, record_type: type[T], what: str) -> T:
    """`value` as `record_type`, or a ProviderError naming the unexpected field."""
    try:
        return CODEC.structure(value, record_type, path=what)
    except InvalidParams as exc:
        raise malformed_answer(f"unexpected answer shape: {exc.message}") from exc
