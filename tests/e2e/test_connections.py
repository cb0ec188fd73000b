"""Connections (issue 10, finding 6): `Connection: close` is honoured, an answer given before the
body was read closes the connection, and a body that does not arrive in time is refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio

from tests.support.server import RunningServer, start_server

SAFETY_S = 10  # far above the milliseconds these take; only there so a regression fails instead of hanging
RPC_BODY = b'{"jsonrpc":"2.0","id":"r","method":"api.list"}'


async def open_raw(server: RunningServer) -> trio.SocketStream:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return await trio.open_tcp_stream(host, int(port))


def request_bytes(server: RunningServer, method: str, path: str, body: bytes, *extra: str) -> bytes:
    host = server.url.removeprefix("http://")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json", *extra]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_until_closed(stream: trio.SocketStream) -> bytes:
    received = b""
    with trio.fail_after(SAFETY_S):
        while chunk := await stream.receive_some(65536):
            received += chunk
    return received


async def test_connection_close_is_honoured(server: RunningServer) -> None:
    stream = await open_raw(server)
    await stream.send_all(request_bytes(server, "POST", "/rpc", RPC_BODY, "Connection: close"))
    answer = await read_until_closed(stream)
    assert answer.startswith(b"HTTP/1.1 200") and b'"apis_listed"' in answer
    await stream.aclose()


async def test_fifty_connection_close_requests_leave_no_socket_open(server: RunningServer) -> None:
    async def one() -> None:
        stream = await open_raw(server)
        await stream.send_all(request_bytes(server, "POST", "/rpc", RPC_BODY, "Connection: close"))
        assert (await read_until_closed(stream)).startswith(b"HTTP/1.1 200")
        await stream.aclose()

    async with trio.open_nursery() as nursery:
        for _ in range(50):
            nursery.start_soon(one)


async def test_an_early_405_with_an_unread_body_closes_the_connection(server: RunningServer) -> None:
    stream = await open_raw(server)
    await stream.send_all(request_bytes(server, "PUT", "/rpc", b"x" * 200_000))
    answer = await read_until_closed(stream)
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 405") and b"connection: close" in head and b"allow: post" in head
    await stream.aclose()


async def test_a_kept_alive_client_goes_on_after_an_early_answer(server: RunningServer) -> None:
    http = server.client.http
    with trio.fail_after(SAFETY_S):
        for _ in range(5):
            refused = await http.put("/rpc", content=b"y" * 100_000)
            assert refused.status_code == 405
            assert (
                await http.post("/rpc", content=RPC_BODY, headers={"Content-Type": "application/json"})
            ).status_code == 200
            wrong_type = await http.post("/rpc", content=b"z" * 100_000, headers={"Content-Type": "text/plain"})
            assert wrong_type.status_code == 415 and wrong_type.headers["connection"] == "close"


async def test_a_body_that_does_not_arrive_in_time_is_refused_with_408(nursery: trio.Nursery, tmp_path: Path) -> None:
    running = await start_server(nursery, tmp_path / "data", body_timeout_s=0.3)
    try:
        stream = await open_raw(running)
        whole = request_bytes(running, "POST", "/rpc", RPC_BODY)
        await stream.send_all(whole[:-10])  # the last bytes never come
        answer = await read_until_closed(stream)
        assert answer.startswith(b"HTTP/1.1 408") and b"connection: close" in answer.lower()
        assert answer.endswith(b'"message":"request body did not arrive within 0.3 s"}}')
        await stream.aclose()
        # Other clients are served meanwhile and afterwards.
        async with httpx.AsyncClient(base_url=running.url) as other:
            assert (await other.get("/healthz")).text == "ok"
    finally:
        await running.client.http.aclose()
        await running.stop()


async def test_idle_slowloris_and_slow_body_sockets_do_not_starve_others(server: RunningServer) -> None:
    held: list[trio.SocketStream] = []
    for _ in range(10):
        held.append(await open_raw(server))  # idle: connected, nothing sent
    for _ in range(10):
        slow_headers = await open_raw(server)
        await slow_headers.send_all(b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        held.append(slow_headers)
    for _ in range(10):
        slow_body = await open_raw(server)
        await slow_body.send_all(request_bytes(server, "POST", "/rpc", RPC_BODY)[:-20])
        held.append(slow_body)
    try:
        with trio.fail_after(SAFETY_S):
            for _ in range(20):
                answer = await server.client.http.post(
                    "/rpc", content=RPC_BODY, headers={"Content-Type": "application/json"}
                )
                assert answer.status_code == 200
    finally:
        for stream in held:
            await stream.aclose()
