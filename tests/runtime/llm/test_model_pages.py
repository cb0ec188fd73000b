"""Model lists over several pages: Anthropic's `has_more`/`after_id`, and the guards against endless lists."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable

import attrs
import pytest
import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from quart import Response, request
from quart_trio import QuartTrio

from runtime.errors import ProviderError
from runtime.llm import LlmHttp, open_llm_http, provider_endpoint
from runtime.llm._factory import MAX_MODEL_PAGES
from runtime.llm.anthropic_wire import AnthropicModel, AnthropicModelList
from runtime.model.apis import Provider
from tests.runtime.llm.conftest import FAST
from tests.support.llm_stub import RunningStub, start_llm_stub
from transport.llm_stub._responses import json_response

MODELS = ("claude-a", "claude-b", "claude-c", "claude-d", "claude-e")
PAGE_SIZE = 2


@pytest.fixture
async def llm() -> AsyncIterator[LlmHttp]:
    async with open_llm_http(FAST) as opened:
        yield opened


@pytest.fixture
async def paged_stub(nursery: trio.Nursery) -> AsyncIterator[RunningStub]:
    """The stub listing five models, two per Anthropic page."""
    stub = await start_llm_stub(nursery, models=MODELS, models_page_size=PAGE_SIZE)
    try:
        yield stub
    finally:
        await stub.control.http.aclose()
        await stub.stop()


async def list_anthropic(llm: LlmHttp, base_url: str) -> list[str]:
    return await llm.list_models(provider_endpoint(Provider.ANTHROPIC, base_url, "sk-ant-key"))


# -- against the stub ----------------------------------------------------------------------


async def test_every_anthropic_page_is_read_in_provider_order(llm: LlmHttp, paged_stub: RunningStub) -> None:
    assert await list_anthropic(llm, paged_stub.anthropic_base_url) == list(MODELS)
    sent = await paged_stub.control.requests()
    assert [(request["method"], request["path"]) for request in sent] == [("GET", "/v1/models")] * 3
    assert [request.get("query") for request in sent] == [None, "after_id=claude-b", "after_id=claude-d"]
    assert all(request["headers"]["x-api-key"] == "sk-ant-key" for request in sent)
    assert all(request["headers"]["anthropic-version"] == "2023-06-01" for request in sent)


async def test_the_cursor_is_url_encoded(llm: LlmHttp, nursery: trio.Nursery) -> None:
    odd_ids = ("a/b", "c&limit=1", "d e", "f")
    stub = await start_llm_stub(nursery, models=odd_ids, models_page_size=1)
    try:
        assert await list_anthropic(llm, stub.anthropic_base_url) == list(odd_ids)
        queries = [request.get("query") for request in await stub.control.requests()]
        assert queries == [None, "after_id=a%2Fb", "after_id=c%26limit%3D1", "after_id=d+e"]
    finally:
        await stub.control.http.aclose()
        await stub.stop()


async def test_a_failing_page_is_retried_alone(llm: LlmHttp, paged_stub: RunningStub) -> None:
    await paged_stub.control.script({}, {"status": 503}, model="_models")
    assert await list_anthropic(llm, paged_stub.anthropic_base_url) == list(MODELS)
    queries = [request.get("query") for request in await paged_stub.control.requests()]
    assert queries == [None, "after_id=claude-b", "after_id=claude-b", "after_id=claude-d"]


async def test_a_page_that_fails_for_good_fails_the_whole_list(llm: LlmHttp, paged_stub: RunningStub) -> None:
    await paged_stub.control.script({}, {"status": 404, "error_message": "gone"}, model="_models")
    with pytest.raises(ProviderError) as raised:
        await list_anthropic(llm, paged_stub.anthropic_base_url)
    assert raised.value.message == "provider error (404): gone"


async def test_openai_lists_stay_one_request(llm: LlmHttp, paged_stub: RunningStub) -> None:
    endpoint = provider_endpoint(Provider.OPEN_AI, paged_stub.openai_base_url, "sk-openai")
    assert await llm.list_models(endpoint) == list(MODELS)
    [sent] = await paged_stub.control.requests()
    assert sent["path"] == "/v1/models" and "query" not in sent


# -- against a misbehaving provider ---------------------------------------------------------


@attrs.define
class FakeProvider:
    """An Anthropic `/v1/models` served by the test, and the `after_id` of every request it received."""

    url: str
    after_ids: list[str | None]


Answer = Callable[[str | None, int], AnthropicModelList]
"""The page to answer, given the request's `after_id` and how many requests came so far (this one included)."""

StartFake = Callable[[Answer], Awaitable[FakeProvider]]


@pytest.fixture
async def fake_provider(nursery: trio.Nursery) -> AsyncIterator[StartFake]:
    """Starts fake providers on loopback ports; all are shut down after the test."""
    shutdown = trio.Event()

    async def start(answer: Answer) -> FakeProvider:
        app = QuartTrio(__name__)
        after_ids: list[str | None] = []

        @app.get("/v1/models")
        async def models() -> Response:
            after_ids.append(request.args.get("after_id"))
            return json_response(answer(after_ids[-1], len(after_ids)))

        config = Config()
        config.bind = ["127.0.0.1:0"]
        config.accesslog = None
        config.graceful_timeout = 0.2
        binds = await nursery.start(functools.partial(serve, app, config, shutdown_trigger=shutdown.wait))
        return FakeProvider(binds[0], after_ids)

    yield start
    shutdown.set()


def page(*ids: str, has_more: bool, last_id: str | None) -> AnthropicModelList:
    return AnthropicModelList([AnthropicModel(model_id) for model_id in ids], has_more=has_more, last_id=last_id)


SAFETY_STOP = MAX_MODEL_PAGES + 10
"""The endless provider ends here after all, so a missing guard fails the test instead of hanging it."""


async def test_a_list_that_never_ends_stops_after_the_page_limit(llm: LlmHttp, fake_provider: StartFake) -> None:
    def endless(after_id: str | None, count: int) -> AnthropicModelList:
        return page(f"m{count}", has_more=count < SAFETY_STOP, last_id=f"m{count}")

    provider = await fake_provider(endless)
    with pytest.raises(ProviderError) as raised:
        await list_anthropic(llm, provider.url)
    assert raised.value.message == f"provider error: model list did not end within {MAX_MODEL_PAGES} pages"
    assert len(provider.after_ids) == MAX_MODEL_PAGES
    assert provider.after_ids[:3] == [None, "m1", "m2"]


async def test_has_more_without_last_id_is_a_provider_error(llm: LlmHttp, fake_provider: StartFake) -> None:
    def no_cursor(after_id: str | None, count: int) -> AnthropicModelList:
        return page("m1", has_more=count == 1, last_id=None if count == 1 else "m1")

    provider = await fake_provider(no_cursor)
    with pytest.raises(ProviderError) as raised:
        await list_anthropic(llm, provider.url)
    assert raised.value.message == "provider error: model list page says has_more but gives no last_id"
    assert not raised.value.retryable
    assert provider.after_ids == [None]


async def test_a_repeated_last_id_is_a_provider_error(llm: LlmHttp, fake_provider: StartFake) -> None:
    def stuck(after_id: str | None, count: int) -> AnthropicModelList:
        return page("m1", has_more=count < SAFETY_STOP, last_id="m1")

    provider = await fake_provider(stuck)
    with pytest.raises(ProviderError) as raised:
        await list_anthropic(llm, provider.url)
    assert raised.value.message == "provider error: model list page 2 points back to a page already read"
    assert provider.after_ids == [None, "m1"]
