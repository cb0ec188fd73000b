"""The `/rpc` envelope: pre-dispatch checks in order, error envelopes and `session_id` echo rules."""

from __future__ import annotations

import json

import pytest

from tests.support.server import RpcClient, RunningServer
from transport.registry import ALL_METHOD_NAMES


async def post_raw(rpc: RpcClient, body: bytes | str, content_type: str = "application/json") -> tuple[int, dict]:
    response = await rpc.http.post("/rpc", content=body, headers={"Content-Type": content_type})
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code, response.json()


async def test_body_that_is_not_json_is_a_parse_error_with_null_id(rpc: RpcClient) -> None:
    status, body = await post_raw(rpc, b"{not json")
    assert status == 400
    assert body["id"] is None and body["jsonrpc"] == "2.0"
    assert body["error"]["code"] == -32700


async def test_nan_and_infinity_are_not_json(rpc: RpcClient) -> None:
    status, body = await post_raw(rpc, '{"jsonrpc":"2.0","id":"r","method":"api.list","params":{"x":NaN}}')
    assert status == 400 and body["error"]["code"] == -32700


async def test_json_nested_deeper_than_the_parser_goes_is_a_parse_error_not_a_crash(rpc: RpcClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    status, body = await post_raw(rpc, '{"jsonrpc":"2.0","id":"r","method":"api.list","params":' + deep + "}")
    assert status == 400 and body["id"] is None
    assert body["error"] == {
        "code": -32700,
        "message": "parse error: request body is not valid JSON (nested deeper than 128 levels)",
    }


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        ([1, 2], "request: expected object, got array"),
        ({"id": "r", "method": "api.list"}, "jsonrpc: missing required field"),
        ({"jsonrpc": "1.0", "id": "r", "method": "api.list"}, 'jsonrpc: expected "2.0", got "1.0"'),
        ({"jsonrpc": "2.0", "method": "api.list"}, "id: missing required field"),
        ({"jsonrpc": "2.0", "id": 1.5, "method": "api.list"}, "id: expected string or integer, got number"),
        ({"jsonrpc": "2.0", "id": True, "method": "api.list"}, "id: expected string or integer, got boolean"),
        ({"jsonrpc": "2.0", "id": None, "method": "api.list"}, "id: expected string or integer, got null"),
        ({"jsonrpc": "2.0", "id": "r"}, "method: missing required field"),
        ({"jsonrpc": "2.0", "id": "r", "method": 3}, "method: expected string, got number"),
        (
            {"jsonrpc": "2.0", "id": "r", "method": "api.list", "session_id": None},
            "session_id: expected string, got null",
        ),
    ],
)
async def test_malformed_envelopes_are_invalid_requests(rpc: RpcClient, envelope: object, message: str) -> None:
    status, body = await post_raw(rpc, json.dumps(envelope))
    assert status == 400
    assert body["error"] == {"code": -32600, "message": message}


@pytest.mark.parametrize("request_id", [7, 0, -3, 2**63 - 1, "7"])
async def test_integer_and_string_ids_are_echoed_unchanged(rpc: RpcClient, request_id: int | str) -> None:
    status, body = await post_raw(rpc, json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "api.list"}))
    assert status == 200 and body["id"] == request_id and type(body["id"]) is type(request_id)
    _, failed = await post_raw(rpc, json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "api.get", "params": {}}))
    assert failed["id"] == request_id and type(failed["id"]) is type(request_id)


async def test_an_integer_id_beyond_64_bits_is_refused_without_echo(rpc: RpcClient) -> None:
    status, body = await post_raw(rpc, json.dumps({"jsonrpc": "2.0", "id": 2**64, "method": "api.list"}))
    assert status == 400 and body["id"] is None
    assert body["error"] == {"code": -32600, "message": "id: integer out of range (more than 64 bits)"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_other_methods_on_rpc_are_405_json_with_allow_post(rpc: RpcClient, method: str) -> None:
    response = await rpc.http.request(method, "/rpc")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == -32600 and response.json()["id"] is None


async def test_unknown_method_is_method_not_found_naming_the_method(rpc: RpcClient) -> None:
    envelope = await rpc.call("session.publish", {}, expect_status=400)
    assert envelope["error"] == {"code": -32601, "message": "unknown method 'session.publish'"}
    assert envelope["id"].startswith("req-")


async def test_every_protocol_method_is_recognised(rpc: RpcClient) -> None:
    assert len(ALL_METHOD_NAMES) == 96 and len(set(ALL_METHOD_NAMES)) == 96
    for name in ALL_METHOD_NAMES:
        envelope = await rpc.call(name, {"__probe__": 1})
        assert envelope["error"]["code"] != -32601, name


async def test_unknown_param_key_is_named_and_session_id_echoed(rpc: RpcClient) -> None:
    envelope = await rpc.call("api.list", {"bogus": 1}, session_id="session-0", expect_status=400)
    assert envelope == {
        "jsonrpc": "2.0",
        "id": envelope["id"],
        "session_id": "session-0",
        "error": {"code": -32602, "message": "params.bogus: unknown field"},
    }


async def test_params_that_are_not_an_object_are_refused(rpc: RpcClient) -> None:
    status, body = await post_raw(rpc, json.dumps({"jsonrpc": "2.0", "id": "r", "method": "api.list", "params": [1]}))
    assert status == 400
    assert body["error"] == {"code": -32602, "message": "params: expected object, got array"}


async def test_absent_params_mean_empty_params(rpc: RpcClient) -> None:
    status, body = await post_raw(rpc, json.dumps({"jsonrpc": "2.0", "id": "r", "method": "api.list"}))
    assert status == 200 and body["result"] == {"type": "apis_listed", "apis": []}


async def test_wrong_types_are_named_with_their_path_and_not_coerced(rpc: RpcClient) -> None:
    envelope = await rpc.call(
        "api.create",
        {"api_id": 5, "display_name": "x", "provider": "open_ai", "base_url": "u", "api_key": "k", "model": "m"},
        expect_status=400,
    )
    assert envelope["error"]["message"] == "params.api_id: expected string, got int"
    missing = await rpc.call("api.get", {}, expect_status=400)
    assert missing["error"]["message"] == "params.api_id: missing required field"


async def test_success_for_a_non_session_method_omits_session_id(rpc: RpcClient) -> None:
    envelope = await rpc.call("api.list", {}, session_id="session-3")
    assert "session_id" not in envelope and envelope["result"]["type"] == "apis_listed"


async def test_handler_errors_are_http_200_with_the_request_id(rpc: RpcClient) -> None:
    envelope = await rpc.call("api.get", {"api_id": "nope"}, session_id="s", expect_status=200)
    assert envelope["error"]["code"] == 40404 and envelope["session_id"] == "s"


async def test_oversize_rpc_body_is_413_envelope_with_connection_close(server: RunningServer) -> None:
    big = b'{"jsonrpc":"2.0","id":"x","method":"api.list","params":{"pad":"' + b"a" * (33 * 1024 * 1024) + b'"}}'
    response = await server.client.http.post("/rpc", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": "request body exceeds the limit of 33554432 bytes"},
    }
    # the client can go on using the server afterwards
    assert (await server.client.call("api.list"))["result"]["type"] == "apis_listed"


async def test_healthz_answers_ok(rpc: RpcClient) -> None:
    response = await rpc.http.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"
    assert response.headers["content-type"].startswith("text/plain")


async def test_rpc_discover_describes_every_method(rpc: RpcClient) -> None:
    result = await rpc.result("rpc.discover")
    assert result["type"] == "openrpc" and result["openrpc"].startswith("1.")
    names = {method["name"] for method in result["methods"]}
    assert set(ALL_METHOD_NAMES) <= names
    create = next(method for method in result["methods"] if method["name"] == "api.create")
    assert {param["name"] for param in create["params"]} == {
        "api_id",
        "display_name",
        "provider",
        "base_url",
        "api_key",
        "model",
        "prices",  # a Dramaturg extension: optional, so the web client's api form stays valid
        "structured_output",
    }
    assert [param["required"] for param in create["params"] if param["name"] == "prices"] == [False]
    provider = next(param for param in create["params"] if param["name"] == "provider")
    assert provider["schema"] == {"type": "string", "enum": ["open_ai", "anthropic"]}
    mode = next(param for param in create["params"] if param["name"] == "structured_output")
    assert mode["required"] is False
    api_properties = result["components"]["schemas"]["Api"]["properties"]
    assert {"structured_output", "structured_output_in_use"} <= set(api_properties)
    assert result["components"]["schemas"]["Api"]["properties"]["has_api_key"] == {"type": "boolean"}


async def test_the_openrpc_document_is_also_served_at_a_path(rpc: RpcClient) -> None:
    response = await rpc.http.get("/openrpc.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    discovered = await rpc.result("rpc.discover")
    assert {"type": "openrpc", **response.json()} == discovered
