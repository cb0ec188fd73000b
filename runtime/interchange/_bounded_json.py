"""JSON from a card or book file: the rules of `runtime.json_input`, plus a size and a depth limit.

`parse_json` refuses text over the size limit before parsing; then the text must be what every
entry point accepts (strict UTF-8, valid JSON, no `NaN`/`Infinity`), and its value must follow
the shared value rules (finite numbers, 64-bit integers, no lone surrogates) and nest no deeper
than `JsonLimits.max_depth`. `check_json_value` applies the value rules to a value parsed
elsewhere (the body of an RPC call). Failures are `UnsafeJson` with a one-line reason.
"""

from __future__ import annotations

from typing import Any

import attrs

from runtime.json_input import JsonInputError, parse_json_text
from runtime.json_input import check_json_value as check_input_value

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
    if isinstance(text, bytes) and text.startswith(UTF8_BOM.encode()):
        text = text[len(UTF8_BOM.encode()) :]
    elif isinstance(text, str):
        text = text.removeprefix(UTF8_BOM)
    try:
        value = parse_json_text(text)
    except JsonInputError as exc:
        raise UnsafeJson(f"the {subject} is {exc.reason}") from exc
    check_json_value(value, limits, subject)
    return value


def check_json_value(value: Any, limits: JsonLimits = JsonLimits(), subject: str = "card") -> None:
    """Raise UnsafeJson when `value` breaks the shared value rules or nests deeper than the limit."""
    try:
        check_input_value(value, "", max_depth=limits.max_depth)
    except JsonInputError as exc:
        where = f"at {exc.path} " if exc.path else ""
        raise UnsafeJson(f"the {subject} JSON {where}is refused: {exc.reason}") from exc
