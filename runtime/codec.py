"""The one converter between JSON values and Dramaturg's attrs records.

Rules it installs (see `make_converter`):

* primitives are validated, never coerced: `"5"` is not an int, `5.7` is not an int,
  `true` is not an int, a string is not a list, a dict is not a list;
* unknown keys are refused, except in classes that set `codec_ignores_unknown_keys`
  (the character card content and the story-graph objects, PROTOCOL §3.4);
* closed sets are `Enum`s and are matched on their values;
* tagged unions (`register_tagged_union`) are keyed on a `type` member;
* fields declared with `runtime.model.omittable` are left out of the output when `None`;
* every failure becomes one `InvalidParams` whose message names the field paths
  (`params.limit: expected int, got string`).
"""

from __future__ import annotations

import enum
import json
import re
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import is_mapping, is_sequence, list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn
from cattrs.preconf.json import make_converter as make_json_converter

from runtime.errors import InvalidParams
from runtime.model._fields import OMIT_IF_NONE
from runtime.model.unions import TAGGED_UNIONS

T = TypeVar("T")

TOLERANT_FLAG = "codec_ignores_unknown_keys"
"""Class attribute: when true, unknown keys are ignored instead of refused."""

INT_MIN, INT_MAX = -(2**63), 2**64 - 1
"""The integers a typed field accepts: what 64 bits hold, signed or unsigned."""


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode_json(value: Any) -> str:
    """Compact JSON text, as records are stored and answers sent. Raises ValueError rather than
    write `NaN` or `Infinity`, which are not JSON."""
    return _ENCODER.encode(value)


class _Mismatch(ValueError):
    """A value of the wrong JSON type; the message is the whole reason."""


def json_type_name(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _expect(expected: str, ok: Callable[[object], bool]) -> Callable[[object, type], object]:
    def hook(value: object, _: type) -> object:
        if not ok(value):
            raise _Mismatch(f"expected {expected}, got {json_type_name(value)}")
        return value

    return hook


def _is_int(value: object) -> bool:
    return type(value) is int and INT_MIN <= value <= INT_MAX


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _structure_any(value: object, _: type) -> object:
    return value


def _enum_hook(enum_type: type[enum.Enum]) -> Callable[[object, type], enum.Enum]:
    allowed = [member.value for member in enum_type]
    reason = ", ".join(str(value) for value in allowed)

    def hook(value: object, _: type) -> enum.Enum:
        if isinstance(value, str):
            for member in enum_type:
                if member.value == value:
                    return member
            raise _Mismatch(f"expected one of {reason}, got {json.dumps(value)}")
        raise _Mismatch(f"expected one of {reason}, got {json_type_name(value)}")

    return hook


class Codec:
    """Structures JSON values into records and unstructures records into JSON values."""

    def __init__(self) -> None:
        self._converter = make_converter()
        for union, tags, tag_key, what in TAGGED_UNIONS:
            register_tagged_union(self._converter, union, tags, tag_key=tag_key, what=what)

    @property
    def converter(self) -> cattrs.Converter:
        return self._converter

    def structure(self, value: object, record_type: type[T], *, path: str = "params") -> T:
        """Return `value` as `record_type`; raise InvalidParams naming every bad field."""
        if attrs.has(record_type) and not isinstance(value, dict):
            raise InvalidParams(f"{path}: expected object, got {json_type_name(value)}")
        try:
            return self._converter.structure(value, record_type)
        except Exception as exc:  # cattrs wraps everything; we re-word it once, here
            raise InvalidParams(describe_structure_error(exc, path)) from exc

    def unstructure(self, record: object) -> Any:
        """Return the JSON value of `record` (enums as their values, omittable Nones dropped)."""
        return self._converter.unstructure(record)

    def dumps(self, record: object) -> str:
        """Compact JSON text of `record`. Raises ValueError rather than write `NaN` or `Infinity`."""
        return encode_json(self.unstructure(record))

    def loads(self, text: str | bytes, record_type: type[T]) -> T:
        """Parse stored JSON text into `record_type`.

        Versions before 0.3 stored a number too large for a double (`1e400`) as `Infinity`, which
        is not JSON; such a value reads as null, so the record can be read, answered and fixed.
        """
        return self.structure(json.loads(text, parse_constant=_stored_constant), record_type, path="<stored>")


def _stored_constant(_name: str) -> None:
    return None


def make_converter() -> cattrs.Converter:
    """A strict JSON converter: the rules listed in the module docstring."""
    converter = make_json_converter(forbid_extra_keys=True)
    converter.register_structure_hook(int, _expect("int", _is_int))
    converter.register_structure_hook(float, _expect("number", _is_number))
    converter.register_structure_hook(str, _expect("string", lambda v: type(v) is str))
    converter.register_structure_hook(bool, _expect("boolean", lambda v: type(v) is bool))
    converter.register_structure_hook(typing.Any, _structure_any)
    converter.register_structure_hook_factory(lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_hook)
    converter.register_structure_hook_factory(is_sequence, _strict_list_factory(converter))
    converter.register_structure_hook_factory(is_mapping, _strict_dict_factory(converter))
    converter.register_structure_hook_factory(attrs.has, _attrs_structure_factory(converter))
    converter.register_unstructure_hook_factory(attrs.has, _attrs_unstructure_factory(converter))
    return converter


def _strict_list_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(list_type: Any) -> Callable[[object, Any], Any]:
        inner = list_structure_factory(list_type, converter)

        def hook(value: object, t: Any) -> Any:
            if not isinstance(value, list):
                raise _Mismatch(f"expected array, got {json_type_name(value)}")
            return inner(value, t)

        return hook

    return factory


def _strict_dict_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(dict_type: Any) -> Callable[[object, Any], Any]:
        args = typing.get_args(dict_type)
        value_type = args[1] if len(args) == 2 else Any

        def hook(value: object, _: Any) -> Any:
            if not isinstance(value, dict):
                raise _Mismatch(f"expected object, got {json_type_name(value)}")
            result: dict[str, Any] = {}
            errors: list[Exception] = []
            for key, item in value.items():
                try:
                    result[key] = converter.structure(item, value_type)
                except Exception as exc:  # noqa: BLE001  (collected and re-raised as a group below)
                    exc.__notes__ = [*getattr(exc, "__notes__", []), f"Structuring mapping value @ key {key!r}"]
                    errors.append(exc)
            if errors:
                raise cattrs.IterableValidationError("While structuring a mapping", errors, dict_type)
            return result

        return hook

    return factory


def _attrs_structure_factory(converter: cattrs.Converter) -> Callable[[type], Any]:
    def factory(cls: type) -> Callable[[object, type], Any]:
        forbid_extra_keys = not getattr(cls, TOLERANT_FLAG, False)
        inner: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls, converter, _cattrs_forbid_extra_keys=forbid_extra_keys
        )

        def hook(value: object, t: type) -> Any:
            if not isinstance(value, dict):
                raise _Mismatch(f"expected object, got {json_type_name(value)}")
            return inner(value, t)

        return hook

    return factory


def _attrs_unstructure_factory(converter: cattrs.Converter) -> Callable[[type], Any]:
    def factory(cls: type) -> Callable[[Any], dict[str, Any]]:
        base: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, converter)
        omittable = [f.name for f in attrs.fields(cls) if f.metadata.get(OMIT_IF_NONE)]
        if not omittable:
            return base

        def unstructure(record: Any) -> dict[str, Any]:
            value = base(record)
            for name in omittable:
                if value.get(name, 0) is None:
                    del value[name]
            return value

        return unstructure

    return factory


def register_tagged_union(
    converter: cattrs.Converter, union: Any, tags: dict[str, type], *, tag_key: str, what: str
) -> None:
    """Install structure and unstructure hooks for a union tagged by `tag_key`."""
    by_class = {cls: tag for tag, cls in tags.items()}
    expected = ", ".join(tags)

    def structure(value: object, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _Mismatch(f"expected object, got {json_type_name(value)}")
        if tag_key not in value:
            raise _Mismatch(f"missing '{tag_key}' (expected one of {expected})")
        tag = value[tag_key]
        if not isinstance(tag, str) or tag not in tags:
            raise _Mismatch(f"unknown {what} {json.dumps(tag)} (expected one of {expected})")
        body = {key: item for key, item in value.items() if key != tag_key}
        return converter.structure(body, tags[tag])

    bodies = {cls: converter.get_unstructure_hook(cls) for cls in tags.values()}

    def unstructure(record: Any) -> dict[str, Any]:
        cls = type(record)
        return {tag_key: by_class[cls], **bodies[cls](record)}

    converter.register_structure_hook(union, structure)
    converter.register_unstructure_hook(union, unstructure)
    for cls in tags.values():
        converter.register_unstructure_hook(cls, unstructure)


# -- error messages ---------------------------------------------------------------------

_INDEX = re.compile(r"\[(\d+)\]")
_KEY = re.compile(r"\['((?:[^'\\]|\\.)*)'\]")


def describe_structure_error(exc: BaseException, path: str) -> str:
    """One line, `path: reason` per failure joined by `; `, in PROTOCOL §3.4 notation."""
    lines = list(_walk(exc, path))
    return "; ".join(dict.fromkeys(lines)) or f"{path}: invalid value"


def _walk(exc: BaseException, path: str) -> typing.Iterator[str]:
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield f"{path}.{key}: unknown field"
        return
    if isinstance(exc, (cattrs.ClassValidationError, cattrs.IterableValidationError, ExceptionGroup)):
        for sub in exc.exceptions:
            yield from _walk(sub, path + _note_step(sub))
        return
    if isinstance(exc, KeyError):
        yield f"{path}: missing required field"
        return
    if isinstance(exc, (_Mismatch, InvalidParams)):
        yield f"{path}: {exc}"
        return
    if isinstance(exc, cattrs.StructureHandlerNotFoundError):
        yield f"{path}: unsupported value"
        return
    yield f"{path}: {exc}"


def _note_step(exc: BaseException) -> str:
    """The path step that cattrs recorded in the exception's notes."""
    for note in getattr(exc, "__notes__", []):
        note = str(note)
        if "@ attribute " in note:
            return "." + note.rsplit("@ attribute ", 1)[1].strip()
        if "@ index " in note:
            return f"[{note.rsplit('@ index ', 1)[1].strip()}]"
        if "@ key " in note:
            key = note.rsplit("@ key ", 1)[1].strip()
            return "." + key.strip("'\"")
    return ""


CODEC = Codec()
"""The converter every module uses. Built once at import from the records' declarations."""
