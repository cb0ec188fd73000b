"""`dramaturg snapshot`: ask the running server for a snapshot of its database, print where it is.

The server holds the database file's lock, so only it can copy the database consistently; this
command is a JSON-RPC client of `analytics.snapshot` on the server's address (`--server`), with
its token (`--auth-token`) when it requires one.
"""

from __future__ import annotations

import sys
from typing import Any

import httpx

from transport.bulk_transfer import ServerTarget, error_text

SNAPSHOT_TIMEOUT_S = 600.0  # a large database takes a while to copy
FAILED_STATUS = 1
UNREACHABLE_STATUS = 2  # as `dramaturg import` and `export` when no server answers


class SnapshotFailed(Exception):
    """The snapshot could not be made; the message says why, in one line."""

    def __init__(self, message: str, status: int = FAILED_STATUS) -> None:
        super().__init__(message)
        self.status = status


def run_snapshot(target: ServerTarget) -> int:
    """Print the snapshot's path (and its tables on stderr); on failure one line on stderr and
    status 1, or 2 when no server answered."""
    try:
        result = request_snapshot(target)
    except SnapshotFailed as failed:
        print(f"dramaturg snapshot: {failed}", file=sys.stderr)
        return failed.status
    tables = ", ".join(f"{table['table']} {table['rows']}" for table in result["tables"])
    print(f"{result['size_bytes']} bytes; rows: {tables}", file=sys.stderr)
    print(result["path"])
    return 0


def request_snapshot(target: ServerTarget) -> dict[str, Any]:
    """The `analytics_snapshot` result of the server `target` names. Raises SnapshotFailed."""
    envelope = {"jsonrpc": "2.0", "id": "dramaturg-snapshot", "method": "analytics.snapshot", "params": {}}
    try:
        with httpx.Client(base_url=target.url, headers=target.headers(), timeout=SNAPSHOT_TIMEOUT_S) as http:
            response = http.post("/rpc", json=envelope)
    except httpx.HTTPError as exc:
        message = f"no answer from {target.url} ({type(exc).__name__}); is `dramaturg serve` running there? (--server)"
        raise SnapshotFailed(message, UNREACHABLE_STATUS) from exc
    try:
        answer = response.json()
    except ValueError as exc:
        raise SnapshotFailed(f"{target.url} answered HTTP {response.status_code} without JSON") from exc
    if response.status_code != 200 or "error" in answer:
        raise SnapshotFailed(error_text(response))
    result: dict[str, Any] = answer["result"]
    return result
