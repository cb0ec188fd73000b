"""Reading a card's JSON, whatever its version, into one normalised V3-shaped card.

`read_card` accepts V1 (flat), V2, SillyTavern's hybrid (V1 fields at the top level and a
`data` object) and V3, and tolerates what real files get wrong (INTERCHANGE.md §3): a string
where an array is expected, `null` or `""` where a value is expected, fields only at the top
level, `character_book` beside `data` instead of inside it. Such a field is normalised or
defaulted, never a reason to refuse the card; how each standard field was read is recorded in
`readings`, every other key gets its own report line, and oddities become warnings.

The normalised card is what Dramaturg understood: the mapping reads it, and an export starts
from it. Reading is deterministic and idempotent (reading a normalised card changes nothing),
which is what makes import → export → import give the same records. Pure; no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import attrs

from runtime.codec import json_type_name
from runtime.interchange._report import ReportLines
from runtime.model.cards import CardSpec, ImportWarningCode

JsonObject = dict[str, Any]

V1_FIELDS = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
TEXT_FIELDS = (
    *V1_FIELDS,
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "creator",
    "character_version",
)
LIST_FIELDS = ("alternate_greetings", "tags", "group_only_greetings")
REQUIRED_FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, "extensions")
OPTIONAL_FIELDS = (
    "character_book",
    "assets",
    "nickname",
    "creator_notes_multilingual",
    "source",
    "creation_date",
    "modification_date",
)
STANDARD_FIELDS = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)
V3_ONLY_FIELDS = frozenset(
    {"assets", "nickname", "creator_notes_multilingual", "source", "group_only_greetings"}
    | {"creation_date", "modification_date"}
)
FORMAT_KEYS = ("spec", "spec_version", "data")
NEWEST_SPEC_VERSION = 3.0
DEFAULT_SPEC_VERSIONS = {CardSpec.V1: "1.0", CardSpec.V2: "2.0", CardSpec.V3: "3.0"}
UNNAMED = "Unnamed"
LOREBOOK_REFUSAL = "this is a lorebook, not a character card (import it as a lorebook)"


class NotACard(Exception):
    """The JSON holds no character card; the message says what it holds instead."""


class ReadState(enum.Enum):
    AS_GIVEN = "as_given"
    NORMALISED = "normalised"  # the value was usable after a change the note describes
    DEFAULTED = "defaulted"  # missing or unusable: the default stands in for it


@attrs.frozen
class FieldReading:
    """How one standard field was read: from where (`data.tags`, or `tags` at the top level)."""

    path: str
    state: ReadState
    note: str | None = None


@attrs.frozen
class NormalizedCard:
    """A card as Dramaturg understood it.

    `data` holds every required V3 field with a value of the right type, the optional ones that
    were given, and unknown keys as they were; `root` holds the top-level keys besides `spec`,
    `spec_version` and `data` that an export writes back (SillyTavern's copies, unknown keys).
    """

    spec: CardSpec
    spec_version: str
    hybrid: bool
    data: JsonObject
    root: JsonObject
    readings: dict[str, FieldReading]
    lines: ReportLines  # lines for every key that is not a standard field, and warnings


def read_card(raw: Any, fallback_name: str | None = None) -> NormalizedCard:
    """Normalise `raw` (a parsed card file). `fallback_name` names a card whose name is missing
    or empty (a file name's stem). Raises NotACard when `raw` is not a character card."""
    if not isinstance(raw, dict):
        raise NotACard(f"expected a JSON object, got {json_type_name(raw)}")
    lines = ReportLines()
    spec, data = _layout(raw, lines)
    spec_version = _spec_version(raw, spec, lines)
    reader = _FieldReader(data, raw, spec, lines)
    normalised = reader.read_all()
    _default_name(normalised, reader.readings, fallback_name, lines)
    root = _report_root(raw, spec, data is not None, reader, lines)
    return NormalizedCard(
        spec=spec,
        spec_version=spec_version,
        hybrid=data is not None and any(key in raw for key in V1_FIELDS),
        data=normalised,
        root=root,
        readings=reader.readings,
        lines=lines,
    )


# -- the card's layout: version, where the fields are -------------------------------------


def _layout(raw: JsonObject, lines: ReportLines) -> tuple[CardSpec, JsonObject | None]:
    """The version, and the `data` object (None for a flat V1 card)."""
    spec, data = raw.get("spec"), raw.get("data")
    if spec == "lorebook_v3":
        raise NotACard(LOREBOOK_REFUSAL)
    if isinstance(data, dict):
        return _wrapped_spec(spec, lines), data
    if any(key in raw for key in V1_FIELDS):
        if spec is not None:
            lines.warn(
                ImportWarningCode.UNKNOWN_SPEC, f"spec is {_shown(spec)} but there is no data object: read as V1"
            )
        return CardSpec.V1, None
    raise NotACard(_not_a_card_reason(raw))


def _wrapped_spec(spec: Any, lines: ReportLines) -> CardSpec:
    if spec == CardSpec.V3.value:
        return CardSpec.V3
    if spec == CardSpec.V2.value:
        return CardSpec.V2
    if spec is None:
        lines.warn(ImportWarningCode.UNKNOWN_SPEC, "the card has a data object but no spec: read as chara_card_v2")
        return CardSpec.V2
    lines.warn(ImportWarningCode.UNKNOWN_SPEC, f"unknown spec {_shown(spec)}: read as chara_card_v3")
    return CardSpec.V3


def _not_a_card_reason(raw: JsonObject) -> str:
    if "entries" in raw or isinstance(raw.get("data"), list) or raw.get("kind") == "memory":
        return LOREBOOK_REFUSAL
    return "no character card found: expected a V1 card's fields (name, description, …) or a spec and a data object"


def _spec_version(raw: JsonObject, spec: CardSpec, lines: ReportLines) -> str:
    given = raw.get("spec_version")
    if spec is CardSpec.V1 or given is None:
        return DEFAULT_SPEC_VERSIONS[spec]
    text = given if isinstance(given, str) else _shown(given)
    try:
        number = float(text)
    except ValueError:
        lines.warn(ImportWarningCode.ODD_FIELD, f"spec_version {_shown(given)} is not a number: read as {spec.value}")
        return text
    if spec is CardSpec.V3 and number > NEWEST_SPEC_VERSION:
        lines.warn(
            ImportWarningCode.NEWER_SPEC_VERSION,
            f"spec_version {text} is newer than 3.0: imported as 3.0, fields Dramaturg does not know are kept",
        )
    return text


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else f"{json_type_name(value)} {value!r}"
    return text if len(text) <= 60 else text[:57] + "…"


# -- standard fields ----------------------------------------------------------------------


Normaliser = Callable[[Any], tuple[Any, ReadState, str | None]]


@attrs.define
class _FieldReader:
    """Reads each standard field from `data`, else from the top level (`fallback`)."""

    data: JsonObject | None
    fallback: JsonObject
    spec: CardSpec
    lines: ReportLines
    readings: dict[str, FieldReading] = attrs.Factory(dict)
    from_root: set[str] = attrs.Factory(set)  # top-level keys read as fields

    def read_all(self) -> JsonObject:
        normalised: JsonObject = {}
        source = self.fallback if self.data is None else self.data
        for key, value in source.items():  # the card's own order first, then the defaults
            if self.data is None and key not in STANDARD_FIELDS:
                continue
            if key in STANDARD_FIELDS:
                self._read(key, value, self._path(key), normalised)
            else:
                normalised[key] = value
        for key in STANDARD_FIELDS:
            if key not in normalised and key not in self.readings:
                self._read_missing(key, normalised)
        return normalised

    def _path(self, key: str) -> str:
        return key if self.data is None else f"data.{key}"

    def _read_missing(self, key: str, normalised: JsonObject) -> None:
        """A field `data` lacks: SillyTavern's top-level copy, else the default (required fields only)."""
        if self.data is not None and key in self.fallback and key in (*V1_FIELDS, "character_book"):
            self.from_root.add(key)
            self._read(key, self.fallback[key], key, normalised)
            return
        if key in REQUIRED_FIELDS:
            value = _DEFAULTS[key]()
            normalised[key] = value
            self.readings[key] = FieldReading(self._path(key), ReadState.DEFAULTED, self._missing_note(key))

    def _missing_note(self, key: str) -> str:
        if self.spec is CardSpec.V1 and key not in V1_FIELDS:
            return "not part of a V1 card"
        if self.spec is CardSpec.V2 and key in V3_ONLY_FIELDS:
            return "not part of a V2 card"
        return "missing from the card"

    def _read(self, key: str, value: Any, path: str, normalised: JsonObject) -> None:
        result, state, note = _NORMALISERS[key](value)
        self.readings[key] = FieldReading(path, state, note)
        if result is _ABSENT:
            return
        normalised[key] = result
        if state is not ReadState.AS_GIVEN:
            self.lines.warn(ImportWarningCode.ODD_FIELD, f"{path}: {note}")


_ABSENT = object()  # an optional field that is dropped (null or unusable)


def _text(value: Any) -> tuple[Any, ReadState, str | None]:
    if isinstance(value, str):
        return value, ReadState.AS_GIVEN, None
    if value is None:
        return "", ReadState.DEFAULTED, "null where text is expected"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value), ReadState.NORMALISED, "a number where text is expected, read as text"
    return "", ReadState.DEFAULTED, f"expected text, got {json_type_name(value)}"


def _optional_text(value: Any) -> tuple[Any, ReadState, str | None]:
    if value is None:
        return _ABSENT, ReadState.DEFAULTED, "null: left out"
    text, state, note = _text(value)
    return (text, state, note) if state is not ReadState.DEFAULTED else (_ABSENT, state, f"{note}: left out")


def _string_list(split_commas: bool) -> Normaliser:
    def normalise(value: Any) -> tuple[Any, ReadState, str | None]:
        if isinstance(value, list):
            return _text_items(value)
        if value is None:
            return [], ReadState.DEFAULTED, "null where an array is expected"
        if isinstance(value, str):
            if split_commas:
                items = [part.strip() for part in value.split(",") if part.strip()]
                return items, ReadState.NORMALISED, "a string where an array is expected, split at commas"
            items = [value] if value.strip() else []
            return items, ReadState.NORMALISED, "a string where an array is expected, read as one item"
        return [], ReadState.DEFAULTED, f"expected an array of text, got {json_type_name(value)}"

    return normalise


def _text_items(items: list[Any]) -> tuple[list[str], ReadState, str | None]:
    texts = [item if isinstance(item, str) else str(item) for item in items if _is_text_like(item)]
    if all(isinstance(item, str) for item in items):
        return texts, ReadState.AS_GIVEN, None
    dropped = len(items) - len(texts)
    note = "numbers in the array read as text" + (f"; {dropped} items that are not text dropped" if dropped else "")
    return texts, ReadState.NORMALISED, note


def _is_text_like(item: Any) -> bool:
    return isinstance(item, str) or (isinstance(item, (int, float)) and not isinstance(item, bool))


def _optional_list(value: Any) -> tuple[Any, ReadState, str | None]:
    if value is None:
        return _ABSENT, ReadState.DEFAULTED, "null: left out"
    return _string_list(split_commas=False)(value)


def _object(value: Any) -> tuple[Any, ReadState, str | None]:
    if isinstance(value, dict):
        return value, ReadState.AS_GIVEN, None
    if value is None:
        return {}, ReadState.DEFAULTED, "null where an object is expected"
    return {}, ReadState.DEFAULTED, f"expected an object, got {json_type_name(value)}"


def _optional_object(value: Any) -> tuple[Any, ReadState, str | None]:
    if isinstance(value, dict):
        return value, ReadState.AS_GIVEN, None
    if value is None:
        return _ABSENT, ReadState.DEFAULTED, "null: left out"
    return _ABSENT, ReadState.DEFAULTED, f"expected an object, got {json_type_name(value)}: left out"


def _date(value: Any) -> tuple[Any, ReadState, str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value, ReadState.AS_GIVEN, None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()), ReadState.NORMALISED, "a number written as text, read as a number"
    if value is None:
        return _ABSENT, ReadState.DEFAULTED, "null: left out"
    shown = "an empty string" if value == "" else json_type_name(value)
    return 0, ReadState.DEFAULTED, f"{shown} where a number of seconds is expected: 0 (unknown)"


def _assets(value: Any) -> tuple[Any, ReadState, str | None]:
    if value is None:
        return _ABSENT, ReadState.DEFAULTED, "null: left out"
    if not isinstance(value, list):
        return _ABSENT, ReadState.DEFAULTED, f"expected an array of assets, got {json_type_name(value)}: left out"
    usable = [asset for asset in value if _is_asset(asset)]
    if len(usable) == len(value):
        return value, ReadState.AS_GIVEN, None
    return usable, ReadState.NORMALISED, f"{len(value) - len(usable)} assets without a text type and uri dropped"


def _is_asset(asset: Any) -> bool:
    return isinstance(asset, dict) and isinstance(asset.get("type"), str) and isinstance(asset.get("uri"), str)


_NORMALISERS: dict[str, Normaliser] = {
    **dict.fromkeys(TEXT_FIELDS, _text),
    "tags": _string_list(split_commas=True),
    "alternate_greetings": _string_list(split_commas=False),
    "group_only_greetings": _string_list(split_commas=False),
    "extensions": _object,
    "character_book": _optional_object,
    "assets": _assets,
    "nickname": _optional_text,
    "creator_notes_multilingual": _optional_object,
    "source": _optional_list,
    "creation_date": _date,
    "modification_date": _date,
}
_DEFAULTS: dict[str, Callable[[], Any]] = {
    **dict.fromkeys(TEXT_FIELDS, str),
    **dict.fromkeys(LIST_FIELDS, list),
    "extensions": dict,
}


def default_data() -> JsonObject:
    """Every required field with its default value: the data of an empty card."""
    return {field: _DEFAULTS[field]() for field in REQUIRED_FIELDS}


def _default_name(
    data: JsonObject, readings: dict[str, FieldReading], fallback: str | None, lines: ReportLines
) -> None:
    if data["name"].strip():
        return
    name = (fallback or "").strip() or UNNAMED
    data["name"] = name
    path = readings["name"].path
    readings["name"] = FieldReading(path, ReadState.DEFAULTED, f"the card has no name: {name!r} used instead")
    source = "the file name" if fallback and fallback.strip() else f"{UNNAMED!r}"
    lines.warn(ImportWarningCode.NAME_FROM_FILE_NAME, f"the card has no name: named {name!r} after {source}")


# -- everything else at the top level -----------------------------------------------------


def _report_root(
    raw: JsonObject, spec: CardSpec, wrapped: bool, reader: _FieldReader, lines: ReportLines
) -> JsonObject:
    """Report each top-level key that is not a standard field read from there; return the keys an export keeps."""
    root: JsonObject = {}
    for key, value in raw.items():
        if key in reader.from_root or (not wrapped and key in STANDARD_FIELDS):
            continue  # reported with the field it was read as
        if key in FORMAT_KEYS:
            if key != "data":
                lines.ignored(key, f"format marker: read as {spec.value}; an export writes its own")
            continue
        root[key] = value
        if key in V1_FIELDS:
            lines.kept(key, f"SillyTavern's top-level copy of data.{key} (data.{key} is used); kept for export")
        elif key == "character_book":
            lines.kept(key, "a second character_book beside data.character_book: not read; kept for export")
        else:
            lines.kept(key, "top-level field outside the card spec; kept for export")
    _report_unknown_data(reader, lines)
    return root


def _report_unknown_data(reader: _FieldReader, lines: ReportLines) -> None:
    if reader.data is None:
        return
    for key in reader.data:
        if key not in STANDARD_FIELDS:
            lines.kept(f"data.{key}", "field outside the card spec; kept for export")
