"""The server as a separate OS process, for tests that kill it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import trio

STARTUP_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """`python -m transport.cli serve` on a free loopback port with `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: trio.Process | None = None

    async def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "transport.cli",
            "serve",
            "--listen",
            f"127.0.0.1:{self.port}",
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            "WARNING",
        ]
        self.process = await trio.lowlevel.open_process(command, env={**os.environ}, stdout=subprocess.DEVNULL)
        with trio.fail_after(STARTUP_TIMEOUT_S):
            async with httpx.AsyncClient(base_url=self.url) as http:
                while True:
                    try:
                        if (await http.get("/healthz")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await trio.sleep(0.05)  # polling a port that another process opens

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        with trio.fail_after(STARTUP_TIMEOUT_S):
            return await self.process.wait()
