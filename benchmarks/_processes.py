"""Server processes for the benchmarks: start on a free loopback port, wait for `/healthz`, stop cleanly.

`serving(commands)` starts every command at once (so their start-ups overlap), waits until each
answers `/healthz`, yields the running servers and, on the way out, stops them all with SIGTERM (and
SIGKILL after a grace period). Each server's output goes to a log file, shown when it fails to start.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import attrs
import httpx

from benchmarks import REPO_ROOT, BenchmarkFailed

LOOPBACK = "127.0.0.1"
DRAMATURG = "dramaturg"
BARE = "bare"
LLM_STUB = "llm-stub"
START_TIMEOUT_S = 30.0
STOP_GRACE_S = 10.0
_HEALTH_POLL_S = 0.05
_LOG_TAIL_CHARS = 3000


class ServerFailed(BenchmarkFailed):
    """A server process exited or never became healthy."""


@attrs.frozen
class ServerCommand:
    name: str
    argv_for: Callable[[str], list[str]]  # the command line, given the "host:port" to listen on


@attrs.frozen
class RunningServer:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
        except OSError:
            return ""


def dramaturg_server(data_dir: Path, *extra_args: str) -> ServerCommand:
    """The real server, with a DuckDB file under `data_dir` (and any further `serve` flags)."""
    return ServerCommand(
        DRAMATURG,
        lambda listen: [
            sys.executable,
            "-m",
            "transport.cli",
            "serve",
            "--listen",
            listen,
            "--data-dir",
            str(data_dir),
            *extra_args,
        ],
    )


def llm_stub(latency_ms: int = 0, tokens_per_s: float = 0.0) -> ServerCommand:
    """The LLM stub in auto mode: every call waits `latency_ms`, then streams at `tokens_per_s` (0: at once)."""
    return ServerCommand(
        LLM_STUB,
        lambda listen: [
            sys.executable,
            "-m",
            "transport.cli",
            "llm-stub",
            "--mode",
            "auto",
            "--listen",
            listen,
            "--latency-ms",
            str(latency_ms),
            "--tokens-per-s",
            str(tokens_per_s),
            "--log-level",
            "WARNING",
        ],
    )


def bare_app() -> ServerCommand:
    """The hello-world baseline on the same stack (`benchmarks.bare_app`)."""
    return ServerCommand(BARE, lambda listen: [sys.executable, "-m", "benchmarks.bare_app", "--listen", listen])


def free_port() -> int:
    """A port that was free on the loopback address a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(commands: Sequence[ServerCommand], log_dir: Path) -> Iterator[dict[str, RunningServer]]:
    """Start all `commands`, wait until each is healthy, yield them by name, stop them all at the end."""
    log_dir.mkdir(parents=True, exist_ok=True)
    running: list[RunningServer] = []
    try:
        for command in commands:
            running.append(_start(command, log_dir))
        for server in running:
            wait_healthy(server, START_TIMEOUT_S)
        yield {server.name: server for server in running}
    finally:
        for server in running:
            _signal_stop(server)
        for server in running:
            _wait_stopped(server)


def _start(command: ServerCommand, log_dir: Path) -> RunningServer:
    listen = f"{LOOPBACK}:{free_port()}"
    log_path = log_dir / f"{command.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command.argv_for(listen), cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    return RunningServer(command.name, f"http://{listen}", process, log_path)


def wait_healthy(server: RunningServer, timeout_s: float) -> None:
    """Poll `GET /healthz` until it answers 200. Raises ServerFailed on exit or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=server.url, timeout=1.0) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ServerFailed(
                    f"{server.name} exited with {server.process.returncode} before answering /healthz:\n"
                    f"{server.log_tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if http.get("/healthz").status_code == 200:
                    return
            time.sleep(_HEALTH_POLL_S)
    raise ServerFailed(f"{server.name} did not answer /healthz within {timeout_s:.0f} s:\n{server.log_tail()}")


def _signal_stop(server: RunningServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)


def _wait_stopped(server: RunningServer) -> None:
    try:
        server.process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=STOP_GRACE_S)
