"""Cross-site defence (issue 10, finding 1): JSON Content-Type on `/rpc`, the Origin and Host
checks on every route family, and CORS only for origins the operator allows."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import trio

from tests.support.server import RpcClient, RunningServer, start_server

API = {
    "api_id": "stub",
    "display_name": "Stub",
    "provider": "open_ai",
    "base_url": "http://127.0.0.1:9/v1",
    "api_key": "sk-test-key-123",
    "model": "m",
}
STEAL = {
    "jsonrpc": "2.0",
    "id": "x",
    "method": "api.update",
    "params": {"api_id": "stub", "base_url": "http://attacker/v1"},
}
PLAN = {"jsonrpc": "2.0", "id": "y", "method": "story.generate_plan", "params": {"resource_id": "resource-0"}}


def port_of(server: RunningServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


async def stored_base_url(rpc: RpcClient) -> str:
    return (await rpc.result("api.get", {"api_id": "stub"}))["base_url"]


async def test_the_two_request_key_theft_fails_from_a_foreign_origin(server: RunningServer) -> None:
    rpc = server.client
    await rpc.result("api.create", API)
    for body in (STEAL, PLAN):
        # What a page on another site can send without a preflight: text/plain, its own Origin.
        simple = await rpc.http.post(
            "/rpc", content=json.dumps(body), headers={"Content-Type": "text/plain", "Origin": "http://evil.example"}
        )
        assert simple.status_code == 403
        assert simple.json()["error"]["code"] == 40303
        assert "access-control-allow-origin" not in simple.headers
        # Even with a JSON type (after a preflight the server never grants), the Origin is refused.
        preflighted = await rpc.http.post("/rpc", json=body, headers={"Origin": "http://evil.example"})
        assert preflighted.status_code == 403
    assert await stored_base_url(rpc) == API["base_url"]


async def test_the_key_theft_fails_through_a_rebinding_host(server: RunningServer) -> None:
    rpc = server.client
    await rpc.result("api.create", API)
    port = port_of(server)
    for host in (f"evil.example:{port}", "evil.example", f"localhost.evil.example:{port}"):
        for body in (STEAL, PLAN):
            response = await rpc.http.post("/rpc", json=body, headers={"Host": host, "Origin": f"http://{host}"})
            assert response.status_code == 403, host
            assert "not served here" in response.json()["error"]["message"]
    assert await stored_base_url(rpc) == API["base_url"]


async def test_the_web_client_and_curl_with_json_keep_working(server: RunningServer) -> None:
    rpc = server.client
    port = port_of(server)
    # The web client: same origin, JSON, string ids.
    for own in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        host = own.removeprefix("http://")
        response = await rpc.http.post(
            "/rpc",
            json={"jsonrpc": "2.0", "id": "req-1", "method": "api.list", "params": {}},
            headers={"Origin": own, "Host": host},
        )
        assert response.status_code == 200 and response.json()["result"]["type"] == "apis_listed"
    # curl: no Origin at all, JSON with a charset parameter.
    response = await rpc.http.post(
        "/rpc",
        content=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "api.list"}),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200 and response.json()["id"] == 1


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
async def test_rpc_refuses_a_body_that_is_not_declared_json(rpc: RpcClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"jsonrpc": "2.0", "id": "r", "method": "api.list"}).encode()
    response = await rpc.http.post("/rpc", content=body, headers=headers)
    assert response.status_code == 415
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": f"Content-Type: expected application/json, got {content_type or 'none'}"},
    }


async def test_every_route_family_checks_origin_and_host(server: RunningServer) -> None:
    http = server.client.http
    requests = [
        ("POST", "/rpc", {"Content-Type": "application/json"}, b"{}"),
        ("POST", "/upload/character%3Ax/cover", {"Content-Type": "image/png"}, b"png"),
        ("GET", "/download/character%3Ax/cover", {}, b""),
        ("GET", "/", {}, b""),
        ("GET", "/workspace/dashboard", {}, b""),
        ("GET", "/healthz", {}, b""),
    ]
    for method, path, headers, body in requests:
        foreign = await http.request(method, path, content=body, headers={**headers, "Origin": "https://evil.example"})
        assert foreign.status_code == 403, path
        assert foreign.headers["content-type"].startswith("application/json"), path
        rebound = await http.request(method, path, content=body, headers={**headers, "Host": "evil.example"})
        assert rebound.status_code == 403, path
        null_origin = await http.request(method, path, content=body, headers={**headers, "Origin": "null"})
        assert null_origin.status_code == 403, path


async def test_a_turn_stream_request_from_a_foreign_origin_is_refused_before_any_frame(rpc: RpcClient) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": "t",
        "session_id": "session-0",
        "method": "session.run_turn",
        "params": {"player_input": "hi"},
    }
    response = await rpc.http.post("/rpc", json=body, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403 and response.headers["content-type"].startswith("application/json")


async def test_allowed_origins_and_hosts_are_served_with_cors(nursery: trio.Nursery, tmp_path: Path) -> None:
    running = await start_server(
        nursery,
        tmp_path / "data",
        allowed_origins=("https://app.example",),
        allowed_hosts=("dramaturg.example", "other.example:8443"),
    )
    http: httpx.AsyncClient = running.client.http
    try:
        preflight = await http.options(
            "/rpc",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "Content-Type" in preflight.headers["access-control-allow-headers"]
        refused = await http.options(
            "/rpc", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
        call = await http.post(
            "/rpc",
            json={"jsonrpc": "2.0", "id": "r", "method": "api.list"},
            headers={"Origin": "https://app.example", "Host": "dramaturg.example"},
        )
        assert call.status_code == 200 and call.headers["access-control-allow-origin"] == "https://app.example"
        assert call.headers["vary"] == "Origin"
        own = await http.post("/rpc", json={"jsonrpc": "2.0", "id": "r", "method": "api.list"})
        assert "access-control-allow-origin" not in own.headers
        assert (await http.get("/healthz", headers={"Host": "other.example:8443"})).status_code == 200
        assert (await http.get("/healthz", headers={"Host": "other.example:9000"})).status_code == 403
    finally:
        await http.aclose()
        await running.stop()
