"""The `/analytics` page over HTTP: served by Dramaturg with the right types, never shadowed by the
static client, and every report it asks for answers. (Drawing it in a real browser is
`make check-analytics-page`.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import trio

from tests.e2e.test_static_client import build_client
from tests.support.analytics_world import play_a_story
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, start_server

# `rpc("analytics.llm_usage", { ...range, group_by: ["day", "agent"] })` in analytics.js
PAGE_CALL = re.compile(r'rpc\("([a-z_.]+)", \{ ?(\.\.\.range, )?(.*?) ?\}\)')


def calls_of_the_page(script: str) -> list[tuple[str, dict[str, Any], bool]]:
    """The JSON-RPC calls the page's script makes: method, params (the range left out), and
    whether the range is added."""
    found = []
    for method, ranged, literal in PAGE_CALL.findall(script):
        as_json = "{" + re.sub(r"(\w+):", r'"\1":', literal) + "}"
        found.append((method, json.loads(as_json), bool(ranged)))
    return found


async def test_the_page_and_its_assets_are_served_with_their_types(rpc: RpcClient) -> None:
    page = await rpc.http.get("/analytics")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/analytics/analytics.js" defer></script>' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from another site
    for path, content_type in (
        ("/analytics/analytics.js", "text/javascript; charset=utf-8"),
        ("/analytics/analytics.css", "text/css; charset=utf-8"),
    ):
        asset = await rpc.http.get(path)
        assert asset.status_code == 200 and asset.headers["content-type"] == content_type, path
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert (await rpc.http.get("/analytics/")).text == page.text
    assert (await rpc.http.get("/analytics/other.js")).status_code == 404


async def test_a_static_client_does_not_shadow_the_page(nursery: trio.Nursery, tmp_path: Path) -> None:
    client = build_client(tmp_path / "dist")
    (client / "analytics").mkdir()
    (client / "analytics" / "analytics.js").write_text("shadowed")
    running = await start_server(nursery, tmp_path / "data", static_dir=client)
    http: httpx.AsyncClient = running.client.http
    try:
        assert "<title>Dramaturg · Analytics</title>" in (await http.get("/analytics")).text
        assert (await http.get("/analytics/analytics.js")).text.startswith('"use strict";')
        assert (await http.get("/workspace/dashboard")).text == "<html>client</html>"  # the fallback still works
    finally:
        await http.aclose()
        await running.stop()


async def test_every_report_the_page_asks_for_answers(rpc: RpcClient, llm_stub: RunningStub) -> None:
    await play_a_story(rpc, llm_stub)
    script = (await rpc.http.get("/analytics/analytics.js")).text
    calls = calls_of_the_page(script)
    assert {method for method, _, _ in calls} == {"analytics.llm_usage", "analytics.play", "story.list"}
    for method, params, ranged in calls:
        for range_params in ({}, {"since_ms": 0}) if ranged else ({},):
            result = await rpc.result(method, {**params, **range_params})
            assert result["type"] in {"llm_usage_report", "play_report", "stories_listed"}, method
    by_agent = await rpc.result("analytics.llm_usage", {"group_by": ["agent"], "latency_histogram": True})
    assert all(row["latency_histogram"] for row in by_agent["rows"])
