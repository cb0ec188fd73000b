"""The turn load generator: N sessions, each playing M turns over the SSE stream, all at once.

It runs in a process of its own (`python -m benchmarks._turn_load`, a `TurnLoadSpec` as JSON on
stdin, a `TurnLoadResult` as JSON on stdout) so that its CPU is not taken from the server; `play()`
starts that process and reads its answer. Only loopback URLs are accepted.

A run has up to three phases, each bounded in time:

1. set-up: `story.start_session` for the N sessions (unless ids are given), `create_concurrency`
   requests at a time; meanwhile one extra session plays `calibration_turns` turns alone, so the
   stub's time of an uncontended turn can be read from the server's telemetry afterwards;
2. touch (optional): one `session.update` per session, which makes the server spawn its actor;
   the server's RSS is read before and after;
3. turns: every session plays its M turns one after the other, all sessions concurrently, each
   over its own keep-alive connection. Per turn: the wall time (request sent → terminal frame
   read), the ack time (sent → `ack` event) and the time from the ack to the first delta event.
   "Sent" is when the request's last byte was written to the connection (httpx's `trace`
   extension): the time this process takes to build a request is not the server's.

A session whose turn fails stops there (its later turns are counted as skipped): a turn that
timed out may still be running on the server, which would refuse the next one with 40909.
"""

from __future__ import annotations

import contextlib
import json
import re
import ssl
import time
from collections.abc import AsyncIterator

import attrs
import httpx
import trio

from benchmarks import BenchmarkFailed
from benchmarks._cpu import CpuSample, shares_between, take_sample
from benchmarks._load import JSON_HEADERS, require_loopback, run_in_process, serve_in_process

DELTA_EVENTS = frozenset({"narrator_text_delta", "actor_thought_delta", "actor_dialogue_delta"})
TERMINAL_FRAMES = frozenset({"completed", "failed"})
REQUEST_WRITTEN = "http11.send_request_body.complete"  # the trace event after which the request is sent
_SPARE_AFTER_RUN_S = 30.0  # process start-up and teardown, on top of the phases' own bounds
# The frame's type, and the event body's type right after it, read without decoding the whole
# message (the bodies that carry a snapshot are several KB; decoding each would load the client).
_FRAME = re.compile(rb'"frame":\{"type":"([a-z_]+)"(?:,"body":\{"type":"([a-z_]+)")?')
_NEXT_TURN_INDEX = re.compile(rb'"next_turn_index":(\d+)')
_KB_PER_MB = 1024.0
TOUCH_WARMUP = 32
"""Sessions whose actors are woken before the server's RSS is first read (see `run_turn_load`)."""


@attrs.frozen
class SessionStart:
    """The `story.start_session` params of every created session."""

    story_id: str
    player_profile_id: str
    api_group_id: str
    preset_id: str


@attrs.frozen
class TurnLoadSpec:
    url: str
    sessions: int  # N
    turns_per_session: int  # M (0: create and touch only)
    start: SessionStart | None = None  # how to create the sessions; None: use `session_ids`
    session_ids: list[str] = attrs.Factory(list)
    calibration_turns: int = 0  # turns of one extra session, played alone during the set-up
    touch: bool = False  # send one `session.update` per session before the turns
    player_input: str = "I look around and ask what happened here."
    create_concurrency: int = 32
    setup_timeout_s: float = 300.0  # bound of phases 1 and 2 together
    turn_timeout_s: float = 120.0
    turns_timeout_s: float = 300.0  # bound of phase 3: turns still running then are counted as unfinished
    server_pid: int | None = None  # its CPU is sampled over the turns, its RSS read between phases
    stub_pid: int | None = None  # its CPU is sampled over the turns


@attrs.frozen
class TurnSample:
    session_id: str
    turn_index: int  # from `turn_started.next_turn_index`
    started_s: float  # when the request went out, from the start of the turns phase
    wall_ms: float  # request sent → terminal frame read
    ack_ms: float  # request sent → `ack` event read
    first_delta_ms: float | None  # `ack` → first delta event (None: the turn streamed no text)
    frames: int  # `message` events read, terminal frame included


@attrs.frozen
class MemoryReading:
    rss_mb: float
    peak_rss_mb: float  # VmHWM: the highest RSS of the process so far


@attrs.frozen
class TurnLoadResult:
    session_ids: list[str]
    setup_s: float  # length of phase 1
    setup_errors: int
    touch_s: float | None  # waking the actors after the warm-up ones
    touch_errors: int
    calibration: list[TurnSample]  # the calibration session's turns
    turns: list[TurnSample]  # every successful turn of phase 3, in completion order
    errors: int  # failed turns of phase 3: transport, HTTP, unary error, `failed` frame, turn timeout
    failed_frames: int  # of which a `failed` frame
    skipped: int  # turns not played because an earlier turn of their session failed
    unfinished: int  # turns still running, or not started, when phase 3's bound ran out
    window_s: float  # phase 3: first request sent → last turn ended (→ the bound, when it cut turns)
    window_start_ms: float  # the window on the wall clock (ms since the epoch), to match the server's telemetry
    client_cpu: float  # share of one core used by this process during phase 3
    server_cpu: float | None
    stub_cpu: float | None
    other_cpu: float | None  # cores busy with anything else during phase 3
    server_memory_before_touch: MemoryReading | None  # after the first TOUCH_WARMUP actors were woken
    server_memory_after_touch: MemoryReading | None
    server_memory_after_turns: MemoryReading | None
    first_error: str | None = None


class TurnLoadFailed(BenchmarkFailed):
    """The turn load process could not run or did not answer."""


class TurnFailure(Exception):
    """One turn went wrong; the message says how."""

    def __init__(self, message: str, *, failed_frame: bool = False) -> None:
        super().__init__(message)
        self.failed_frame = failed_frame


@attrs.define
class _Tally:
    """What the tasks of one run share (trio tasks, one thread)."""

    turns: list[TurnSample] = attrs.Factory(list)
    errors: int = 0
    failed_frames: int = 0
    skipped: int = 0
    last_end: float = 0.0
    first_error: str | None = None

    def failure(self, message: str, *, failed_frame: bool = False) -> None:
        self.errors += 1
        self.failed_frames += failed_frame
        if self.first_error is None:
            self.first_error = message


# -- one request, one turn -----------------------------------------------------------------


def _envelope(request_id: str, method: str, params: dict[str, object], session_id: str | None = None) -> bytes:
    envelope: dict[str, object] = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    if session_id is not None:
        envelope["session_id"] = session_id
    return json.dumps(envelope, separators=(",", ":")).encode()


async def _unary(http: httpx.AsyncClient, body: bytes) -> dict[str, object]:
    """Post one envelope; its decoded answer. Raises TurnFailure on any error."""
    try:
        response = await http.post("/rpc", content=body, headers=JSON_HEADERS)
    except httpx.HTTPError as exc:
        raise TurnFailure(f"{type(exc).__name__}: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or not isinstance(answer, dict) or "result" not in answer:
        raise TurnFailure(f"HTTP {response.status_code}: {response.text[:300]}")
    return answer


async def _events(response: httpx.Response) -> AsyncIterator[tuple[bytes, bytes]]:
    """(name, data) of each SSE event as it arrives (LF framing, one `data:` line, PROTOCOL §4.1)."""
    buffer = b""
    async for chunk in response.aiter_bytes():
        buffer += chunk
        while (end := buffer.find(b"\n\n")) >= 0:
            block, buffer = buffer[:end], buffer[end + 2 :]
            name, _, data = block.partition(b"\n")
            yield name.removeprefix(b"event: "), data.removeprefix(b"data: ")
    if buffer.strip():
        raise TurnFailure(f"stream ended inside an event: {buffer[:200]!r}")


def _frame_of(data: bytes) -> tuple[str, str | None]:
    """The frame type and, for an `event` frame, its body type."""
    found = _FRAME.search(data)
    if found is not None and (found.group(1) != b"event" or found.group(2) is not None):
        return found.group(1).decode(), found.group(2).decode() if found.group(2) else None
    frame = json.loads(data)["frame"]  # another key order than the server's usual one
    return frame["type"], frame.get("body", {}).get("type")


async def _play_turn(
    http: httpx.AsyncClient, session_id: str, request_id: str, player_input: str, phase_start: float
) -> TurnSample:
    """One `session.run_turn`, read to its terminal frame. Raises TurnFailure."""
    body = _envelope(request_id, "session.run_turn", {"player_input": player_input}, session_id)
    written: list[float] = []

    async def trace(event: str, _info: object) -> None:
        if event == REQUEST_WRITTEN:
            written.append(time.perf_counter())

    acked: float | None = None
    first_delta: float | None = None
    turn_index: int | None = None
    ended: float | None = None
    frames = 0
    try:
        async with http.stream(
            "POST", "/rpc", content=body, headers=JSON_HEADERS, extensions={"trace": trace}
        ) as response:
            content_type = response.headers.get("content-type", "")
            if response.status_code != 200 or not content_type.startswith("text/event-stream"):
                text = (await response.aread()).decode(errors="replace")
                raise TurnFailure(f"no stream: HTTP {response.status_code} {content_type}: {text[:300]}")
            # Read on to the end of the body after the terminal frame, as a browser does: a response
            # closed before its end costs the connection, and every turn would open a new one.
            async for name, data in _events(response):
                if ended is not None:
                    raise TurnFailure(f"event {name!r} after the terminal frame")
                if acked is None:
                    if name != b"ack":
                        raise TurnFailure(f"first event is {name!r}, not ack")
                    acked = time.perf_counter()
                    continue
                frames += 1
                frame, body_type = _frame_of(data)
                if first_delta is None and body_type in DELTA_EVENTS:
                    first_delta = time.perf_counter()
                elif turn_index is None and body_type == "turn_started":
                    found = _NEXT_TURN_INDEX.search(data)
                    turn_index = int(found.group(1)) if found else None
                elif frame == "failed":
                    error = json.loads(data)["frame"]["error"]
                    raise TurnFailure(f"failed frame {error['code']}: {error['message']}", failed_frame=True)
                elif frame in TERMINAL_FRAMES:
                    ended = time.perf_counter()
            if ended is None:
                raise TurnFailure("stream ended without a terminal frame")
    except httpx.HTTPError as exc:
        raise TurnFailure(f"{type(exc).__name__}: {exc}") from exc
    if acked is None or turn_index is None or not written:
        raise TurnFailure("stream without an ack or a turn_started event, or no request trace")
    sent = written[0]
    return TurnSample(
        session_id=session_id,
        turn_index=turn_index,
        started_s=round(sent - phase_start, 4),
        wall_ms=round((ended - sent) * 1000.0, 3),
        ack_ms=round((acked - sent) * 1000.0, 3),
        first_delta_ms=None if first_delta is None else round((first_delta - acked) * 1000.0, 3),
        frames=frames,
    )


async def _play_session(
    http: httpx.AsyncClient,
    session_id: str,
    spec: TurnLoadSpec,
    turns: int,
    phase_start: float,
    tally: _Tally,
    samples: list[TurnSample],
) -> None:
    for number in range(turns):
        sample: TurnSample | None = None
        with trio.move_on_after(spec.turn_timeout_s):
            try:
                sample = await _play_turn(
                    http, session_id, f"turn-{session_id}-{number}", spec.player_input, phase_start
                )
            except TurnFailure as failure:
                tally.failure(f"{session_id}: {failure}", failed_frame=failure.failed_frame)
                tally.skipped += turns - number - 1
                return
        tally.last_end = time.perf_counter()
        if sample is None:
            tally.failure(f"{session_id}: turn took longer than {spec.turn_timeout_s:.0f} s")
            tally.skipped += turns - number - 1
            return
        samples.append(sample)


# -- the phases ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _clients(url: str, count: int, timeout_s: float) -> AsyncIterator[list[httpx.AsyncClient]]:
    """`count` clients with one keep-alive connection each (see `benchmarks._load` for why)."""
    tls = ssl.create_default_context()  # one for all: building one per client costs ~17 ms each
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, limits=one_connection, timeout=timeout_s, verify=tls)
            )
            for _ in range(count)
        ]


@attrs.define
class _Setup:
    session_ids: list[str] = attrs.Factory(list)
    errors: int = 0
    first_error: str | None = None
    calibration: list[TurnSample] = attrs.Factory(list)


async def _create_sessions(http: httpx.AsyncClient, start: SessionStart, tickets: list[int], setup: _Setup) -> None:
    params = attrs.asdict(start)
    while tickets:
        number = tickets.pop()
        try:
            answer = await _unary(http, _envelope(f"start-{number}", "story.start_session", params))
            setup.session_ids.append(str(answer["session_id"]))
        except TurnFailure as failure:
            setup.errors += 1
            setup.first_error = setup.first_error or f"story.start_session: {failure}"


async def _calibrate(spec: TurnLoadSpec, setup: _Setup) -> None:
    """One more session, playing its turns alone; its calls show the stub's uncontended time."""
    assert spec.start is not None
    async with _clients(spec.url, 1, spec.turn_timeout_s) as (http,):
        try:
            answer = await _unary(http, _envelope("start-calibration", "story.start_session", attrs.asdict(spec.start)))
        except TurnFailure as failure:
            setup.errors += 1
            setup.first_error = setup.first_error or f"calibration session: {failure}"
            return
        tally = _Tally()
        await _play_session(
            http, str(answer["session_id"]), spec, spec.calibration_turns, time.perf_counter(), tally, setup.calibration
        )
        setup.errors += tally.errors
        setup.first_error = setup.first_error or tally.first_error


async def _set_up(spec: TurnLoadSpec) -> _Setup:
    setup = _Setup(session_ids=list(spec.session_ids))
    if spec.start is None:
        return setup
    tickets = list(range(spec.sessions))
    async with trio.open_nursery() as nursery:
        if spec.calibration_turns > 0:
            nursery.start_soon(_calibrate, spec, setup)
        async with (
            _clients(spec.url, spec.create_concurrency, spec.turn_timeout_s) as clients,
            trio.open_nursery() as creators,
        ):
            for http in clients:
                creators.start_soon(_create_sessions, http, spec.start, tickets, setup)
    setup.session_ids.sort(key=_id_number)
    return setup


def _id_number(session_id: str) -> tuple[int, str]:
    prefix, _, number = session_id.rpartition("-")
    return (int(number), prefix) if number.isdigit() else (-1, session_id)


async def _touch(spec: TurnLoadSpec, session_ids: list[str]) -> int:
    """One `session.update` per session (a mutating call: the server spawns the session's actor)."""
    errors = 0
    queue = list(reversed(session_ids))

    async def toucher(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while queue:
            session_id = queue.pop()
            try:
                await _unary(
                    http,
                    _envelope(
                        f"touch-{session_id}", "session.update", {"display_name": f"Idle {session_id}"}, session_id
                    ),
                )
            except TurnFailure:
                errors += 1

    async with (
        _clients(spec.url, spec.create_concurrency, spec.turn_timeout_s) as clients,
        trio.open_nursery() as nursery,
    ):
        for http in clients:
            nursery.start_soon(toucher, http)
    return errors


async def _connect(clients: list[httpx.AsyncClient], concurrency: int) -> int:
    """Open every client's connection (`GET /healthz`) before the turns start, `concurrency` at a
    time: a thousand connects in the same millisecond overflow the server's listen backlog, and
    the clients whose handshake is dropped see their connection reset, which measures the
    kernel's accept queue rather than the server's turns. Returns how many could not connect."""
    errors = 0
    limiter = trio.CapacityLimiter(concurrency)

    async def connect(http: httpx.AsyncClient) -> None:
        nonlocal errors
        async with limiter:
            try:
                response = await http.get("/healthz")
                errors += response.status_code != 200
            except httpx.HTTPError:
                errors += 1

    async with trio.open_nursery() as nursery:
        for http in clients:
            nursery.start_soon(connect, http)
    return errors


async def read_memory(pid: int | None) -> MemoryReading | None:
    """The process's RSS and peak RSS from `/proc/<pid>/status` (None where it cannot be read)."""
    if pid is None:
        return None
    try:
        status = await trio.Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kilobytes = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            kilobytes[key] = int(value.split()[0])
    return MemoryReading(round(kilobytes["VmRSS"] / _KB_PER_MB, 1), round(kilobytes["VmHWM"] / _KB_PER_MB, 1))


async def run_turn_load(spec: TurnLoadSpec) -> TurnLoadResult:
    require_loopback(spec.url)
    setup_began = time.perf_counter()
    setup = _Setup(session_ids=list(spec.session_ids))
    touch_s: float | None = None
    touch_errors = 0
    before_touch = after_touch = None
    with trio.move_on_after(spec.setup_timeout_s) as setup_bound:
        setup = await _set_up(spec)
        setup_s = time.perf_counter() - setup_began
        if spec.touch:
            # The first few wake-ups pay for what is built once (code paths, caches, connections);
            # the memory reading starts after them.
            warm, measured = setup.session_ids[:TOUCH_WARMUP], setup.session_ids[TOUCH_WARMUP:]
            touch_errors = await _touch(spec, warm)
            before_touch = await read_memory(spec.server_pid)
            touch_began = time.perf_counter()
            touch_errors += await _touch(spec, measured)
            touch_s = round(time.perf_counter() - touch_began, 3)
            after_touch = await read_memory(spec.server_pid)
    if setup_bound.cancelled_caught:
        raise TurnLoadFailed(f"set-up did not finish within {spec.setup_timeout_s:.0f} s")

    tally = _Tally()
    samples: list[CpuSample] = []
    async with _clients(spec.url, len(setup.session_ids), spec.turn_timeout_s) as clients:
        connect_errors = await _connect(clients, spec.create_concurrency)
        phase_start = time.perf_counter()
        phase_start_epoch_ms = time.time() * 1000.0
        samples += [await take_sample(spec.server_pid), await take_sample(spec.stub_pid)]
        with trio.move_on_after(spec.turns_timeout_s) as bound:
            async with trio.open_nursery() as nursery:
                for http, session_id in zip(clients, setup.session_ids, strict=False):
                    nursery.start_soon(
                        _play_session, http, session_id, spec, spec.turns_per_session, phase_start, tally, tally.turns
                    )
        phase_end = time.perf_counter()
        samples += [await take_sample(spec.server_pid), await take_sample(spec.stub_pid)]
    unfinished = len(setup.session_ids) * spec.turns_per_session - len(tally.turns) - tally.errors - tally.skipped
    after_turns = await read_memory(spec.server_pid)
    server_share = shares_between(samples[0], samples[2])
    stub_share = shares_between(samples[1], samples[3])
    others = None
    if server_share.others is not None and stub_share.server is not None:
        others = round(max(0.0, server_share.others - stub_share.server), 3)
    window_end = phase_end if bound.cancelled_caught else tally.last_end
    window_s = max(window_end - phase_start, 0.0) if tally.turns or bound.cancelled_caught else 0.0
    return TurnLoadResult(
        session_ids=setup.session_ids,
        setup_s=round(setup_s, 3),
        setup_errors=setup.errors + connect_errors,
        touch_s=touch_s,
        touch_errors=touch_errors,
        calibration=setup.calibration,
        turns=tally.turns,
        errors=tally.errors,
        failed_frames=tally.failed_frames,
        skipped=tally.skipped,
        unfinished=unfinished,
        window_s=round(window_s, 4),
        window_start_ms=round(phase_start_epoch_ms, 1),
        client_cpu=server_share.client,
        server_cpu=server_share.server,
        stub_cpu=stub_share.server,
        other_cpu=others,
        server_memory_before_touch=before_touch,
        server_memory_after_touch=after_touch,
        server_memory_after_turns=after_turns,
        first_error=setup.first_error or tally.first_error,
    )


def play(spec: TurnLoadSpec) -> TurnLoadResult:
    """Run one turn load in a separate process and return its result. Raises TurnLoadFailed."""
    require_loopback(spec.url)
    bound_s = spec.setup_timeout_s + spec.turns_timeout_s + spec.turn_timeout_s + _SPARE_AFTER_RUN_S
    return run_in_process("benchmarks._turn_load", spec, TurnLoadResult, bound_s, TurnLoadFailed)


def main() -> None:
    serve_in_process(TurnLoadSpec, run_turn_load)


if __name__ == "__main__":
    main()
