"""JSON from a file that is hostile until read: bounded in size and depth, finite numbers only.

`parse_json` refuses text over the size limit before parsing, `NaN`/`Infinity` and numbers that
overflow to infinity (`1e999`) while parsing, and values nested deeper than the limit after it
(Python's parser itself gives up with a RecursionError somewhere near 1,000 levels, which is
caught too). `check_json_value` applies the same depth and number rules to a value that was
parsed elsewhere (the body of an RPC call). Failures are `UnsafeJson` with a one-line reason.
"""

from __future__ import annotations

import json
import math
from typing import Any

import attrs

MIB = 1024 * 1024
UTF8_BOM = "\ufeff"


class UnsafeJson(Exception):
    """The JSON was refused; the message says why, without a prefix."""


@attrs.frozen(kw_only=True)
class JsonLimits:
    max_bytes: int = 16 * MIB
    max_depth: int = 64  # a card with an embedded book is about 5 levels deep


def parse_json(text: bytes | str, limits: JsonLimits = JsonLimits(), subject: str = "card") -> Any:
    """The parsed value. Raises UnsafeJson for text that is too big, not JSON, too deep or not
    finite; `subject` names what the JSON is in the message (`the card JSON is …`)."""
    if len(text) > limits.max_bytes:
        raise UnsafeJson(f"the {subject} JSON is {len(text)} bytes, over the limit of {limits.max_bytes}")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsafeJson(f"the {subject} JSON is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        value = json.loads(
            text.removeprefix(UTF8_BOM),
            parse_constant=lambda name: _refuse_constant(name, subject),
            parse_float=lambda number: _finite_float(number, subject),
        )
    except json.JSONDecodeError as exc:
        raise UnsafeJson(
            f"the {subject} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise UnsafeJson(f"the {subject} JSON is nested more than {limits.max_depth} levels deep") from exc
    check_json_value(value, limits, subject)
    return value


def _refuse_constant(name: str, subject: str) -> float:
    raise UnsafeJson(f"the {subject} JSON holds {name}, which is not a JSON number")


def _finite_float(text: str, subject: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UnsafeJson(f"the {subject} JSON holds the number {text[:40]}, too large to represent")
    return number


def check_json_value(value: Any, limits: JsonLimits = JsonLimits(), subject: str = "card") -> None:
    """Raise UnsafeJson when `value` nests deeper than the limit or holds a non-finite number.

    Walks without recursion: a hostile value must not exhaust the stack here either.
    """
    max_depth = limits.max_depth
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise UnsafeJson(f"the {subject} JSON holds a number that is not finite")
        if not isinstance(item, (dict, list)):
            continue
        if depth > max_depth:
            raise UnsafeJson(f"the {subject} JSON is nested more than {max_depth} levels deep")
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)
