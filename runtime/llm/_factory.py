"""Lanes of connection pools shared by all provider calls, and the factory of per-operation chat clients.

httpcore's pool walks all of its connections and all of its waiting requests on every request and
every release, and polls each idle connection's socket on the way. With one pool for a thousand
concurrent calls that bookkeeping takes most of the event loop, so the calls are spread over
`LlmSettings.pool_lanes` independent pools instead, each a few dozen connections deep. A call's
lane follows its session (or draft), so one session's consecutive calls find a kept-alive
connection in the same small pool; calls that belong to neither take the lanes in turn.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import zlib
from collections.abc import AsyncIterator, Iterator

import attrs
import httpx

from runtime.clock import Clock, SystemClock
from runtime.llm._client import AnthropicClient, HttpChatClient, OpenAiClient
from runtime.llm._endpoint import ProviderEndpoint, provider_endpoint, require_model
from runtime.llm._errors import malformed_answer
from runtime.llm._http import ClientContext, exchange_json
from runtime.llm._retry import Attempts, with_retries
from runtime.llm._settings import LlmSettings
from runtime.llm._structured import EndpointMemory, mode_in_use
from runtime.llm._telemetry import NO_TAGS, CallRecorder, CallTags
from runtime.llm._wire import ModelPage, ProviderWire
from runtime.model.apis import Api, ApiRecord, Provider, StructuredOutput

MAX_MODEL_PAGES = 50
"""Pages of one model list read at most: 50 of Anthropic's default 20 models, far beyond any real list."""

CLIENT_TYPES: dict[Provider, type[HttpChatClient]] = {
    Provider.OPEN_AI: OpenAiClient,
    Provider.ANTHROPIC: AnthropicClient,
}


@attrs.frozen
class LlmHttp:
    """`ChatClients` over lanes of connection pools, one `ClientContext` each. Open it with `open_llm_http`."""

    lanes: tuple[ClientContext, ...]
    _unbound_calls: Iterator[int] = attrs.field(init=False, factory=itertools.count, eq=False, repr=False)

    @property
    def settings(self) -> LlmSettings:
        return self.lanes[0].settings

    @property
    def context(self) -> ClientContext:
        """The lane for a call of no session or draft: the next one in turn."""
        return self.lane_for(NO_TAGS)

    def lane_for(self, tags: CallTags) -> ClientContext:
        return self.lanes[lane_index(tags, len(self.lanes), self._unbound_calls)]

    def client_for(self, api: ApiRecord, tags: CallTags = NO_TAGS) -> HttpChatClient:
        return build_client(api, self.lane_for(tags), tags)

    def structured_output_in_use(self, api: ApiRecord | Api) -> StructuredOutput:
        """The mode the api's next JSON call uses (for `auto`: as far as its endpoint is known)."""
        return mode_in_use(self.lanes[0].memory, api)

    async def list_models(self, endpoint: ProviderEndpoint) -> list[str]:
        """`GET {base}/models` (open_ai) or `{base}/v1/models` (anthropic), then every further page.

        Each page is one request with its own retries (R8) and deadline. A provider whose list
        never ends, or that points back to a page already read, fails with a ProviderError
        instead of being asked forever.
        """
        wire: ProviderWire = CLIENT_TYPES[endpoint.provider].wire
        headers = wire.headers(endpoint.api_key)
        timeout_s = self.settings.timeout_s
        http = self.context.http  # every page on one lane, so they share its kept-alive connection

        async def read_page(url: str) -> ModelPage:
            body = await exchange_json(http, "GET", url, headers, None, timeout_s)
            return wire.read_model_page(body, endpoint.base_url)

        models: list[str] = []
        read_urls: set[str] = set()
        url: str | None = wire.models_url(endpoint.base_url)
        while url is not None:
            if len(read_urls) == MAX_MODEL_PAGES:
                raise malformed_answer(f"model list did not end within {MAX_MODEL_PAGES} pages")
            if url in read_urls:
                raise malformed_answer(f"model list page {len(read_urls)} points back to a page already read")
            read_urls.add(url)
            page = await with_retries(functools.partial(read_page, url), Attempts(), self.settings, "list_models")
            models.extend(page.models)
            url = page.next_url
        return models


def lane_index(tags: CallTags, lane_count: int, unbound_calls: Iterator[int]) -> int:
    """The lane of a call: a stable hash of its session (else draft), else the next of `unbound_calls`.

    crc32 rather than `hash()`, which is salted per process: an id has the same lane in every run,
    so how sessions spread over the lanes can be known from their ids.
    """
    affinity = tags.session_id or tags.draft_id
    if affinity is None:
        return next(unbound_calls) % lane_count
    return zlib.crc32(affinity.encode()) % lane_count


@contextlib.asynccontextmanager
async def open_llm_http(
    settings: LlmSettings, *, recorder: CallRecorder | None = None, clock: Clock | None = None
) -> AsyncIterator[LlmHttp]:
    """Own every lane's connection pool for the duration of the block; deadlines are set per call."""
    clock = clock or SystemClock()
    # Loading the CA bundle takes ~20 ms per context; every lane verifies against the same one.
    tls = httpx.create_ssl_context()
    memory = EndpointMemory()
    async with contextlib.AsyncExitStack() as stack:
        lanes: list[ClientContext] = []
        for max_connections in settings.lane_max_connections():
            # Every idle connection is kept (until httpx's keep-alive expiry) for the next call of the lane.
            limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=None, limits=limits, verify=tls))
            lanes.append(ClientContext(http, settings, clock, recorder, memory))
        yield LlmHttp(tuple(lanes))


def build_client(api: ApiRecord, context: ClientContext, tags: CallTags = NO_TAGS) -> HttpChatClient:
    """A client for `api` as stored now (PROTOCOL §15.1).

    Raises InvalidParams `invalid configuration: {Provider} API key is required` or
    `invalid configuration: model is required`.
    """
    endpoint = provider_endpoint(api.provider, api.base_url, api.api_key)
    model = require_model(api.model)
    return CLIENT_TYPES[api.provider](
        endpoint, model, context, api_id=api.api_id, tags=tags, structured_output=api.structured_output_mode
    )
