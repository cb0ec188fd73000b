"""The `open_ai` provider: any OpenAI-compatible `/chat/completions` and `/models` (PROTOCOL §15.2)."""

from __future__ import annotations

from typing import Any

from runtime.json_schema import is_strict_expressible, without_keywords
from runtime.llm import openai_wire as wire
from runtime.llm._errors import malformed_answer
from runtime.llm._settings import LlmSettings
from runtime.llm._sse import SseEvent
from runtime.llm._wire import BodyOptions, ModelPage, StreamTally, decode_json, decode_record
from runtime.model.apis import Provider, StructuredOutput
from runtime.model.chat import ChatMessage, ChatRequest, ChatResponse, ChatRole, ChatUsage

SCHEMA_MODES = (StructuredOutput.JSON_SCHEMA, StructuredOutput.JSON_OBJECT_SCHEMA)


class OpenAiWire:
    provider = Provider.OPEN_AI

    def chat_url(self, base_url: str) -> str:
        return base_url + wire.CHAT_PATH

    def models_url(self, base_url: str) -> str:
        return base_url + wire.MODELS_PATH

    def headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}

    def chat_body(
        self, request: ChatRequest, model: str, settings: LlmSettings, *, stream: bool, options: BodyOptions
    ) -> wire.OpenAiChatBody:
        return wire.OpenAiChatBody(
            model=model,
            messages=[wire.OpenAiMessage(m.role.value, m.content) for m in request.messages()],
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            response_format=self._response_format(request, self.sent_mode(request, options.mode)),
            stream=True if stream else None,
            stream_options=wire.OpenAiStreamOptions(include_usage=True) if stream and options.stream_usage else None,
        )

    def sent_mode(self, request: ChatRequest, mode: StructuredOutput | None) -> StructuredOutput | None:
        if not request.json_mode:
            return None
        if mode is None or mode is StructuredOutput.AUTO:
            return StructuredOutput.JSON_OBJECT
        if mode in SCHEMA_MODES and request.output_schema is None:
            return StructuredOutput.JSON_OBJECT  # nothing to send but the wish for JSON
        return mode

    def max_tokens(self, request: ChatRequest, settings: LlmSettings) -> int | None:
        return request.max_tokens

    def _response_format(self, request: ChatRequest, mode: StructuredOutput | None) -> wire.OpenAiResponseFormat | None:
        schema = request.output_schema
        if mode is StructuredOutput.JSON_SCHEMA and schema is not None:
            # Strict mode refuses some keywords and any open map: such a schema is sent as a guide.
            strict = is_strict_expressible(schema.schema)
            sent = without_keywords(schema.schema) if strict else schema.schema
            json_schema = wire.OpenAiJsonSchema(schema.name, sent, strict=strict)
            return wire.OpenAiResponseFormat(wire.JSON_SCHEMA_FORMAT, json_schema=json_schema)
        if mode is StructuredOutput.JSON_OBJECT_SCHEMA and schema is not None:
            return wire.OpenAiResponseFormat(wire.JSON_OBJECT_FORMAT, schema=schema.schema)
        if mode is StructuredOutput.JSON_OBJECT:
            return wire.OpenAiResponseFormat(wire.JSON_OBJECT_FORMAT)
        return None

    def read_answer(self, body: Any) -> ChatResponse:
        answer = decode_record(body, wire.OpenAiCompletion, "response")
        if not answer.choices:
            raise malformed_answer("response contained no choices")
        choice = answer.choices[0]
        usage = answer.usage
        return ChatResponse(
            message=ChatMessage(ChatRole.ASSISTANT, choice.message.content or ""),
            model=answer.model,
            finish_reason=choice.finish_reason,
            usage=None if usage is None else ChatUsage.of(usage.prompt_tokens, usage.completion_tokens),
        )

    def stream_reader(self) -> OpenAiStreamReader:
        return OpenAiStreamReader()

    def read_model_page(self, body: Any, base_url: str) -> ModelPage:
        # OpenAI-compatible model lists are not paginated: the first page is the whole list.
        return ModelPage([model.id for model in decode_record(body, wire.OpenAiModelList, "response").data])


class OpenAiStreamReader:
    """`data:` chunks until `data: [DONE]`; a chunk without choices is an error (§15.2)."""

    def read(self, event: SseEvent, tally: StreamTally) -> str:
        if event.data.strip() == wire.DONE_MARKER:
            tally.ended = True
            return ""
        if not event.data.strip():
            return ""
        chunk = decode_record(decode_json(event.data, "stream chunk"), wire.OpenAiChunk, "chunk")
        if chunk.model:
            tally.model = chunk.model
        if chunk.usage is not None:
            tally.prompt_tokens = chunk.usage.prompt_tokens
            tally.completion_tokens = chunk.usage.completion_tokens
        if not chunk.choices:
            if chunk.usage is not None:
                return ""  # the usage chunk that `stream_options.include_usage` asks for
            raise malformed_answer("stream chunk contained no choices")
        choice = chunk.choices[0]
        if choice.finish_reason is not None:
            tally.finish_reason = choice.finish_reason
        return choice.delta.content or ""
