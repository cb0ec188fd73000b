"""The JSON shapes of the OpenAI-compatible chat API (PROTOCOL §15.2), shared by client and stub.

Answers from providers carry many more keys than we read, so every record here ignores
unknown keys; optional keys we send are left out when unset.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from runtime.model._fields import omittable

JSON_OBJECT_FORMAT = "json_object"
JSON_SCHEMA_FORMAT = "json_schema"
DONE_MARKER = "[DONE]"
CHAT_PATH = "/chat/completions"
MODELS_PATH = "/models"


@attrs.frozen
class OpenAiMessage:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    role: str
    content: str


@attrs.frozen
class OpenAiJsonSchema:
    """`response_format.json_schema`: OpenAI's structured outputs."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    name: str
    schema: dict[str, Any] | None = omittable()
    strict: bool | None = omittable()
    description: str | None = omittable()


@attrs.frozen
class OpenAiResponseFormat:
    """`{"type":"json_object"}` (optionally with llama.cpp's `schema`) or `{"type":"json_schema",
    "json_schema":{…}}`."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    type: str
    json_schema: OpenAiJsonSchema | None = omittable()
    schema: dict[str, Any] | None = omittable()


@attrs.frozen
class OpenAiStreamOptions:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    include_usage: bool | None = omittable()


@attrs.frozen
class OpenAiChatBody:
    """The body of `POST {base}/chat/completions`."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    model: str
    messages: list[OpenAiMessage]
    temperature: float | None = omittable()
    max_tokens: int | None = omittable()
    response_format: OpenAiResponseFormat | None = omittable()
    stream: bool | None = omittable()
    stream_options: OpenAiStreamOptions | None = omittable()


@attrs.frozen
class OpenAiUsage:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@attrs.frozen
class OpenAiAnswerMessage:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    role: str = "assistant"
    content: str | None = None


@attrs.frozen
class OpenAiChoice:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    message: OpenAiAnswerMessage
    index: int = 0
    finish_reason: str | None = None


@attrs.frozen
class OpenAiCompletion:
    """A non-streamed answer."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    choices: list[OpenAiChoice]
    model: str = ""
    id: str = ""
    object: str = "chat.completion"
    created: int = 0
    usage: OpenAiUsage | None = None


@attrs.frozen
class OpenAiDelta:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    role: str | None = omittable()
    content: str | None = omittable()


@attrs.frozen
class OpenAiChunkChoice:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    delta: OpenAiDelta = OpenAiDelta()
    index: int = 0
    finish_reason: str | None = None


@attrs.frozen
class OpenAiChunk:
    """One `data:` line of a streamed answer."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    choices: list[OpenAiChunkChoice]
    model: str = ""
    id: str = ""
    object: str = "chat.completion.chunk"
    created: int = 0
    usage: OpenAiUsage | None = omittable()


@attrs.frozen
class OpenAiModel:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    id: str
    object: str = "model"
    owned_by: str = ""


@attrs.frozen
class OpenAiModelList:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    data: list[OpenAiModel]
    object: str = "list"


@attrs.frozen
class OpenAiErrorDetail:
    message: str
    type: str
    code: str | None = None


@attrs.frozen
class OpenAiErrorBody:
    error: OpenAiErrorDetail
