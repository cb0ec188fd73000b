"""A bounded fuzz run against a real server, driven by its `rpc.discover` (issue 10): no 5xx,
JSON on every `/rpc` answer, and the server still stores and reads afterwards. The budget is
fixed and the examples are derandomized, so every run sends the same requests and takes seconds;
the 10,000-request campaign is `benchmarks/fuzz_campaign.py`."""

from __future__ import annotations

from typing import Any

import httpx
import trio
from hypothesis import HealthCheck, given, settings

from tests.support.fuzz_requests import FuzzRequest, check_answer, fuzz_requests
from tests.support.server import RpcClient, RunningServer

FUZZ_EXAMPLES = 250
REQUEST_TIMEOUT_S = 10


def fuzz_in_thread(url: str, document: dict[str, Any]) -> list[str]:
    """Run the hypothesis examples with a blocking client; meant for a worker thread, so the
    server keeps serving on the test's trio loop."""
    problems: list[str] = []
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as http:

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(request=fuzz_requests(document))
        def send(request: FuzzRequest) -> None:
            response = http.request(
                request.method, request.path, content=request.body, headers={"Content-Type": request.content_type}
            )
            content_type = response.headers.get("content-type", "")
            problem = check_answer(request, response.status_code, content_type, response.content)
            if problem is not None:
                problems.append(f"{request.label}: {problem}: {request.body[:200]!r}")

        send()
    return problems


async def test_fuzzed_requests_never_get_a_5xx_or_a_non_json_rpc_answer(server: RunningServer) -> None:
    rpc: RpcClient = server.client
    document = await rpc.result("rpc.discover")
    problems = await trio.to_thread.run_sync(fuzz_in_thread, server.url, document)
    assert problems == []
    # The server is still whole: it stores and reads back.
    await rpc.result("lorebook.create", {"lorebook_id": "after-fuzz", "display_name": "After"})
    assert (await rpc.result("lorebook.get", {"lorebook_id": "after-fuzz"}))["display_name"] == "After"
