"""The JSON shapes of the Anthropic Messages API (PROTOCOL §15.3), shared by client and stub.

Every record ignores unknown keys. Stream events carry their `type` as a field, so the stub
writes it and the client dispatches on it (`STREAM_EVENTS`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from runtime.model._fields import omittable

API_VERSION = "2023-06-01"
MESSAGES_PATH = "/v1/messages"
MODELS_PATH = "/v1/models"
AFTER_ID_PARAM = "after_id"
"""The model list's cursor: the next page starts after the model of this id."""
LIMIT_PARAM = "limit"
"""The model list's page size (1..1000; the API's default is 20)."""
TEXT_BLOCK = "text"
TEXT_DELTA = "text_delta"
TOOL_USE_BLOCK = "tool_use"
INPUT_JSON_DELTA = "input_json_delta"
TOOL_CHOICE_TOOL = "tool"


@attrs.frozen
class AnthropicMessage:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    role: str
    content: str


@attrs.frozen
class AnthropicTool:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    name: str
    input_schema: dict[str, Any]
    description: str | None = omittable()


@attrs.frozen
class AnthropicToolChoice:
    """`{"type":"tool","name":…}` forces the answer to be that tool's input."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    type: str
    name: str | None = omittable()


@attrs.frozen
class AnthropicChatBody:
    """The body of `POST {base}/v1/messages`."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    model: str
    messages: list[AnthropicMessage]
    max_tokens: int
    system: str | None = omittable()
    temperature: float | None = omittable()
    stream: bool | None = omittable()
    tools: list[AnthropicTool] | None = omittable()
    tool_choice: AnthropicToolChoice | None = omittable()


@attrs.frozen
class AnthropicContentBlock:
    """A `text` block, or a `tool_use` block whose `input` is the tool call's arguments."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    type: str
    text: str | None = omittable()
    id: str | None = omittable()
    name: str | None = omittable()
    input: Any = omittable()


@attrs.frozen
class AnthropicUsage:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    input_tokens: int = 0
    output_tokens: int = 0


@attrs.frozen
class AnthropicAnswer:
    """A non-streamed answer; also the `message` of `message_start`."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    model: str = ""
    content: list[AnthropicContentBlock] = attrs.Factory(list)
    id: str = ""
    type: str = "message"
    role: str = "assistant"
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: AnthropicUsage | None = None


@attrs.frozen
class MessageStart:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    message: AnthropicAnswer
    type: str = "message_start"


@attrs.frozen
class ContentBlockStart:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    index: int
    content_block: AnthropicContentBlock
    type: str = "content_block_start"


@attrs.frozen
class BlockDelta:
    """`text_delta` carries `text`; `input_json_delta` carries the next piece of a tool input."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    type: str
    text: str | None = omittable()
    partial_json: str | None = omittable()


@attrs.frozen
class ContentBlockDelta:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    index: int
    delta: BlockDelta
    type: str = "content_block_delta"


@attrs.frozen
class ContentBlockStop:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    index: int
    type: str = "content_block_stop"


@attrs.frozen
class StopDelta:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    stop_reason: str | None = None
    stop_sequence: str | None = None


@attrs.frozen
class DeltaUsage:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    output_tokens: int = 0


@attrs.frozen
class MessageDelta:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    delta: StopDelta
    usage: DeltaUsage | None = None
    type: str = "message_delta"


@attrs.frozen
class MessageStop:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    type: str = "message_stop"


@attrs.frozen
class Ping:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    type: str = "ping"


@attrs.frozen
class AnthropicErrorDetail:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    type: str
    message: str


@attrs.frozen
class ErrorEvent:
    """Both the `error` stream event and the body of a non-2xx answer."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    error: AnthropicErrorDetail
    type: str = "error"


StreamEvent = (
    MessageStart
    | ContentBlockStart
    | ContentBlockDelta
    | ContentBlockStop
    | MessageDelta
    | MessageStop
    | Ping
    | ErrorEvent
)

STREAM_EVENTS: dict[str, type] = {
    "message_start": MessageStart,
    "content_block_start": ContentBlockStart,
    "content_block_delta": ContentBlockDelta,
    "content_block_stop": ContentBlockStop,
    "message_delta": MessageDelta,
    "message_stop": MessageStop,
    "ping": Ping,
    "error": ErrorEvent,
}
"""Stream event records by their `type`; events of other types are ignored by the client."""


@attrs.frozen
class AnthropicModel:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    id: str
    type: str = "model"
    display_name: str = ""
    created_at: str = "2025-01-01T00:00:00Z"


@attrs.frozen
class AnthropicModelList:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    data: list[AnthropicModel]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
