"""The load generator: N concurrent keep-alive clients posting one JSON-RPC request shape to `/rpc`.

It runs in a process of its own (`python -m benchmarks._load`, a `LoadSpec` as JSON on stdin, a
`LoadResult` as JSON on stdout) so that the client's CPU is not taken from the server it measures;
`measure()` starts that process and reads its answer. Only loopback URLs are accepted.

Clients load the server without a pause from the start; requests that complete during the warm-up
are not counted, those that complete inside the measured window are. A run is bounded by a request
count (`max_requests`) and by time (warm-up + duration, plus one request timeout for the last ones).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs
import httpx
import trio

from benchmarks import REPO_ROOT, BenchmarkFailed
from benchmarks._cpu import CpuSample, CpuShares, shares_between, take_sample
from runtime.codec import CODEC
from transport.gc_tuning import settle_after_start

R = TypeVar("R")
S = TypeVar("S")

SEQ_MARK = "$SEQ"
"""Replaced in a request body by a number unique within the run (for ids that must not repeat)."""

JSON_HEADERS = {"content-type": "application/json"}

# The envelope's `result`/`error` member comes right after `jsonrpc`, `id` and `session_id`, so the
# first bytes tell success from failure without decoding a large body on the client's CPU.
_ENVELOPE_HEAD_BYTES = 512
_RESULT_MEMBER = b'"result":{'
_SPARE_AFTER_RUN_S = 30.0  # process start-up and teardown, on top of the run's own bound


@attrs.frozen
class LoadSettings:
    """How hard and how long to load each case."""

    clients: int = 32
    warmup_s: float = 1.0
    duration_s: float = 5.0
    max_requests: int = 200_000
    request_timeout_s: float = 10.0


@attrs.frozen
class LoadSpec:
    url: str
    body: str  # the whole request body; every SEQ_MARK is replaced by a per-request number
    settings: LoadSettings
    server_pid: int | None = None  # when given, the server's CPU use is sampled over the window
    first_seq: int = 1  # the first number put in for SEQ_MARK; later requests count up from it


@attrs.frozen
class LoadResult:
    requests: int  # successful requests completed inside the measured window
    errors: int  # failed requests over the whole run, warm-up included
    window_s: float  # length of the measured window
    rps: float
    p50_ms: float
    p99_ms: float
    client_cpu: float  # share of one core the load process used during the window (near 1.0: client-bound)
    server_cpu: float | None  # the same for the server process, when its pid was given
    other_cpu: float | None  # cores busy with anything else: high means a noisy measurement
    first_error: str | None = None


class LoadFailed(BenchmarkFailed):
    """The load process could not run or did not answer."""


@attrs.define
class _Tally:
    """What the client tasks share: tickets left, completions and errors (trio tasks, one thread)."""

    tickets_left: int
    next_seq: int
    completions: list[tuple[float, float]] = attrs.Factory(list)  # (ended, latency_s) of successes
    errors: int = 0
    first_error: str | None = None

    def take_ticket(self) -> int | None:
        """The next sequence number, or None when the run's request budget is spent."""
        if self.tickets_left <= 0:
            return None
        self.tickets_left -= 1
        self.next_seq += 1
        return self.next_seq - 1

    def record(self, began: float, ended: float, failure: str | None) -> None:
        if failure is None:
            self.completions.append((ended, ended - began))
            return
        self.errors += 1
        if self.first_error is None:
            self.first_error = failure


@attrs.frozen
class _Window:
    start: float
    end: float


def require_loopback(url: str) -> None:
    """Refuse any target that is not on this machine."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"benchmark target must be a loopback address, got {url!r}")


def percentile_ms(sorted_latencies_s: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted latencies, in milliseconds (0.0 when empty)."""
    if not sorted_latencies_s:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_latencies_s)))
    return sorted_latencies_s[rank - 1] * 1000.0


def _failure_of(response: httpx.Response) -> str | None:
    head = response.content[:_ENVELOPE_HEAD_BYTES]
    if response.status_code == 200 and _RESULT_MEMBER in head:
        return None
    return f"HTTP {response.status_code}: {head.decode(errors='replace')[:300]}"


async def _sample_window(window: _Window, server_pid: int | None, samples: list[CpuSample]) -> None:
    for moment in (window.start, window.end):
        await trio.sleep(max(0.0, moment - time.perf_counter()))
        samples.append(await take_sample(server_pid))


async def _client(http: httpx.AsyncClient, body: str, window: _Window, tally: _Tally) -> None:
    varies = SEQ_MARK in body
    while time.perf_counter() < window.end:
        ticket = tally.take_ticket()
        if ticket is None:
            return
        content = body.replace(SEQ_MARK, str(ticket)) if varies else body
        began = time.perf_counter()
        try:
            response = await http.post("/rpc", content=content, headers=JSON_HEADERS)
            failure = _failure_of(response)
        except httpx.HTTPError as exc:
            failure = f"{type(exc).__name__}: {exc}"
        tally.record(began, time.perf_counter(), failure)


def _result(tally: _Tally, window: _Window, samples: list[CpuSample]) -> LoadResult:
    cpu = shares_between(*samples) if len(samples) == 2 else CpuShares(0.0, None, None)
    if not tally.completions:
        return LoadResult(0, tally.errors, 0.0, 0.0, 0.0, 0.0, cpu.client, cpu.server, cpu.others, tally.first_error)
    # When the tickets run out before the deadline, the window closes at the last completion.
    last_end = max(ended for ended, _ in tally.completions)
    window_end = min(window.end, last_end) if tally.tickets_left == 0 else window.end
    latencies = sorted(latency for ended, latency in tally.completions if window.start <= ended <= window_end)
    window_s = max(window_end - window.start, 0.0)
    rps = len(latencies) / window_s if window_s > 0 else 0.0
    return LoadResult(
        requests=len(latencies),
        errors=tally.errors,
        window_s=round(window_s, 4),
        rps=round(rps, 1),
        p50_ms=round(percentile_ms(latencies, 0.50), 3),
        p99_ms=round(percentile_ms(latencies, 0.99), 3),
        client_cpu=cpu.client,
        server_cpu=cpu.server,
        other_cpu=cpu.others,
        first_error=tally.first_error,
    )


async def run_load(spec: LoadSpec) -> LoadResult:
    """Load `spec.url` from `clients` concurrent clients, each with its own keep-alive connection."""
    require_loopback(spec.url)
    settings = spec.settings
    tally = _Tally(tickets_left=settings.max_requests, next_seq=spec.first_seq)
    samples: list[CpuSample] = []
    # One client per task: a shared pool of 32 connections costs the client more CPU per request
    # than the server spends on a hello-world answer. One TLS context for all, loaded once, because
    # building one per client takes ~17 ms (never used: the URLs are plain http on loopback).
    tls = ssl.create_default_context()
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=spec.url, limits=one_connection, timeout=settings.request_timeout_s, verify=tls
                )
            )
            for _ in range(settings.clients)
        ]
        started = time.perf_counter()
        window = _Window(started + settings.warmup_s, started + settings.warmup_s + settings.duration_s)
        with trio.move_on_after(settings.warmup_s + settings.duration_s + settings.request_timeout_s):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_sample_window, window, spec.server_pid, samples)
                for http in clients:
                    nursery.start_soon(_client, http, spec.body, window, tally)
    return _result(tally, window, samples)


def run_in_process(module: str, spec: Any, result_type: type[R], bound_s: float, failure: type[BenchmarkFailed]) -> R:
    """Run `python -m module` with `spec` as JSON on stdin and read its result from stdout.

    Bounded by `bound_s`; raises `failure` when the process times out or fails.
    """
    try:
        finished = subprocess.run(
            [sys.executable, "-m", module],
            input=json.dumps(CODEC.unstructure(spec)),
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=bound_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise failure(f"{module} did not finish within {bound_s:.0f} s") from exc
    if finished.returncode != 0:
        raise failure(f"{module} exited with {finished.returncode}: {finished.stderr.strip()[-2000:]}")
    return CODEC.structure(json.loads(finished.stdout), result_type, path=f"{module} result")


def serve_in_process(spec_type: type[S], run: Callable[[S], Awaitable[Any]]) -> None:
    """The other side of `run_in_process`: read the spec, run it under trio, write the result.

    The collector is set as in the servers, so that the measuring process does not stop for a
    full collection in the middle of the requests it times."""
    spec = CODEC.structure(json.loads(sys.stdin.read()), spec_type, path="spec")
    settle_after_start()
    result = trio.run(run, spec)
    sys.stdout.write(json.dumps(CODEC.unstructure(result)))


def measure(spec: LoadSpec) -> LoadResult:
    """Run one load in a separate process and return its result. Raises LoadFailed."""
    require_loopback(spec.url)
    settings = spec.settings
    bound_s = settings.warmup_s + settings.duration_s + settings.request_timeout_s + _SPARE_AFTER_RUN_S
    return run_in_process("benchmarks._load", spec, LoadResult, bound_s, LoadFailed)


def main() -> None:
    serve_in_process(LoadSpec, run_load)


if __name__ == "__main__":
    main()
