"""Reading the text of a JSON agent's answer (PROTOCOL §9.5 steps 1–2, before decoding).

`strip_code_fence` removes a surrounding markdown fence; `parse_json_object` turns the text
into one JSON object or raises `JsonOutputError` with a message fit for the repair call's
`PARSER_ERROR:` section. Decoding into the agent's shape is the codec's job.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from runtime.codec import json_type_name
from runtime.errors import ProviderError
from runtime.json_input import JsonInputError, check_json_value

_FENCE: Final = "```"
_LANGUAGE_TAG: Final = re.compile(r"[A-Za-z0-9_+.-]*")


class JsonOutputError(ProviderError):
    """A JSON agent's text is not one JSON object. The caller repairs once, then fails (50002)."""


def strip_code_fence(text: str) -> str:
    """`text` trimmed; if it is wrapped in a markdown code fence (an opening line of three
    backticks and an optional language tag, a closing line of three backticks), only the
    trimmed inner text."""
    trimmed = text.strip()
    lines = trimmed.split("\n")
    if len(lines) < 2 or not lines[0].startswith(_FENCE) or lines[-1].strip() != _FENCE:
        return trimmed
    if not _LANGUAGE_TAG.fullmatch(lines[0][len(_FENCE) :].strip()):
        return trimmed
    return "\n".join(lines[1:-1]).strip()


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in `text` (fence stripped first).

    When the text as a whole is not JSON but holds a complete object after some other text (a
    sentence, an unclosed fence) and before more, that object is taken: a small model often
    frames its answer, and a streamed answer ends with its object (a Dramaturg extension of
    PROTOCOL §9.5).

    Raises `JsonOutputError` when the text is empty, is not valid JSON (duplicate keys and
    the non-standard constants NaN/Infinity included), or holds something other than an object.
    """
    body = strip_code_fence(text)
    if not body:
        raise JsonOutputError("invalid JSON: output was empty")
    try:
        value = _DECODER.decode(body)
    except json.JSONDecodeError as exc:
        value = _embedded_object(body)
        if value is None:
            raise JsonOutputError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(value, dict):
        raise JsonOutputError(f"expected a JSON object, got {json_type_name(value)}")
    try:
        check_json_value(value, "")
    except JsonInputError as exc:  # e.g. 1e400, which Python reads as infinity and JSON cannot hold
        raise JsonOutputError(f"invalid JSON value: {exc}") from exc
    return value


def _embedded_object(body: str) -> dict[str, Any] | None:
    """The first complete object that starts at the first `{` of `body`, whatever follows it."""
    start = body.find("{")
    if start < 0:
        return None
    try:
        value, _ = _DECODER.raw_decode(body, start)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise JsonOutputError(f"invalid JSON: duplicate key '{key}' in an object")
        value[key] = item
    return value


def _refuse_constant(name: str) -> Any:
    raise JsonOutputError(f"invalid JSON: '{name}' is not a JSON value")


# strict=False: a raw line break or tab inside a string is taken as written (small models do
# write them, and their meaning is plain); everything else about the JSON stays strict.
_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant, strict=False
)
