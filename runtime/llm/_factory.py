"""The shared HTTP client of all provider calls, and the factory of per-operation chat clients."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

import attrs
import httpx

from runtime.clock import Clock, SystemClock
from runtime.llm._client import AnthropicClient, HttpChatClient, OpenAiClient
from runtime.llm._endpoint import ProviderEndpoint, provider_endpoint, require_model
from runtime.llm._http import ClientContext, exchange_json
from runtime.llm._retry import Attempts, with_retries
from runtime.llm._settings import LlmSettings
from runtime.llm._telemetry import NO_TAGS, CallRecorder, CallTags
from runtime.llm._wire import ProviderWire
from runtime.model.apis import ApiRecord, Provider

CLIENT_TYPES: dict[Provider, type[HttpChatClient]] = {
    Provider.OPEN_AI: OpenAiClient,
    Provider.ANTHROPIC: AnthropicClient,
}


@attrs.frozen
class LlmHttp:
    """`ChatClients` over one shared `httpx.AsyncClient`. Open it with `open_llm_http`."""

    context: ClientContext

    @property
    def settings(self) -> LlmSettings:
        return self.context.settings

    def client_for(self, api: ApiRecord, tags: CallTags = NO_TAGS) -> HttpChatClient:
        return build_client(api, self.context, tags)

    async def list_models(self, endpoint: ProviderEndpoint) -> list[str]:
        """`GET {base}/models` (open_ai) or `{base}/v1/models` (anthropic), with retries (R8)."""
        wire: ProviderWire = CLIENT_TYPES[endpoint.provider].wire
        url, headers = wire.models_url(endpoint.base_url), wire.headers(endpoint.api_key)
        timeout_s = self.settings.timeout_s

        async def attempt() -> list[str]:
            return wire.read_models(await exchange_json(self.context.http, "GET", url, headers, None, timeout_s))

        return await with_retries(attempt, Attempts(), self.settings, "list_models")


@contextlib.asynccontextmanager
async def open_llm_http(
    settings: LlmSettings, *, recorder: CallRecorder | None = None, clock: Clock | None = None
) -> AsyncIterator[LlmHttp]:
    """Own one connection pool for the duration of the block; deadlines are set per call."""
    limits = httpx.Limits(max_connections=settings.max_connections)
    async with httpx.AsyncClient(timeout=None, limits=limits) as http:
        yield LlmHttp(ClientContext(http, settings, clock or SystemClock(), recorder))


def build_client(api: ApiRecord, context: ClientContext, tags: CallTags = NO_TAGS) -> HttpChatClient:
    """A client for `api` as stored now (PROTOCOL §15.1).

    Raises InvalidParams `invalid configuration: {Provider} API key is required` or
    `invalid configuration: model is required`.
    """
    endpoint = provider_endpoint(api.provider, api.base_url, api.api_key)
    model = require_model(api.model)
    return CLIENT_TYPES[api.provider](endpoint, model, context, api_id=api.api_id, tags=tags)
