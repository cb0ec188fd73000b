"""LLM providers over httpx: chat, streaming, model listing, retries, timeouts and telemetry.

The rest of the runtime depends on the Protocols `ChatClient`, `ChatStream` and `ChatClients`;
`LlmHttp` (opened with `open_llm_http`) is the real implementation, over the `open_ai` and
`anthropic` wire formats (PROTOCOL §15). Every failure is a `ProviderError` (50002).
"""

from runtime.llm._client import AnthropicClient as AnthropicClient
from runtime.llm._client import HttpChatClient as HttpChatClient
from runtime.llm._client import HttpChatStream as HttpChatStream
from runtime.llm._client import OpenAiClient as OpenAiClient
from runtime.llm._endpoint import ProviderEndpoint as ProviderEndpoint
from runtime.llm._endpoint import check_api_key as check_api_key
from runtime.llm._endpoint import check_base_url as check_base_url
from runtime.llm._endpoint import check_model as check_model
from runtime.llm._endpoint import provider_endpoint as provider_endpoint
from runtime.llm._endpoint import require_model as require_model
from runtime.llm._factory import LlmHttp as LlmHttp
from runtime.llm._factory import build_client as build_client
from runtime.llm._factory import open_llm_http as open_llm_http
from runtime.llm._http import ClientContext as ClientContext
from runtime.llm._protocol import ChatClient as ChatClient
from runtime.llm._protocol import ChatClients as ChatClients
from runtime.llm._protocol import ChatStream as ChatStream
from runtime.llm._settings import LlmSettings as LlmSettings
from runtime.llm._structured import default_structured_output as default_structured_output
from runtime.llm._telemetry import NO_TAGS as NO_TAGS
from runtime.llm._telemetry import CallRecorder as CallRecorder
from runtime.llm._telemetry import CallTags as CallTags
from runtime.llm._telemetry import QueuedCallRecorder as QueuedCallRecorder
from runtime.llm._telemetry import open_call_recorder as open_call_recorder
from runtime.llm._turn_calls import TurnCallCounter as TurnCallCounter
from runtime.model.chat import ChatMessage as ChatMessage
from runtime.model.chat import ChatRequest as ChatRequest
from runtime.model.chat import ChatResponse as ChatResponse
from runtime.model.chat import ChatRole as ChatRole
from runtime.model.chat import ChatUsage as ChatUsage
from runtime.model.chat import OutputSchema as OutputSchema

__all__ = [
    "NO_TAGS",
    "AnthropicClient",
    "CallRecorder",
    "CallTags",
    "ChatClient",
    "ChatClients",
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "ChatRole",
    "ChatStream",
    "ChatUsage",
    "ClientContext",
    "HttpChatClient",
    "HttpChatStream",
    "LlmHttp",
    "LlmSettings",
    "OpenAiClient",
    "OutputSchema",
    "ProviderEndpoint",
    "QueuedCallRecorder",
    "TurnCallCounter",
    "build_client",
    "check_api_key",
    "check_base_url",
    "check_model",
    "default_structured_output",
    "open_call_recorder",
    "open_llm_http",
    "provider_endpoint",
    "require_model",
]
