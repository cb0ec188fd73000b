"""`api.list_models` over HTTP against the real server and the real LLM stub (PROTOCOL §6.3, §15)."""

from __future__ import annotations

from pathlib import Path

import trio

from tests.support.llm_stub import RunningStub, start_llm_stub
from tests.support.server import RpcClient, start_server

STUB_MODELS = ["stub-small", "stub-large"]


async def test_open_ai_models_are_listed_with_the_bearer_key(rpc: RpcClient, llm_stub: RunningStub) -> None:
    params = {"provider": "open_ai", "base_url": f"  {llm_stub.openai_base_url}/ ", "api_key": " sk-list "}
    result = await rpc.result("api.list_models", params)
    assert result == {
        "type": "api_models_listed",
        "provider": "open_ai",
        "base_url": llm_stub.openai_base_url,
        "models": STUB_MODELS,
    }
    [sent] = await llm_stub.control.requests()
    assert (sent["method"], sent["path"]) == ("GET", "/v1/models")
    assert sent["headers"]["authorization"] == "Bearer sk-list"


async def test_anthropic_models_are_listed_with_its_headers(rpc: RpcClient, llm_stub: RunningStub) -> None:
    params = {"provider": "anthropic", "base_url": llm_stub.anthropic_base_url, "api_key": "sk-ant"}
    result = await rpc.result("api.list_models", params)
    assert result["models"] == STUB_MODELS and result["provider"] == "anthropic"
    [sent] = await llm_stub.control.requests()
    assert (sent["method"], sent["path"]) == ("GET", "/v1/models")
    assert sent["headers"]["x-api-key"] == "sk-ant"
    assert sent["headers"]["anthropic-version"] == "2023-06-01"


async def test_anthropic_models_are_listed_across_pages(rpc: RpcClient, nursery: trio.Nursery) -> None:
    models = ("claude-1", "claude-2", "claude-3")
    stub = await start_llm_stub(nursery, models=models, models_page_size=1)
    try:
        params = {"provider": "anthropic", "base_url": stub.anthropic_base_url, "api_key": "sk-ant"}
        assert (await rpc.result("api.list_models", params))["models"] == list(models)
        sent = await stub.control.requests()
        assert [request.get("query") for request in sent] == [None, "after_id=claude-1", "after_id=claude-2"]
        assert {request["path"] for request in sent} == {"/v1/models"}
    finally:
        await stub.control.http.aclose()
        await stub.stop()


async def test_blank_key_is_refused_before_any_request(rpc: RpcClient, llm_stub: RunningStub) -> None:
    params = {"provider": "anthropic", "base_url": llm_stub.anthropic_base_url, "api_key": "  "}
    error = await rpc.error("api.list_models", params, expect_status=200)
    assert error == {"code": -32602, "message": "invalid configuration: Anthropic API key is required"}
    params["provider"] = "open_ai"
    error = await rpc.error("api.list_models", params)
    assert error["message"] == "invalid configuration: OpenAI API key is required"
    assert await llm_stub.control.requests() == []


async def test_missing_params_are_decode_errors(rpc: RpcClient) -> None:
    envelope = await rpc.call("api.list_models", {"provider": "open_ai", "base_url": "http://x"}, expect_status=400)
    assert envelope["error"] == {"code": -32602, "message": "params.api_key: missing required field"}


async def test_rejected_key_is_a_provider_error(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await llm_stub.control.script({"status": 401}, model="_models")
    params = {"provider": "open_ai", "base_url": llm_stub.openai_base_url, "api_key": "wrong"}
    error = await rpc.error("api.list_models", params, expect_status=200)
    assert error == {"code": 50002, "message": "authentication failed"}


async def test_provider_http_error_carries_its_status_and_message(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await llm_stub.control.script({"status": 404, "error_message": "no such route"}, model="_models")
    params = {"provider": "anthropic", "base_url": llm_stub.anthropic_base_url, "api_key": "k"}
    error = await rpc.error("api.list_models", params)
    assert error == {"code": 50002, "message": "provider error (404): no such route"}


async def test_listing_models_is_retried_after_a_server_error(
    nursery: trio.Nursery, tmp_path: Path, llm_stub: RunningStub
) -> None:
    server = await start_server(nursery, tmp_path / "data", llm_backoff_base_s=0.0)
    try:
        await llm_stub.control.script({"status": 503}, model="_models")
        params = {"provider": "open_ai", "base_url": llm_stub.openai_base_url, "api_key": "k"}
        assert (await server.client.result("api.list_models", params))["models"] == STUB_MODELS
        assert len(await llm_stub.control.requests()) == 2
        unreachable = {**params, "base_url": "http://127.0.0.1:1/v1"}
        error = await server.client.error("api.list_models", unreachable)
        assert error["code"] == 50002 and error["message"].startswith("transport error: ")
    finally:
        await server.client.http.aclose()
        await server.stop()
