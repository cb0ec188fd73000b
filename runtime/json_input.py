"""JSON that comes from outside (requests, uploaded archives): the rules every entry point shares.

A JSON text is accepted only when it is strict UTF-8 (no CESU-8 surrogate bytes) and valid JSON
without the non-standard constants `NaN` and `Infinity`. Its value is accepted only when it nests
at most `MAX_DEPTH` deep, every number is finite (`1e400` parses as infinity in Python), every
integer fits 64 bits (signed or unsigned, what the codec's typed fields accept), and no string or
object key holds a lone surrogate (`"\\ud800"` is valid JSON text but not Unicode, so it can
neither be stored nor sent back). Such values would otherwise be stored and make every later
answer invalid JSON, or crash deep inside the store.

The value check walks iteratively, so no input can exhaust the interpreter's recursion.
"""

from __future__ import annotations

import json
import math
from typing import Any

from runtime.codec import INT_MAX, INT_MIN

MAX_DEPTH = 128
"""Deepest nesting accepted; the deepest legitimate input (a story graph's conditions) is far above
this floor of a few levels, and it stays far below Python's recursion limit."""


class JsonInputError(ValueError):
    """A JSON text or value that is refused; `path` names where (PROTOCOL §3.4 notation)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path, self.reason = path, reason


class JsonSyntaxError(JsonInputError):
    """The text itself is not acceptable JSON (not UTF-8, not JSON, nested beyond what parses)."""


def parse_json_text(data: bytes | str) -> Any:
    """The JSON value of `data`, without the value checks (see `check_json_value`).

    Raises JsonSyntaxError for invalid UTF-8, invalid JSON, `NaN`/`Infinity` and nesting so deep
    that the parser itself gives up.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonSyntaxError("", f"not valid JSON (invalid UTF-8 at byte {exc.start})") from None
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise JsonSyntaxError("", f"not valid JSON (nested deeper than {MAX_DEPTH} levels)") from None
    except ValueError as exc:
        raise JsonSyntaxError("", f"not valid JSON ({exc})") from None


def check_json_value(value: Any, path: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonInputError at the first member of `value` (in document order) that breaks a rule
    of the module docstring, or nests deeper than `max_depth`; `path` is the name of `value` itself."""
    pending: list[tuple[Any, str, int]] = [(value, path, 1)]
    while pending:
        item, where, depth = pending.pop()
        if isinstance(item, (dict, list)) and depth > max_depth:
            raise JsonInputError(where, f"nested deeper than {max_depth} levels")
        if isinstance(item, dict):
            members = []
            for key, member in item.items():
                if not _is_unicode(key):
                    raise JsonInputError(where, f"object key {_escaped(key)} holds a lone surrogate")
                members.append((member, f"{where}.{key}" if where else key, depth + 1))
            pending.extend(reversed(members))
        elif isinstance(item, list):
            pending.extend(
                (member, f"{where}[{index}]", depth + 1) for index, member in reversed(list(enumerate(item)))
            )
        elif isinstance(item, str):
            if not _is_unicode(item):
                raise JsonInputError(where, f"string {_escaped(item)} holds a lone surrogate")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise JsonInputError(where, "number out of range (not a finite double)")
        elif isinstance(item, int) and not isinstance(item, bool) and not INT_MIN <= item <= INT_MAX:
            raise JsonInputError(where, "integer out of range (more than 64 bits)")


def _is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(text: str, limit: int = 40) -> str:
    """`text` as an ASCII JSON string, cut to `limit` characters: safe in any message."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return json.dumps(shown)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
