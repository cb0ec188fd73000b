"""The static web client at `/` with the SPA fallback; API routes always win."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio

from tests.support.server import start_server


def build_client(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<html>client</html>")
    (root / "assets" / "app.js").write_text("export const x = 1;")
    (root / "assets" / "app.css").write_text("body{}")
    (root / "healthz").write_text("shadowed")
    return root


async def test_static_files_fallback_and_precedence(nursery: trio.Nursery, tmp_path: Path) -> None:
    running = await start_server(nursery, tmp_path / "data", static_dir=build_client(tmp_path / "dist"))
    http: httpx.AsyncClient = running.client.http
    try:
        index = await http.get("/")
        assert index.status_code == 200 and index.text == "<html>client</html>"
        script = await http.get("/assets/app.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert (await http.get("/assets/app.css")).headers["content-type"].startswith("text/css")
        route = await http.get("/workspace/dashboard")
        assert route.status_code == 200 and route.text == "<html>client</html>"
        assert (await http.get("/stage/session-4")).text == "<html>client</html>"
        assert (await http.get("/assets/missing.js")).status_code == 404
        assert (await http.get("/healthz")).text == "ok"
        assert "root:" not in (await http.get("/%2e%2e/%2e%2e/etc/passwd")).text
        # Paths the file system cannot look up are a JSON 404, never an HTML 500.
        odd_paths = ("/assets/a%00b.js", "/workspace/a%00b", "/" + "x" * 5000 + ".js", "/" + "/".join(["y" * 250] * 40))
        for odd in odd_paths:
            answer = await http.get(odd)
            assert answer.status_code == 404, odd[:40]
            assert answer.headers["content-type"].startswith("application/json")
    finally:
        await http.aclose()
        await running.stop()


async def test_without_a_build_a_placeholder_page_is_served_at_the_root_only(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    running = await start_server(nursery, tmp_path / "data")
    try:
        page = await running.client.http.get("/")
        assert page.status_code == 200 and "Dramaturg" in page.text
        for path in ("/workspace/stories", "/assets/app.js", "/nothing/here"):
            missing = await running.client.http.get(path)
            assert missing.status_code == 404, path
            assert missing.headers["content-type"].startswith("application/json")
            assert missing.json() == {"code": 40404, "message": f"nothing is served at {path}"}
    finally:
        await running.client.http.aclose()
        await running.stop()


TRAVERSALS = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/assets/../../secret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/assets/..%5c..%5csecret.txt",
    "/%2fetc%2fpasswd",
    "//etc/passwd",
    "/%2F%2Fetc%2Fpasswd",
    "/....//secret.txt",
    "/.%2e/secret.txt",
    "/%2e./secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/%uff0e%uff0e/secret.txt",
    "/．．/secret.txt",
    "/assets/%00/../../secret.txt",
    "/outside-link",
    "/outside-link/",
    "/assets/outside-link",
    "/dir-link/secret.txt",
    "/?/../secret.txt",
    "/#/../secret.txt",
    "/;/../secret.txt",
]


async def test_thirty_traversal_attempts_serve_nothing_outside_the_folder(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    dist = build_client(tmp_path / "dist")
    (dist / "outside-link").symlink_to(tmp_path / "secret.txt")
    (dist / "assets" / "outside-link").symlink_to(tmp_path / "secret.txt")
    (dist / "dir-link").symlink_to(tmp_path)
    running = await start_server(nursery, tmp_path / "data", static_dir=dist)
    try:
        assert len(TRAVERSALS) == 30
        for path in TRAVERSALS:
            answer = await running.client.http.get(path)
            assert "TOP-SECRET" not in answer.text and "root:" not in answer.text, path
            assert answer.status_code < 500, path
    finally:
        await running.client.http.aclose()
        await running.stop()
