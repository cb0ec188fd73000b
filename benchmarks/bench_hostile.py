"""Hostile load (issue 10): a fuzz campaign and the memory of concurrent large uploads.

* **fuzz**: `FUZZ_REQUESTS` requests from `tests/support/fuzz_requests.py` (envelopes built from
  the server's `rpc.discover` with hostile values, byte-level mutations, odd paths on the binary
  and static routes), one at a time. Counts HTTP 5xx, `/rpc` answers that are not JSON, and hangs
  (no complete answer within `HANG_S`). Target: 0 of each.
* **uploads**: `UPLOADS` concurrent uploads of `UPLOAD_BYTES` each (junk `.chr` archives, refused
  with 400 once read, so nothing is stored) against a fresh server. Reports the server's resident
  memory (VmRSS) before, at its peak (VmHWM) and after the uploads.

`python -m benchmarks --only hostile` (add `--quick` for 500 fuzz requests); the numbers go to
`benchmarks/results/hostile.json`.
"""

from __future__ import annotations

import concurrent.futures
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import trio
from hypothesis import HealthCheck, Phase, given, settings

from benchmarks import BenchmarkFailed, _processes
from benchmarks._turn_load import MemoryReading, read_memory
from tests.support.fuzz_requests import FuzzRequest, check_answer, fuzz_requests

NAME = "hostile"
FUZZ_REQUESTS = 10_000
QUICK_FUZZ_REQUESTS = 500
HANG_S = 10.0
UPLOADS = 16
UPLOAD_BYTES = 32 * 1024 * 1024
SETTLE_S = 2.0  # after the uploads, before "after" is read
MIB = 1024 * 1024


def _memory(pid: int) -> MemoryReading:
    """RSS and peak RSS (VmHWM) of a process, in MiB, from /proc."""
    reading = trio.run(read_memory, pid)
    if reading is None:
        raise BenchmarkFailed(f"cannot read /proc/{pid}/status")
    return reading


def run_fuzz(url: str, count: int) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=HANG_S) as http:
        document = http.post("/rpc", json={"jsonrpc": "2.0", "id": "d", "method": "rpc.discover"}).json()["result"]
        statuses: dict[str, int] = {}
        problems: list[str] = []
        hangs = sent = 0
        started = time.perf_counter()

        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(request=fuzz_requests(document))
        def send(request: FuzzRequest) -> None:
            nonlocal hangs, sent
            sent += 1
            try:
                response = http.request(
                    request.method, request.path, content=request.body, headers={"Content-Type": request.content_type}
                )
            except httpx.TimeoutException:
                hangs += 1
                return
            statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
            problem = check_answer(
                request, response.status_code, response.headers.get("content-type", ""), response.content
            )
            if problem is not None:
                problems.append(f"{request.label}: {problem}")

        send()
        seconds = time.perf_counter() - started
        after = http.post(
            "/rpc",
            json={
                "jsonrpc": "2.0",
                "id": "a",
                "method": "lorebook.create",
                "params": {"lorebook_id": "after-fuzz", "display_name": "After"},
            },
        )
        round_trip = after.status_code == 200 and "result" in after.json()
    return {
        "requests": sent,
        "seconds": round(seconds, 1),
        "http_5xx": sum(n for status, n in statuses.items() if status.startswith("5")),
        "non_json_rpc_answers": sum(1 for problem in problems if "/rpc answered" in problem),
        "hangs_over_10_s": hangs,
        "statuses": dict(sorted(statuses.items())),
        "first_problems": problems[:10],
        "create_after_fuzz_ok": round_trip,
    }


def run_uploads(url: str, pid: int) -> dict[str, Any]:
    body = b"PK\x03\x04" + b"\x00" * (UPLOAD_BYTES - 4)

    def upload(_: int) -> int:
        with httpx.Client(base_url=url, timeout=120) as http:
            return http.post("/upload/character%3Abench/archive", content=body).status_code

    before = _memory(pid)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(UPLOADS) as pool:
        statuses = list(pool.map(upload, range(UPLOADS)))
    seconds = time.perf_counter() - started
    time.sleep(SETTLE_S)
    after = _memory(pid)
    return {
        "uploads": UPLOADS,
        "upload_mib": UPLOAD_BYTES // MIB,
        "statuses": sorted(set(statuses)),
        "seconds": round(seconds, 2),
        "rss_before_mib": before.rss_mb,
        "rss_peak_mib": after.peak_rss_mb,
        "rss_after_mib": after.rss_mb,
    }


def run(quick: bool) -> dict[str, Any]:
    count = QUICK_FUZZ_REQUESTS if quick else FUZZ_REQUESTS
    with tempfile.TemporaryDirectory(prefix="dramaturg-bench-hostile-") as temp:
        root = Path(temp)
        commands = [
            _processes.ServerCommand("fuzz", _processes.dramaturg_server(root / "fuzz").argv_for),
            _processes.ServerCommand("uploads", _processes.dramaturg_server(root / "uploads").argv_for),
        ]
        with _processes.serving(commands, root / "logs") as servers:
            uploads = run_uploads(servers["uploads"].url, servers["uploads"].process.pid)
            fuzz = run_fuzz(servers["fuzz"].url, count)
            if servers["fuzz"].process.poll() is not None:
                raise BenchmarkFailed(f"the fuzzed server died:\n{servers['fuzz'].log_tail()}")
    errors = (
        fuzz["http_5xx"] + fuzz["non_json_rpc_answers"] + fuzz["hangs_over_10_s"] + (not fuzz["create_after_fuzz_ok"])
    )
    report = {"fuzz": fuzz, "uploads": uploads, "errors": errors}
    _print(report)
    return report


def _print(report: dict[str, Any]) -> None:
    fuzz, uploads = report["fuzz"], report["uploads"]
    print(
        f"fuzz     {fuzz['requests']} requests in {fuzz['seconds']} s: {fuzz['http_5xx']} HTTP 5xx, "
        f"{fuzz['non_json_rpc_answers']} non-JSON /rpc answers, {fuzz['hangs_over_10_s']} hangs over {HANG_S:g} s; "
        f"statuses {fuzz['statuses']}; create afterwards {'ok' if fuzz['create_after_fuzz_ok'] else 'FAILED'}"
    )
    print(
        f"uploads  {uploads['uploads']} × {uploads['upload_mib']} MiB at once in {uploads['seconds']} s "
        f"(statuses {uploads['statuses']}): server RSS {uploads['rss_before_mib']} MiB before, "
        f"{uploads['rss_peak_mib']} MiB at peak, {uploads['rss_after_mib']} MiB {SETTLE_S:g} s after"
    )
