"""Fuzzed requests for the fuzz test and the fuzz campaign (`benchmarks/fuzz_campaign.py`).

Most requests are `/rpc` envelopes whose params follow the method's schema from `rpc.discover`,
with hostile values slipped in (lone surrogates, `1e400`, huge integers, deep nesting, NUL
bytes); some are byte-level mutations of such a body (cut short, CESU-8 or invalid UTF-8
spliced in); the rest hit the binary and static routes with odd paths. `check_answer` says what
is wrong with an answer, if anything.

Methods that could make the server call an LLM provider are never sent (`api.create`,
`api.update` and `api.list_models`): without a stored api no provider can be reached, so a
fuzzed base URL can never send traffic off this machine.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
from hypothesis import strategies as st

from tests.support.openrpc_values import SchemaValues

NOT_SENT = frozenset({"api.create", "api.update", "api.list_models"})
HUGE_NUMBER = "\x00fuzz-huge-number\x00"
DEEP_NESTING = "\x00fuzz-deep\x00"
RAW_TOKENS = {json.dumps(HUGE_NUMBER): "1e400", json.dumps(DEEP_NESTING): "[" * 3000 + "]" * 3000}

HOSTILE_VALUES: list[Any] = [
    "\ud800",
    "a\udfffb",
    HUGE_NUMBER,
    DEEP_NESTING,
    2**64,
    -(2**63) - 1,
    10**400,
    "",
    " ",
    "\x00",
    "../../../etc/passwd",
    "x" * 5000,
    {"\ud800": 1},
    [[[[[]]]]],
    None,
    True,
    -1,
    1.5,
]
BYTE_SPLICES = [b"\xed\xa0\x80", b"\xff", b"\xc0\xaf", b"\x00", b"\\", b'"', b"{", b"]"]
ODD_PATHS = [
    "/%00",
    "/assets/%00.js",
    "/" + "a" * 5000,
    "/" + "/".join(["b" * 255] * 30),
    "/%ff%fe",
    "/..%2f..%2fetc%2fpasswd",
    "/upload/character%3A%00/cover",
    "/download/character%3A%ff/cover",
    "/download/%3A/",
    "/download/character%3Ax/" + "c" * 3000,
    "/rpc/extra",
    "/login",
]


@attrs.frozen
class FuzzRequest:
    method: str
    path: str
    body: bytes
    content_type: str = "application/json"
    label: str = ""


def hostile_values() -> st.SearchStrategy[Any]:
    return st.sampled_from(HOSTILE_VALUES)


def envelope_body(envelope: dict[str, Any]) -> bytes:
    """The JSON text of `envelope`, with the markers turned into raw hostile tokens."""
    text = json.dumps(envelope)  # ensure_ascii: lone surrogates become their \\u escapes
    for marker, raw in RAW_TOKENS.items():
        text = text.replace(marker, raw)
    return text.encode()


@st.composite
def rpc_requests(draw: st.DrawFn, values: SchemaValues, methods: list[dict[str, Any]]) -> FuzzRequest:
    method = draw(st.sampled_from(methods))
    params = draw(
        st.fixed_dictionaries(
            {p["name"]: values.strategy(p["schema"], hostile_values(), 1) for p in method["params"] if p["required"]},
            optional={
                p["name"]: values.strategy(p["schema"], hostile_values(), 1)
                for p in method["params"]
                if not p["required"]
            },
        )
    )
    envelope: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": draw(st.one_of(st.text(max_size=12), st.integers(-(2**63), 2**63), hostile_values())),
        "method": method["name"],
        "params": params,
    }
    if draw(st.booleans()):
        envelope["session_id"] = draw(st.one_of(st.sampled_from(["session-0", "session-1"]), hostile_values()))
    body = envelope_body(envelope)
    mutation = draw(st.sampled_from(["none"] * 6 + ["cut", "splice"]))
    if mutation == "cut":
        body = body[: draw(st.integers(0, len(body)))]
    elif mutation == "splice":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from(BYTE_SPLICES)) + body[at:]
    return FuzzRequest("POST", "/rpc", body, label=f"{method['name']}/{mutation}")


@st.composite
def route_requests(draw: st.DrawFn) -> FuzzRequest:
    path = draw(st.sampled_from(ODD_PATHS))
    verb = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    body = draw(st.sampled_from([b"", b"PK\x03\x04junk", b"\x89PNG\r\n", b"{}"])) if verb != "GET" else b""
    content_type = draw(st.sampled_from(["application/zip", "image/png", "text/plain", "application/json"]))
    return FuzzRequest(verb, path, body, content_type, label=f"route {verb}")


def fuzz_requests(document: dict[str, Any]) -> st.SearchStrategy[FuzzRequest]:
    values = SchemaValues(document)
    methods = [method for method in document["methods"] if method["name"] not in NOT_SENT]
    return st.one_of(rpc_requests(values, methods), rpc_requests(values, methods), route_requests())


def check_answer(request: FuzzRequest, status: int, content_type: str, body: bytes) -> str | None:
    """What is wrong with an answer (a 5xx; a `/rpc` answer that is not JSON), or None."""
    if status >= 500:
        return f"HTTP {status}"
    if request.path != "/rpc" or content_type.startswith("text/event-stream"):
        return None
    if not content_type.startswith("application/json"):
        return f"/rpc answered {content_type!r}"
    try:
        json.loads(body, parse_constant=_refuse_constant)
    except ValueError as exc:
        return f"/rpc answered invalid JSON ({exc})"
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
