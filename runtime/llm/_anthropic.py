"""The `anthropic` provider: the native Messages API `/v1/messages` and `/v1/models` (PROTOCOL §15.3)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from runtime.llm import anthropic_wire as wire
from runtime.llm._errors import malformed_answer
from runtime.llm._settings import LlmSettings
from runtime.llm._sse import SseEvent
from runtime.llm._wire import BodyOptions, ModelPage, StreamTally, decode_json, decode_record
from runtime.model.apis import Provider, StructuredOutput
from runtime.model.chat import ChatMessage, ChatRequest, ChatResponse, ChatRole, ChatUsage

TOOL_DESCRIPTION = "Give your whole answer as this tool's input; it must follow the input schema."


class AnthropicWire:
    provider = Provider.ANTHROPIC

    def chat_url(self, base_url: str) -> str:
        return base_url + wire.MESSAGES_PATH

    def models_url(self, base_url: str) -> str:
        return base_url + wire.MODELS_PATH

    def headers(self, api_key: str) -> dict[str, str]:
        return {"x-api-key": api_key, "anthropic-version": wire.API_VERSION, "Content-Type": "application/json"}

    def chat_body(
        self, request: ChatRequest, model: str, settings: LlmSettings, *, stream: bool, options: BodyOptions
    ) -> wire.AnthropicChatBody:
        # The system prompt goes in the top-level field, never among the messages (§15.3).
        tools, choice = None, None
        schema = request.output_schema
        if self.sent_mode(request, options.mode) is StructuredOutput.JSON_SCHEMA and schema is not None:
            # A forced tool: the answer is the tool call's input, which follows the schema.
            tools = [wire.AnthropicTool(schema.name, schema.schema, TOOL_DESCRIPTION)]
            choice = wire.AnthropicToolChoice(wire.TOOL_CHOICE_TOOL, schema.name)
        return wire.AnthropicChatBody(
            model=model,
            system=request.system,
            messages=[wire.AnthropicMessage(ChatRole.USER.value, request.user)],
            max_tokens=self.max_tokens(request, settings),
            temperature=request.temperature,
            stream=True if stream else None,
            tools=tools,
            tool_choice=choice,
        )

    def sent_mode(self, request: ChatRequest, mode: StructuredOutput | None) -> StructuredOutput | None:
        if not request.json_mode:
            return None
        if mode is StructuredOutput.JSON_SCHEMA and request.output_schema is not None:
            return mode
        return StructuredOutput.NONE  # the Messages API has no JSON mode: the prompt's contract only

    def max_tokens(self, request: ChatRequest, settings: LlmSettings) -> int:
        return request.max_tokens if request.max_tokens is not None else settings.anthropic_default_max_tokens

    def read_answer(self, body: Any) -> ChatResponse:
        answer = decode_record(body, wire.AnthropicAnswer, "response")
        tool_inputs = [block.input for block in answer.content if block.type == wire.TOOL_USE_BLOCK]
        if tool_inputs:
            text = json.dumps(tool_inputs[0], ensure_ascii=False)
        else:
            text = "".join(block.text or "" for block in answer.content if block.type == wire.TEXT_BLOCK)
        usage = answer.usage
        return ChatResponse(
            message=ChatMessage(ChatRole.ASSISTANT, text),
            model=answer.model,
            finish_reason=answer.stop_reason,
            usage=None if usage is None else ChatUsage.of(usage.input_tokens, usage.output_tokens),
        )

    def stream_reader(self) -> AnthropicStreamReader:
        return AnthropicStreamReader()

    def read_model_page(self, body: Any, base_url: str) -> ModelPage:
        """The page's ids; while `has_more`, the next page starts after the page's `last_id`."""
        page = decode_record(body, wire.AnthropicModelList, "response")
        models = [model.id for model in page.data]
        if not page.has_more:
            return ModelPage(models)
        if not page.last_id:
            raise malformed_answer("model list page says has_more but gives no last_id")
        query = urllib.parse.urlencode({wire.AFTER_ID_PARAM: page.last_id})
        return ModelPage(models, f"{self.models_url(base_url)}?{query}")


class AnthropicStreamReader:
    """Text from `content_block_delta`/`text_delta` until `message_stop`; `error` fails (§15.3)."""

    def read(self, event: SseEvent, tally: StreamTally) -> str:
        if not event.data.strip():
            return ""
        data = decode_json(event.data, "stream event")
        kind = data.get("type") if isinstance(data, dict) else None
        record_type = wire.STREAM_EVENTS.get(kind) if isinstance(kind, str) else None
        if record_type is None:
            return ""  # ping's relatives and future event types
        record: wire.StreamEvent = decode_record(data, record_type, "event")
        return self._apply(record, tally)

    def _apply(self, record: wire.StreamEvent, tally: StreamTally) -> str:
        match record:
            case wire.ContentBlockDelta(delta=wire.BlockDelta(type=wire.TEXT_DELTA, text=text)):
                return text or ""
            case wire.ContentBlockDelta(delta=wire.BlockDelta(type=wire.INPUT_JSON_DELTA, partial_json=piece)):
                return piece or ""
            case wire.MessageStart(message=message):
                tally.model = message.model
                if message.usage is not None:
                    tally.prompt_tokens = message.usage.input_tokens
                    tally.completion_tokens = message.usage.output_tokens
            case wire.MessageDelta(delta=delta, usage=usage):
                tally.finish_reason = delta.stop_reason or tally.finish_reason
                if usage is not None:
                    tally.completion_tokens = usage.output_tokens
            case wire.MessageStop():
                tally.ended = True
            case wire.ErrorEvent(error=error):
                raise malformed_answer(error.message)
        return ""
