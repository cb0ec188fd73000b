"""What the server and the stub log: one `rpc` line per request with its ids and real outcome, one
`turn` line per turn attempt, a line at start and at stop, and one line per stub request."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from tests.support.llm_stub import RunningStub
from tests.support.processes import free_port
from tests.support.server import RpcClient, start_server
from tests.support.session_world import narrator_beat, ops, plan, playable_session, run_turn, turn_script
from transport.version import dramaturg_version


def lines(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage() == event]


def fields(record: logging.LogRecord, *names: str) -> dict[str, Any]:
    return {name: getattr(record, name, None) for name in names}


async def test_each_request_is_one_line_with_its_ids_and_outcome(
    rpc: RpcClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await rpc.http.post("/rpc", json={"jsonrpc": "2.0", "id": 7, "method": "api.list", "params": {}})
    await rpc.http.post("/rpc", json={"jsonrpc": "2.0", "id": "r-2", "method": "api.get", "params": {"api_id": "x"}})

    listed, missing = lines(caplog, "rpc")
    assert fields(listed, "request_id", "method", "http_status", "outcome") == {
        "request_id": 7,
        "method": "api.list",
        "http_status": 200,
        "outcome": "ok",
    }
    assert fields(missing, "request_id", "method", "outcome") == {
        "request_id": "r-2",
        "method": "api.get",
        "outcome": 40404,
    }


async def test_an_unknown_method_is_logged_by_the_name_it_asked_for(
    rpc: RpcClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    long_name = "no_such.method " + "x" * 500
    for name in ("no_such.method", long_name):
        await rpc.http.post("/rpc", json={"jsonrpc": "2.0", "id": "u", "method": name, "params": {}})

    short, long = lines(caplog, "rpc")
    assert (short.method, short.outcome, short.http_status) == ("no_such.method", -32601, 400)  # type: ignore[attr-defined]
    assert long.method == long_name[:100] + "…"  # type: ignore[attr-defined]


async def test_a_turn_that_fails_logs_the_failure_not_ok(
    rpc: RpcClient, llm_stub: RunningStub, caplog: pytest.LogCaptureFixture
) -> None:
    session_id = await playable_session(rpc, llm_stub)
    caplog.set_level(logging.INFO)
    await llm_stub.control.script(ops(), {"status": 400, "error_message": "context too long"})

    reply = await run_turn(rpc.http, session_id, request_id="turn-1")

    assert reply.last_frame["type"] == "failed"
    (request,) = [record for record in lines(caplog, "rpc") if record.method == "session.run_turn"]  # type: ignore[attr-defined]
    assert fields(request, "request_id", "session_id", "outcome") == {
        "request_id": "turn-1",
        "session_id": session_id,
        "outcome": 50002,
    }
    (turn,) = lines(caplog, "turn")
    assert turn.levelno == logging.WARNING
    assert fields(turn, "session_id", "turn_index", "outcome", "stage", "error_code", "llm_calls") == {
        "session_id": session_id,
        "turn_index": 1,
        "outcome": "failed",
        "stage": "Director",
        "error_code": 50002,
        "llm_calls": len(lines(caplog, "llm_call")),
    }


async def test_a_completed_turn_logs_its_index_duration_and_calls(
    rpc: RpcClient, llm_stub: RunningStub, caplog: pytest.LogCaptureFixture
) -> None:
    session_id = await playable_session(rpc, llm_stub)
    caplog.set_level(logging.INFO)
    await llm_stub.control.script(*turn_script(director=plan(narrator_beat())))

    assert (await run_turn(rpc.http, session_id)).last_frame["type"] == "completed"

    (request,) = [record for record in lines(caplog, "rpc") if record.method == "session.run_turn"]  # type: ignore[attr-defined]
    assert (request.outcome, request.session_id) == ("ok", session_id)  # type: ignore[attr-defined]
    (turn,) = lines(caplog, "turn")
    assert fields(turn, "session_id", "turn_index", "outcome", "llm_calls", "node") == {
        "session_id": session_id,
        "turn_index": 1,
        "outcome": "completed",
        "llm_calls": len(lines(caplog, "llm_call")),
        "node": "dock",
    }
    assert turn.duration_ms > 0  # type: ignore[attr-defined]


async def test_the_stub_logs_each_provider_request(
    rpc: RpcClient, llm_stub: RunningStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(base_url=llm_stub.openai_base_url) as http:
        body = {"model": "stub-model", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        await http.post("/chat/completions", json=body, headers={"Authorization": "Bearer sk-test"})

    (request,) = lines(caplog, "llm_stub_request")
    assert fields(request, "route", "model", "streamed", "status") == {
        "route": "POST /v1/chat/completions",
        "model": "stub-model",
        "streamed": True,
        "status": 200,
    }
    assert "sk-test" not in caplog.text and "hi" not in str(vars(request))


async def test_start_and_stop_are_logged(
    nursery: trio.Nursery, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = await start_server(nursery, tmp_path / "data", static_dir=tmp_path, auth_token="t" * 20)
    await server.client.http.aclose()
    await server.stop()

    (serving,) = lines(caplog, "serving")
    assert fields(serving, "version", "urls", "data_dir", "static_dir", "auth") == {
        "version": dramaturg_version(),
        "urls": server.url,
        "data_dir": str(await trio.Path(tmp_path / "data").resolve()),
        "static_dir": str(await trio.Path(tmp_path).resolve()),
        "auth": "on",
    }
    (stopped,) = lines(caplog, "stopped")
    assert stopped.uptime_s >= 0  # type: ignore[attr-defined]


async def test_the_command_writes_json_lines_from_start_to_stop(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DRAMATURG_LOG_FORMAT": "json", "DRAMATURG_LISTEN": f"127.0.0.1:{port}"}
    command = [sys.executable, "-m", "transport", "serve", "--data-dir", str(tmp_path / "data")]
    process = await trio.lowlevel.open_process(command, env=env, stderr=subprocess.PIPE)
    assert process.stderr is not None
    received = b""
    with trio.fail_after(30):
        while b'"event": "serving"' not in received:
            received += await process.stderr.receive_some()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await http.post("/rpc", json={"jsonrpc": "2.0", "id": 1, "method": "api.list", "params": {}})
        process.send_signal(signal.SIGTERM)
        while chunk := await process.stderr.receive_some():
            received += chunk
        assert await process.wait() == 0

    events = [json.loads(line) for line in received.decode().splitlines()]
    assert [event["event"] for event in events if event["logger"].startswith("transport")] == [
        "serving",
        "rpc",
        "stopped",
    ]
    assert all(event["ts"].endswith("Z") and len(event["ts"]) == len("2026-12-07T20:51:02.123Z") for event in events)
