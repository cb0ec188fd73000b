"""The cards benchmark: `dramaturg import` of a folder of PNG character cards into a real server.

1,000 PNG cards of about 0.5 MB each (a 400×400 picture of random pixels, as incompressible as a
real portrait, carrying a V2 card with an embedded lorebook in `chara` and the same card as V3
in `ccv3`) are written to a temporary folder. A fresh server is started as its own process;
then `python -m transport.cli import FOLDER --server URL` runs as another process, and the
time from its start to its exit is the number: everything a user waits for, the CLI's own
start-up included. The run counts only if the CLI exits 0 and the server then lists every card
as a character, and every card's five-entry book as a lorebook.

The CPU the server and the command used meanwhile is read from /proc, and so is what every other
process on the machine used (`other_cores`): on a shared machine the rate says little without it.

The target is ≥ 50 cards/s. `--quick` imports 20 cards (a check of the harness, not a measurement).
"""

from __future__ import annotations

import base64
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Final

import httpx
import trio

from benchmarks import REPO_ROOT, BenchmarkFailed, _cpu, _processes

NAME: Final = "cards"
TARGET_CARDS_PER_S: Final = 50.0
FULL_CARDS, QUICK_CARDS = 1_000, 20
JOBS: Final = 8  # the command's default
SIDE_PX: Final = 400  # 400 × 400 RGB: 480 KB of pixels
IMPORT_TIMEOUT_S: Final = 600.0
MB: Final = 1_000_000
BUSY_MACHINE_CORES: Final = 0.25  # other processes using more than this make the number noisy


class CardImportFailed(BenchmarkFailed):
    """The import command failed or the server does not hold every card afterwards."""


def _chunk(chunk_type: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + chunk_type + body + struct.pack(">I", zlib.crc32(chunk_type + body))


def picture() -> tuple[bytes, bytes]:
    """The PNG around the cards: (everything before IEND, the IEND chunk). Random pixels do not compress."""
    header = struct.pack(">IIBBBBB", SIDE_PX, SIDE_PX, 8, 2, 0, 0, 0)
    rows = b"".join(b"\0" + os.urandom(SIDE_PX * 3) for _ in range(SIDE_PX))
    head = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 1))
    return head, _chunk(b"IEND", b"")


def card(index: int) -> dict[str, Any]:
    """A V2 card of a realistic size (a few KB of text and a small book)."""
    entries = [
        {
            "keys": [f"place-{index}-{entry}", "harbor"],
            "content": f"Lore entry {entry} of character {index}. " * 12,
            "extensions": {"position": 0, "depth": 4},
            "enabled": True,
            "insertion_order": 100 + entry,
        }
        for entry in range(5)
    ]
    data = {
        "name": f"Bench Character {index}",
        "description": f"{{{{char}}}} number {index} keeps the lighthouse. " * 30,
        "personality": "patient, dry, observant",
        "scenario": "A storm is coming. " * 10,
        "first_mes": "*The lamp turns.* You are late, {{user}}. " * 5,
        "mes_example": "<START>\n{{user}}: Hello?\n{{char}}: Shut the door. " * 4,
        "creator_notes": "Generated for the benchmark.",
        "system_prompt": "",
        "post_history_instructions": "",
        "alternate_greetings": ["*Silence.*"],
        "tags": ["benchmark", "lighthouse"],
        "creator": "bench",
        "character_version": "1",
        "extensions": {"talkativeness": "0.5", "fav": False, "world": ""},
        "character_book": {"name": f"Book {index}", "extensions": {}, "entries": entries},
    }
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": data}


def _text(keyword: str, value: dict[str, Any]) -> bytes:
    return _chunk(b"tEXt", keyword.encode() + b"\0" + base64.b64encode(json.dumps(value).encode()))


def write_cards(folder: Path, count: int) -> int:
    """Write `count` PNG cards into `folder`; the total bytes written."""
    head, end = picture()
    total = 0
    for index in range(count):
        v2 = card(index)
        v3 = {**v2, "spec": "chara_card_v3", "spec_version": "3.0", "data": {**v2["data"], "group_only_greetings": []}}
        data = head + _text("chara", v2) + _text("ccv3", v3) + end
        (folder / f"Bench Character {index:04d}.png").write_bytes(data)
        total += len(data)
    return total


def _import_command(folder: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "transport.cli", "import", str(folder), "--server", url, "--jobs", str(JOBS)]


def _count(url: str, family: str) -> int:
    """How many characters (`family` "character") or lorebooks the server lists."""
    envelope = {"jsonrpc": "2.0", "id": "bench", "method": f"{family}.list", "params": {}}
    with httpx.Client(base_url=url, timeout=60) as http:
        return len(http.post("/rpc", json=envelope).json()["result"][f"{family}s"])


def run(quick: bool) -> dict[str, Any]:
    """Write the cards, serve, time `dramaturg import`, check the server holds them all."""
    count = QUICK_CARDS if quick else FULL_CARDS
    with tempfile.TemporaryDirectory(prefix="dramaturg-bench-cards-") as temp:
        root = Path(temp)
        folder = root / "characters"
        folder.mkdir()
        total_bytes = write_cards(folder, count)
        command = _processes.dramaturg_server(root / "data", "--log-level", "WARNING")
        with _processes.serving([command], root / "logs") as servers:
            server = servers[_processes.DRAMATURG]
            before, children_before = trio.run(_cpu.take_sample, server.process.pid), _children_cpu_s()
            started = time.perf_counter()
            finished = subprocess.run(
                _import_command(folder, server.url),
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=IMPORT_TIMEOUT_S,
            )
            seconds = time.perf_counter() - started
            after, command_cpu_s = trio.run(_cpu.take_sample, server.process.pid), _children_cpu_s() - children_before
            stored, books = _count(server.url, "character"), _count(server.url, "lorebook")
    if finished.returncode != 0 or stored != count or books != count:
        tail = (finished.stdout + finished.stderr)[-2000:]
        raise CardImportFailed(
            f"exit status {finished.returncode}, {stored} of {count} characters and {books} lorebooks stored:\n{tail}"
        )
    report = _report(count, total_bytes, seconds, _cpu_figures(before, after, command_cpu_s))
    _print_table(report)
    return report


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_figures(before: _cpu.CpuSample, after: _cpu.CpuSample, command_cpu_s: float) -> dict[str, float | None]:
    """CPU seconds of the server and of the command during the import, and the other processes' cores."""
    wall_s = after.wall_s - before.wall_s
    server_cpu_s = None
    if before.process_s is not None and after.process_s is not None:
        server_cpu_s = after.process_s - before.process_s
    other_cores = None
    if before.machine_busy_s is not None and after.machine_busy_s is not None and server_cpu_s is not None:
        busy_s = after.machine_busy_s - before.machine_busy_s
        other_cores = max(0.0, busy_s - server_cpu_s - command_cpu_s) / wall_s
    return {
        "server_cpu_s": None if server_cpu_s is None else round(server_cpu_s, 2),
        "command_cpu_s": round(command_cpu_s, 2),
        "other_cores": None if other_cores is None else round(other_cores, 2),
    }


def _report(count: int, total_bytes: int, seconds: float, cpu: dict[str, float | None]) -> dict[str, Any]:
    cards_per_s = count / seconds
    return {
        "benchmark": NAME,
        "cards": count,
        "jobs": JOBS,
        "mean_card_bytes": total_bytes // count,
        "seconds": round(seconds, 3),
        "cards_per_s": round(cards_per_s, 1),
        "mb_per_s": round(total_bytes / MB / seconds, 1),
        "target_cards_per_s": TARGET_CARDS_PER_S,
        "meets_target": cards_per_s >= TARGET_CARDS_PER_S,
        **cpu,
        "errors": 0,
    }


def _print_table(report: dict[str, Any]) -> None:
    verdict = "ok" if report["meets_target"] else "MISSED"
    others = report["other_cores"]
    if others is not None and others > BUSY_MACHINE_CORES:
        verdict += f" (machine busy: other processes used {others:.1f} cores; noisy)"
    print(
        f"{report['cards']} PNG cards of {report['mean_card_bytes'] / MB:.2f} MB, `dramaturg import` with "
        f"{report['jobs']} in flight, CLI start-up included"
    )
    print(f"{'seconds':>8} {'cards/s':>8} {'MB/s':>8} {'srv cpu s':>9} {'cmd cpu s':>9} {'target':>8}")
    print(
        f"{report['seconds']:>8.2f} {report['cards_per_s']:>8.1f} {report['mb_per_s']:>8.1f} "
        f"{report['server_cpu_s'] or 0:>9.1f} {report['command_cpu_s']:>9.1f} "
        f"{'≥ ' + format(TARGET_CARDS_PER_S, '.0f'):>8} {verdict}"
    )


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
