"""Reading one value of a lorebook file as what real files hold, not what the formats promise
(INTERCHANGE.md §3): a number written as text, `""` where a number is expected, a comma list
where an array is expected, `0`/`1` for a boolean. A reader never raises: it returns the
value to use with a note when it had to normalise it, or no value (the default stands in) with
a note saying why. `null` is no value without a note: SillyTavern writes it for "use the
global setting". Pure.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from runtime.codec import json_type_name

E = TypeVar("E", bound=enum.Enum)
INT64_LIMIT = 2**63


@attrs.frozen
class Read:
    """A value as read: `value` None means "not given" (the default applies); `note` says what
    was done to a value that was not as the format writes it; `defaulted` when it was unusable."""

    value: Any = None
    note: str | None = None
    defaulted: bool = False


ValueReader = Callable[[Any], Read]

NOT_GIVEN = Read()


def _unusable(note: str) -> Read:
    return Read(None, note, defaulted=True)


def _shown(value: Any) -> str:
    if value == "":
        return "an empty string"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = repr(value) if isinstance(value, str) else json_type_name(value)
    return text if len(text) <= 40 else text[:37] + "…'"


def text(value: Any) -> Read:
    if value is None or isinstance(value, str):
        return Read(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Read(str(value), "a number where text is expected, read as text")
    return _unusable(f"expected text, got {json_type_name(value)}")


def boolean(value: Any) -> Read:
    if value is None or isinstance(value, bool):
        return Read(value)
    if isinstance(value, int) and value in (0, 1):
        return Read(bool(value), f"the number {value} read as {'true' if value else 'false'}")
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return Read(value.strip().lower() == "true", f"{_shown(value)} read as a boolean")
    return _unusable(f"expected true or false, got {_shown(value)}")


def integer(lowest: int | None = None, highest: int | None = None) -> ValueReader:
    """Whole numbers in `[lowest, highest]`; an out-of-range one is unusable (the default applies)."""

    def read(value: Any) -> Read:
        number, note = _number(value)
        if number is None:
            return Read() if value is None else _unusable(note or f"expected a number, got {_shown(value)}")
        if (lowest is not None and number < lowest) or (highest is not None and number > highest):
            return _unusable(f"{number} is out of range ({_range_text(lowest, highest)})")
        return Read(number, note)

    return read


def _range_text(lowest: int | None, highest: int | None) -> str:
    if highest is None:
        return f"at least {lowest}"
    return f"from {lowest} to {highest}"


def _number(value: Any) -> tuple[int | None, str | None]:
    """A whole number from a number or a numeric text, and a note when it was not an integer."""
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, int):
        return (value, None) if abs(value) < INT64_LIMIT else (None, f"{value} is too large")
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= INT64_LIMIT:
            return None, "the number is too large"
        whole = round(value)
        return whole, None if whole == value else f"{value} rounded to {whole}"
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return None, "an empty string where a number is expected"
        try:
            parsed = float(stripped)
        except ValueError:
            return None, f"expected a number, got {_shown(value)}"
        number, _ = _number(parsed)
        return number, None if number is None else f"the text {_shown(value)} read as the number {number}"
    return None, f"expected a number, got {json_type_name(value)}"


def recursion_level(value: Any) -> Read:
    """SillyTavern's `delayUntilRecursion`: a boolean (true: from step 1) or a step number."""
    if isinstance(value, bool):
        return Read(1 if value else 0)
    return integer(0)(value)


def choice(values: dict[Any, E]) -> ValueReader:
    """One of the keys of `values` (numbers may come as text); anything else is unusable."""

    def read(value: Any) -> Read:
        if value is None:
            return NOT_GIVEN
        if not isinstance(value, bool) and value in values:
            return Read(values[value])
        number, _ = _number(value) if isinstance(value, str) else (None, None)
        if number is not None and number in values:
            return Read(values[number], f"the text {_shown(value)} read as {number}")
        allowed = ", ".join(str(key) for key in values)
        return _unusable(f"expected one of {allowed}, got {_shown(value)}")

    return read


def json_object(value: Any) -> Read:
    if value is None or isinstance(value, dict):
        return Read(value)
    return _unusable(f"expected an object, got {json_type_name(value)}")


def keyword_list(value: Any, *, commas_are_the_format: bool = False) -> Read:
    """Keywords: an array of text, or (tolerated, or the format's own way) one comma-separated text."""
    if value is None:
        return NOT_GIVEN
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        return Read(parts, None if commas_are_the_format else "a text where an array is expected, split at commas")
    if not isinstance(value, list):
        return _unusable(f"expected an array of keywords, got {json_type_name(value)}")
    words = [item if isinstance(item, str) else str(item) for item in value if _is_word(item)]
    if len(words) == len(value) and all(isinstance(item, str) for item in value):
        return Read(words)
    dropped = len(value) - len(words)
    note = "numbers read as text" if dropped == 0 else f"dropped what is not text ({dropped} of {len(value)})"
    return Read(words, note)


def comma_keywords(value: Any) -> Read:
    """Keywords of a format that writes them as one comma-separated text (RisuAI, Kobold Lite)."""
    return keyword_list(value, commas_are_the_format=True)


def _is_word(item: Any) -> bool:
    return isinstance(item, str) or (isinstance(item, (int, float)) and not isinstance(item, bool))
