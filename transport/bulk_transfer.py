"""What `dramaturg import` and `dramaturg export` share: the running server they talk to over HTTP,
running a bounded number of transfers at once, progress lines and the closing summary table."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TextIO, TypeVar

import attrs
import httpx
import trio

T = TypeVar("T")
R = TypeVar("R")
LOOPBACK = "127.0.0.1"
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_JOBS = 8  # transfers in flight: enough that the server commits several imports together


class ServerUnreachable(Exception):
    """No server answered at the URL; going on would fail every file the same way."""


@attrs.frozen
class ServerTarget:
    """Where the server is and the token it may require (`Authorization: Bearer …`)."""

    url: str
    auth_token: str | None = attrs.field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.auth_token}"} if self.auth_token else {}

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=self.headers(), timeout=self.timeout_s)


def url_for_listen(listen: str) -> str:
    """The URL a client on this machine uses for a server bound to `host:port`."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if host in WILDCARD_HOSTS:
        host = LOOPBACK
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def unreachable(target: ServerTarget, exc: httpx.TransportError) -> ServerUnreachable:
    return ServerUnreachable(
        f"cannot reach the Dramaturg server at {target.url} ({type(exc).__name__}); start it with `dramaturg serve`"
        " or pass --server"
    )


def error_text(response: httpx.Response) -> str:
    """The message of a failed answer: `{code, message}` bodies, RPC error envelopes, or the status."""
    if response.status_code == 401:
        return "the server requires a token (--auth-token or DRAMATURG_AUTH_TOKEN)"
    try:
        body: Any = response.json()
    except json.JSONDecodeError:
        return f"HTTP {response.status_code}"
    error = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(error, dict) and "message" in error:
        return str(error["message"])
    return f"HTTP {response.status_code}"


async def call_rpc(http: httpx.AsyncClient, method: str, params: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """(result, "") on success, (None, message) on an error answer."""
    envelope = {"jsonrpc": "2.0", "id": f"cli-{method}", "method": method, "params": params}
    response = await http.post("/rpc", json=envelope)
    if response.status_code != 200:
        return None, error_text(response)
    body = response.json()
    if "error" in body:
        return None, error_text(response)
    return body["result"], ""


async def run_bounded(
    items: Sequence[T], jobs: int, work: Callable[[T], Awaitable[R]], finished: Callable[[int, R], None]
) -> list[R]:
    """`work(item)` for every item, at most `jobs` at once, calling `finished(done, result)` as each
    one ends (`done` counts the ended ones); the results in the items' order. `work` must not raise,
    except ServerUnreachable, which stops everything."""
    limiter = trio.CapacityLimiter(max(1, jobs))
    results: dict[int, R] = {}

    async def run_one(index: int, item: T) -> None:
        async with limiter:
            results[index] = result = await work(item)
            finished(len(results), result)

    try:
        async with trio.open_nursery() as nursery:
            for index, item in enumerate(items):
                nursery.start_soon(run_one, index, item)
    except* ServerUnreachable as group:
        raise group.exceptions[0] from None
    return [results[index] for index in range(len(items))]


def progress_head(done: int, total: int) -> str:
    """`[ 3/12]`: how many of the transfers have ended, padded so the lines align."""
    return f"[{done:>{len(str(total))}}/{total}]"


def print_table(rows: Iterable[Sequence[str]], headers: Sequence[str], out: TextIO) -> None:
    """Columns padded to their widest cell; the last column is left as it is."""
    table = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(row[column]) for row in table) for column in range(len(headers) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  " + "  ".join([*cells, row[-1]]).rstrip(), file=out)
