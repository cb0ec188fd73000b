"""The access token (issue 10, finding 2): every route family refuses a request without it, API
clients use a Bearer header, browsers sign in on the login page and carry a session cookie."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio

from tests.support.server import RunningServer, start_server
from transport.auth import MAX_FAILURES

TOKEN = "test-token-0123456789abcdef"
RPC_BODY = {"jsonrpc": "2.0", "id": "r", "method": "api.list", "params": {}}


def build_client(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<html>client</html>")
    (root / "assets" / "app.js").write_text("export const x = 1;")
    return root


@pytest.fixture
async def private(nursery: trio.Nursery, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(
        nursery, tmp_path / "data", auth_token=TOKEN, static_dir=build_client(tmp_path / "dist")
    )
    try:
        yield running
    finally:
        await running.client.http.aclose()
        await running.stop()


ROUTES = [
    ("POST", "/rpc", {"Content-Type": "application/json"}, b'{"jsonrpc":"2.0","id":"r","method":"api.list"}'),
    ("POST", "/upload/character%3Ax/cover", {"Content-Type": "image/png"}, b"png"),
    ("GET", "/download/character%3Ax/cover", {}, b""),
    ("GET", "/assets/app.js", {}, b""),
    ("GET", "/workspace/dashboard", {}, b""),
    ("GET", "/openrpc.json", {}, b""),
    ("POST", "/logout", {}, b""),
]


@pytest.mark.parametrize(("method", "path", "headers", "body"), ROUTES)
async def test_every_route_family_refuses_a_request_without_the_token(
    private: RunningServer, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    http = private.client.http
    missing = await http.request(method, path, content=body, headers=headers)
    assert missing.status_code == 401, path
    assert missing.headers["www-authenticate"].startswith("Bearer")
    error = missing.json()["error"] if path == "/rpc" else missing.json()
    assert error == {"code": 40101, "message": "an access token is required"}
    wrong = await http.request(method, path, content=body, headers={**headers, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = await http.request(method, path, content=body, headers={**headers, "Authorization": f"Bearer {TOKEN}"})
    assert right.status_code not in (401, 403), path


async def test_healthz_and_the_login_page_stay_open(private: RunningServer) -> None:
    http = private.client.http
    assert (await http.get("/healthz")).text == "ok"
    page = await http.get("/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/login">' in page.text
    # Self-contained: nothing is loaded from anywhere else.
    assert not re.search(r"(src|href)=", page.text)


async def test_a_browser_is_sent_to_the_login_page_and_then_works_with_its_cookie(private: RunningServer) -> None:
    http = httpx.AsyncClient(base_url=private.url, follow_redirects=False)
    try:
        page = await http.get("/workspace/dashboard", headers={"Accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fworkspace%2Fdashboard"
        wrong = await http.post("/login", data={"token": "not-it", "next": "/workspace/dashboard"})
        assert wrong.status_code == 401 and "not right" in wrong.text and "set-cookie" not in wrong.headers
        signed_in = await http.post("/login", data={"token": TOKEN, "next": "/workspace/dashboard"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/workspace/dashboard"
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert TOKEN not in cookie
        # The unchanged web client: same-origin fetches carry the cookie.
        assert (await http.get("/workspace/dashboard")).text == "<html>client</html>"
        assert (await http.post("/rpc", json=RPC_BODY)).json()["result"]["type"] == "apis_listed"
        assert (await http.get("/assets/app.js")).status_code == 200
        signed_out = await http.post("/logout")
        assert signed_out.status_code == 303 and "Max-Age=0" in signed_out.headers["set-cookie"]
        assert (await http.post("/rpc", json=RPC_BODY)).status_code == 401
    finally:
        await http.aclose()


async def test_login_only_redirects_to_paths_of_this_server(private: RunningServer) -> None:
    http = private.client.http
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = await http.post("/login", data={"token": TOKEN, "next": target})
        assert answer.status_code == 303 and answer.headers["location"] == "/", target


async def test_a_login_form_posted_from_another_site_is_refused(private: RunningServer) -> None:
    answer = await private.client.http.post("/login", data={"token": TOKEN}, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


async def test_failed_attempts_are_rate_limited_per_address_and_logged_without_the_token(
    private: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    http = private.client.http
    with caplog.at_level(logging.INFO):
        for attempt in range(MAX_FAILURES):
            wrong = await http.post(
                "/rpc", json=RPC_BODY, headers={"Authorization": f"Bearer guess-{attempt}-secretish"}
            )
            assert wrong.status_code == 401
        locked = await http.post("/rpc", json=RPC_BODY, headers={"Authorization": f"Bearer {TOKEN}"})
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        assert locked.json()["error"]["code"] == 42929
        login = await http.post("/login", data={"token": TOKEN})
        assert login.status_code == 429
    failures = [record for record in caplog.records if record.getMessage() == "auth_failed"]
    assert len(failures) >= MAX_FAILURES and failures[0].route == "/rpc"
    logged = " ".join(str(vars(record)) for record in caplog.records)
    assert "secretish" not in logged and TOKEN not in logged


async def test_without_a_token_nothing_asks_for_one(server: RunningServer) -> None:
    http = server.client.http
    assert (await http.post("/rpc", json=RPC_BODY)).status_code == 200
    assert (await http.get("/login")).status_code == 404


async def test_a_login_form_over_the_size_limit_is_refused_without_signing_in(private: RunningServer) -> None:
    form = f"token={TOKEN}&pad={'x' * 5000}".encode()

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: the bytes are counted as they come
        for start in range(0, len(form), 1000):
            yield form[start : start + 1000]

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (form, chunked()):
        answer = await private.client.http.post("/login", content=body, headers=headers)
        assert answer.status_code == 400 and "set-cookie" not in answer.headers
