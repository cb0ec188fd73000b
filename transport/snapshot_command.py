"""`dramaturg snapshot`: ask the running server for a snapshot of its database, print where it is.

The server holds the database file's lock, so only it can copy the database consistently; this
command is a JSON-RPC client of `analytics.snapshot` on the server's own address.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import httpx

SNAPSHOT_TIMEOUT_S = 600.0  # a large database takes a while to copy


class SnapshotFailed(Exception):
    """The snapshot could not be made; the message says why, in one line."""


def add_snapshot_parser(commands: argparse._SubParsersAction, default_listen: str) -> None:
    snapshot = commands.add_parser(
        "snapshot",
        help="write a consistent copy of the running server's database under <data-dir>/snapshots/",
    )
    snapshot.add_argument(
        "--server",
        default=f"http://{default_listen}",
        help="the running server's URL (default: http://DRAMATURG_LISTEN, %(default)s)",
    )


def run_snapshot(args: argparse.Namespace) -> int:
    """Print the snapshot's path (and its tables on stderr); 1 with a one-line reason on failure."""
    try:
        result = request_snapshot(args.server)
    except SnapshotFailed as failed:
        print(f"dramaturg snapshot: {failed}", file=sys.stderr)
        return 1
    tables = ", ".join(f"{table['table']} {table['rows']}" for table in result["tables"])
    print(f"{result['size_bytes']} bytes; rows: {tables}", file=sys.stderr)
    print(result["path"])
    return 0


def request_snapshot(server_url: str) -> dict[str, Any]:
    """The `analytics_snapshot` result of the server at `server_url`. Raises SnapshotFailed."""
    envelope = {"jsonrpc": "2.0", "id": "dramaturg-snapshot", "method": "analytics.snapshot", "params": {}}
    try:
        with httpx.Client(base_url=server_url, timeout=SNAPSHOT_TIMEOUT_S) as http:
            response = http.post("/rpc", json=envelope)
    except httpx.HTTPError as exc:
        raise SnapshotFailed(f"no answer from {server_url} ({exc}); is `dramaturg serve` running there?") from exc
    try:
        answer = response.json()
    except ValueError as exc:
        raise SnapshotFailed(f"{server_url} answered HTTP {response.status_code} without JSON") from exc
    if "error" in answer:
        raise SnapshotFailed(f"{answer['error']['message']} (code {answer['error']['code']})")
    result: dict[str, Any] = answer["result"]
    return result
