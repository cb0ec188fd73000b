"""The analytics page in a real browser: `make check-analytics-page` (`python -m benchmarks.analytics_page`).

Opt-in, not part of `make test`: it needs Debian's `chromium` (`apt-get install -y chromium`)
and Playwright for Python (`pip install -e ".[browser]"`; Playwright's own browser download is
not used). Steps:

1. the LLM stub and a Dramaturg server, as processes on free loopback ports;
2. over RPC: a story on the stub, priced apis, and sessions playing turns, some of them
   failing at the Director (its api's model is scripted to answer HTTP 400 every other call);
3. the server stops, and 30 days of older history are written into its file as the analytics
   benchmark writes them (`bench_analytics.write_history`), so the charts have days to show;
4. the server starts again on that file, and headless Chromium opens `/analytics`.

It checks that every chart drew data (SVG bars or lines with values, the stories table with
rows), that switching the range draws again, and that the console and the network stayed clean;
then saves a screenshot to `benchmarks/results/analytics-page.png`. Exit status 0 when all holds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import attrs
import httpx

from benchmarks import RESULTS_DIR, BenchmarkFailed
from benchmarks._processes import DRAMATURG, LLM_STUB, ServerCommand, dramaturg_server, serving
from benchmarks._rpc import Rpc
from benchmarks.bench_analytics import Sizes, write_history
from benchmarks.bench_sessions import AGENTS, set_up_story
from runtime.store import DATABASE_FILE_NAME

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CHARTS: Final = ("calls-per-day", "latency", "failures", "turns-per-day", "cost-per-day")
HISTORY = Sizes(llm_calls=30_000, sessions=60, messages_per_session=20, turns_per_session=12, repeats=0)
TURNS_PER_SESSION: Final = 4
FLAKY_MODEL: Final = "flaky-model"
LOAD_TIMEOUT_MS: Final = 30_000
SCREENSHOT: Final = RESULTS_DIR / "analytics-page.png"


@attrs.frozen
class PageCheck:
    charts: dict[str, int]  # chart → SVG elements with data
    story_rows: int
    console_errors: list[str]
    failed_requests: list[str]
    redrawn_after_range_change: bool

    @property
    def passed(self) -> bool:
        return (
            all(count > 0 for count in self.charts.values())
            and self.story_rows > 0
            and not self.console_errors
            and not self.failed_requests
            and self.redrawn_after_range_change
        )


def scripted_stub() -> ServerCommand:
    """The LLM stub in scripted mode: auto answers, except for the steps scripted for a model."""
    return ServerCommand(
        LLM_STUB,
        lambda listen: [
            sys.executable,
            *("-m", "transport.cli", "llm-stub", "--mode", "scripted", "--listen", listen, "--log-level", "WARNING"),
        ],
    )


def play_turns(server_url: str, stub_url: str) -> None:
    """A story on the stub, two priced apis, and three sessions playing TURNS_PER_SESSION turns
    each; the third session's Director answers HTTP 400 on every other call."""
    start = set_up_story(server_url, stub_url)
    with httpx.Client(base_url=server_url, timeout=120) as http:
        rpc = Rpc(http)
        prices = {"input_per_million_tokens": 0.5, "output_per_million_tokens": 1.5, "currency": "USD"}
        rpc.result("api.update", {"api_id": "stub", "prices": prices})
        flaky = {"api_id": "flaky", "display_name": "Flaky", "provider": "open_ai", "base_url": f"{stub_url}/v1"}
        rpc.result("api.create", {**flaky, "api_key": "sk-flaky", "model": FLAKY_MODEL, "prices": prices})
        bindings = {f"{agent}_api_id": "flaky" if agent == "director" else "stub" for agent in AGENTS}
        rpc.result("api_group.create", {"api_group_id": "flaky", "display_name": "Flaky", "bindings": bindings})
        refusal = {"status": 400, "error_message": "context length exceeded"}
        steps = [{} if number % 2 else refusal for number in range(TURNS_PER_SESSION)]
        httpx.post(f"{stub_url}/_stub/script", json={"model": FLAKY_MODEL, "steps": steps}).raise_for_status()
        for group in ("bench", "bench", "flaky"):
            envelope = {
                "jsonrpc": "2.0",
                "id": "check-start",
                "method": "story.start_session",
                "params": {**attrs.asdict(start), "api_group_id": group},
            }
            session_id = http.post("/rpc", json=envelope).json()["session_id"]
            for number in range(TURNS_PER_SESSION):
                turn = {
                    "jsonrpc": "2.0",
                    "id": f"turn-{number}",
                    "method": "session.run_turn",
                    "session_id": session_id,
                }
                http.post("/rpc", json={**turn, "params": {"player_input": "Look around."}}).raise_for_status()


def check_page(url: str, screenshot: Path) -> PageCheck:
    """Open the page in headless Chromium and check what it drew (see the module docstring)."""
    from playwright.sync_api import sync_playwright  # opt-in: only this check needs Playwright

    console_errors: list[str] = []
    failed_requests: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 400:
            failed_requests.append(f"{response.status} {response.url}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
            page.on("console", on_console)
            page.on("pageerror", lambda error: console_errors.append(str(error)))
            page.on("requestfailed", lambda request: failed_requests.append(f"failed {request.url}"))
            page.on("response", on_response)
            page.goto(f"{url}/analytics")
            page.wait_for_selector("body[data-loaded='true']", timeout=LOAD_TIMEOUT_MS)
            charts = {name: _data_elements(page, name) for name in CHARTS}
            story_rows = page.locator("[data-chart='stories'] tbody tr").count()
            page.screenshot(path=str(screenshot), full_page=True)
            redrawn = _redraws_for(page, "7 days")
        finally:
            browser.close()
    return PageCheck(charts, story_rows, console_errors, failed_requests, redrawn)


def _data_elements(page: Any, chart: str) -> int:
    """SVG bars and lines of `chart` that carry a value above zero."""
    return int(
        page.evaluate(
            """(chart) => [...document.querySelectorAll(`[data-chart="${chart}"] svg .bar, [data-chart="${chart}"] svg .line`)]
                .filter((element) => Number(element.dataset.value) > 0).length""",
            chart,
        )
    )


def _redraws_for(page: Any, label: str) -> bool:
    """Press the range button `label`; whether the page loaded its reports again and drew bars."""
    page.evaluate("delete document.body.dataset.loaded")
    page.get_by_role("button", name=label).click()
    page.wait_for_selector("body[data-loaded='true']", timeout=LOAD_TIMEOUT_MS)
    return _data_elements(page, "calls-per-day") > 0


def run() -> PageCheck:
    with tempfile.TemporaryDirectory(prefix="dramaturg-analytics-page-") as temp:
        root = Path(temp)
        data_dir = root / "data"
        with serving([scripted_stub(), dramaturg_server(data_dir)], root / "logs") as servers:
            play_turns(servers[DRAMATURG].url, servers[LLM_STUB].url)
        write_history(data_dir / DATABASE_FILE_NAME, HISTORY, int(time.time() * 1000))
        with serving([dramaturg_server(data_dir)], root / "logs-page") as servers:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            return check_page(servers[DRAMATURG].url, SCREENSHOT)


def main() -> int:
    try:
        result = run()
    except BenchmarkFailed as failed:
        print(f"analytics page: could not run: {failed}", file=sys.stderr)
        return 1
    for chart, count in result.charts.items():
        print(f"{chart:<16} {count:>5} SVG elements with data")
    print(f"{'stories':<16} {result.story_rows:>5} table rows")
    print(f"redrawn for another range: {result.redrawn_after_range_change}")
    print(f"console errors: {result.console_errors or 'none'}; failed requests: {result.failed_requests or 'none'}")
    print(f"screenshot: {SCREENSHOT}")
    print("PASS" if result.passed else "FAIL")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
