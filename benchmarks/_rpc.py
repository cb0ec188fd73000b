"""Blocking JSON-RPC calls a benchmark makes to set up the server it measures (not the measured load)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from benchmarks import BenchmarkFailed


class Rpc:
    """`result(method, params)` over one `httpx.Client` whose base URL is the server."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http
        self._ids = itertools.count(1)

    def result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The call's result; an error answer raises BenchmarkFailed naming the method."""
        envelope = {"jsonrpc": "2.0", "id": f"bench-{next(self._ids)}", "method": method, "params": params}
        body = self._http.post("/rpc", json=envelope).json()
        if "error" in body:
            raise BenchmarkFailed(f"{method} failed: {body['error']}")
        return body["result"]
