"""CPU use over a measured window, read from /proc: the load process, the server, and everyone else.

Each figure is in cores (1.0 = one core busy for the whole window). Where /proc cannot be read the
server's and the others' figures are None.
"""

from __future__ import annotations

import os
import time

import attrs
import trio

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
# /proc/stat "cpu" line: user nice system idle iowait irq softirq steal …; idle and iowait are not busy.
_IDLE_COLUMNS = (3, 4)
_COUNTED_COLUMNS = 8


@attrs.frozen
class CpuSample:
    wall_s: float
    own_s: float
    process_s: float | None
    machine_busy_s: float | None


@attrs.frozen
class CpuShares:
    client: float  # the load process
    server: float | None  # the loaded server process (DuckDB's threads included, so it can pass 1.0)
    others: float | None  # every other busy core-second on the machine: near 0 for a clean measurement


async def _read(path: str) -> str | None:
    try:
        return await trio.Path(path).read_text()
    except OSError:
        return None


async def _process_cpu_s(pid: int | None) -> float | None:
    stat = None if pid is None else await _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces; fields follow its ")"
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S  # utime, stime


async def _machine_busy_s() -> float | None:
    stat = await _read("/proc/stat")
    if stat is None:
        return None
    ticks = [int(value) for value in stat.split("\n", 1)[0].split()[1 : 1 + _COUNTED_COLUMNS]]
    busy = sum(value for column, value in enumerate(ticks) if column not in _IDLE_COLUMNS)
    return busy / _TICKS_PER_S


async def take_sample(process_id: int | None) -> CpuSample:
    """CPU seconds so far of this process, of `process_id`, and of the whole machine."""
    process_s = await _process_cpu_s(process_id)
    machine_busy_s = await _machine_busy_s()
    return CpuSample(time.perf_counter(), time.process_time(), process_s, machine_busy_s)


def shares_between(first: CpuSample, last: CpuSample) -> CpuShares:
    wall_s = last.wall_s - first.wall_s
    if wall_s <= 0:
        return CpuShares(0.0, None, None)
    client = (last.own_s - first.own_s) / wall_s
    server = None
    if first.process_s is not None and last.process_s is not None:
        server = (last.process_s - first.process_s) / wall_s
    others = None
    if first.machine_busy_s is not None and last.machine_busy_s is not None:
        others = max(0.0, (last.machine_busy_s - first.machine_busy_s) / wall_s - client - (server or 0.0))
    return CpuShares(round(client, 3), _rounded(server), _rounded(others))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
