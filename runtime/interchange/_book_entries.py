"""Reading one lorebook entry, in any format, into a Dramaturg entry, field by field.

Each key the entry's format knows (`_book_rules`) is read tolerantly and becomes an entry field
or an activation setting; settings equal to what the engine does anyway are left unset, so an
entry means the same with fewer fields. The content's decorators are applied and cut off. Keys
the format knows but Dramaturg does not use, and unknown keys, go to `activation.extensions`
(World Info and the other dialects: the entry's own keys, as snake_case; a card book: its
`extensions` keys), and every key is reported. Pure.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import Any, Final

import attrs

from runtime.interchange._book_rules import (
    ACTIVATION_FIELDS,
    ENGINE_DEFAULTS,
    ENTRY_DEFAULTS,
    EntryFormat,
    FieldRule,
)
from runtime.interchange._book_shapes import BookLayout, JsonObject
from runtime.interchange._book_values import boolean, comma_keywords
from runtime.interchange._decorators import DecoratedContent, apply_decorators, split_decorators
from runtime.model.cards import FieldOutcome, ImportWarningCode
from runtime.model.lorebook_files import BookFormat
from runtime.model.lorebooks import EntryActivation, KeyMode, LorebookEntry, SecondaryLogic

DRAMATURG_KEY: Final = "dramaturg"
"""Dramaturg's own key in a card book's `extensions`: what the format has no field for."""
ST_SIGNATURE: Final = frozenset({"selectiveLogic", "useProbability", "display_index", "exclude_recursion"})
"""Keys SillyTavern writes into every card book entry's extensions: it also writes
`use_regex: true` for every entry, meaning "a `/pattern/flags` key is a regex"."""
FIELD_TARGETS: Final = {"title": "title", "content": "content", "keywords": "keywords", "enabled": "enabled"}
NULL_IS_ODD: Final = frozenset({"title", "content", "keywords", "display_name"})
"""Fields where `null` is not a setting ("the global one") but a value missing."""
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """`matchPersonaDescription` → `match_persona_description` (SillyTavern's card book names)."""
    return _CAMEL_HUMP.sub(r"_\1", name).lower()


def target_name(target: str) -> str:
    """How the report names a Dramaturg field: `keywords`, `activation.group`."""
    return target if target in FIELD_TARGETS or target == "always_include" else f"activation.{target}"


@attrs.frozen
class EntryLine:
    """One report line of one entry, before lines of many entries are merged."""

    key: str  # the entry's key (dotted for nested keys), or `content @@name` for a decorator
    outcome: FieldOutcome
    target: str | None = None
    note: str | None = None
    value: Any = None  # a default used (such lines stay per entry)
    warning: ImportWarningCode | None = None


@attrs.frozen
class EntryReading:
    """An entry as read: the Dramaturg entry, and what an export needs to write it back (the
    key each field was read from, the content's decorators and which of them set a field)."""

    key: str
    raw: JsonObject
    entry: LorebookEntry
    sources: dict[str, str]
    decorated: DecoratedContent
    from_decorators: dict[str, int]
    lines: list[EntryLine]


@attrs.define
class Fields:
    """What the rules read from one object: Dramaturg field → value and → the key it came from,
    the keys read, and the report lines."""

    values: dict[str, Any] = attrs.Factory(dict)
    sources: dict[str, str] = attrs.Factory(dict)
    consumed: set[str] = attrs.Factory(set)
    lines: list[EntryLine] = attrs.Factory(list)


def read_entry(layout: BookLayout, entry_format: EntryFormat, key: str, raw: JsonObject) -> EntryReading:
    """One entry (`raw` is an object) as Dramaturg reads it."""
    fields = Fields()
    for rule in entry_format.present_rules(raw):
        read_rule(rule, raw, fields, target_name)
    _read_special(layout.format, raw, fields)
    for target, value in entry_format.source_defaults.items():
        fields.values.setdefault(target, value)
    if entry_format.key_mode is not None:
        fields.values.setdefault("key_mode", entry_format.key_mode)
    content_key = entry_format.rules_for("content")[0].key
    if content_key not in raw:
        fields.lines.append(EntryLine(content_key, FieldOutcome.DEFAULTED, "content", "missing", ""))
    decorated = split_decorators(fields.values.get("content") or "")
    from_decorators = _apply_decorators(decorated, fields, entry_format.decorators)
    extensions = _extensions(layout.format, entry_format, raw, fields)
    entry = _entry(entry_format, key, raw, fields.values, decorated.text, extensions)
    return EntryReading(key, raw, entry, fields.sources, decorated, from_decorators, fields.lines)


_MISSING: Final = object()


def _lookup(raw: JsonObject, path: tuple[str, ...]) -> Any:
    """The value at `path`, or _MISSING. (Called for every rule of every entry: kept lean.)"""
    value: Any = raw.get(path[0], _MISSING)
    for part in path[1:]:
        if not isinstance(value, dict):
            return _MISSING
        value = value.get(part, _MISSING)
    return value


def read_rule(rule: FieldRule, raw: JsonObject, fields: Fields, name: Callable[[str], str]) -> None:
    """Read `rule`'s key of `raw` into `fields`; `name` is how the report names the field."""
    value = _lookup(raw, rule.path)
    if value is _MISSING:
        return
    fields.consumed.add(rule.key)
    result = rule.read(value)
    target = name(rule.target)
    if value is None and rule.target in NULL_IS_ODD:
        note = "null where a value is expected: the default is used"
        line = EntryLine(rule.key, FieldOutcome.DEFAULTED, target, note, ENTRY_DEFAULTS.get(rule.target))
        fields.lines.append(line)
        return
    if result.defaulted:
        default = ENGINE_DEFAULTS.get(rule.target, ENTRY_DEFAULTS.get(rule.target))
        note = f"{result.note}: the default is used"
        line = EntryLine(rule.key, FieldOutcome.DEFAULTED, target, note, _json(default), ImportWarningCode.ODD_FIELD)
        fields.lines.append(line)
        return
    if result.value is not None and rule.target in fields.values:
        winner = fields.sources[rule.target]
        fields.lines.append(EntryLine(rule.key, FieldOutcome.KEPT, None, f"{winner} gives {target}; kept"))
        return
    if result.value is not None:
        fields.values[rule.target] = result.value
        fields.sources[rule.target] = rule.key
    warning = ImportWarningCode.ODD_FIELD if result.note else None
    notes = "; ".join(part for part in (result.note, rule.note) if part) or None
    fields.lines.append(EntryLine(rule.key, FieldOutcome.MAPPED, target, notes, warning=warning))


def _json(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


# -- what a format says in its own way ------------------------------------------------------


def _read_special(book_format: BookFormat, raw: JsonObject, fields: Fields) -> None:
    if book_format in (BookFormat.CHARACTER_BOOK, BookFormat.LOREBOOK_V3):
        _card_key_mode(raw, fields)
    elif book_format is BookFormat.RISUAI:
        _risu_mode(raw, fields)
    elif book_format is BookFormat.KOBOLD_LITE:
        _kobold_anti_keys(raw, fields)


def _card_key_mode(raw: JsonObject, fields: Fields) -> None:
    """`use_regex`, read as SillyTavern means it when SillyTavern wrote the entry; Dramaturg's
    own note in `extensions.dramaturg.key_mode` (written where the two readings differ) wins."""
    extensions: dict[str, Any] = raw["extensions"] if isinstance(raw.get("extensions"), dict) else {}
    own: dict[str, Any] = extensions[DRAMATURG_KEY] if isinstance(extensions.get(DRAMATURG_KEY), dict) else {}
    if own.get("key_mode") in {mode.value for mode in KeyMode}:
        fields.consumed.add(f"extensions.{DRAMATURG_KEY}")
        fields.values["key_mode"] = KeyMode(own["key_mode"])
        fields.sources["key_mode"] = "use_regex"
        note = "Dramaturg's key mode, written with the entry"
        fields.lines.append(EntryLine(f"extensions.{DRAMATURG_KEY}", FieldOutcome.MAPPED, "activation.key_mode", note))
    if "use_regex" not in raw:
        return
    fields.consumed.add("use_regex")
    result = boolean(raw["use_regex"])
    if "key_mode" in fields.values:
        fields.lines.append(EntryLine("use_regex", FieldOutcome.KEPT, None, "the key mode Dramaturg wrote wins; kept"))
        return
    if result.defaulted or not result.value:
        note = result.note or "keys are text"
        code = ImportWarningCode.ODD_FIELD if result.note else None
        fields.lines.append(EntryLine("use_regex", FieldOutcome.MAPPED, "activation.key_mode", note, warning=code))
        return
    mode = card_key_mode(True, extensions)
    written_by_st = mode is KeyMode.SLASH_REGEX
    fields.values["key_mode"] = mode
    fields.sources["key_mode"] = "use_regex"
    note = (
        "SillyTavern writes true for every entry: /pattern/flags keys are regexes, others text"
        if written_by_st
        else "every key is a regex"
    )
    fields.lines.append(EntryLine("use_regex", FieldOutcome.MAPPED, "activation.key_mode", f"{mode.value}: {note}"))


def card_key_mode(use_regex: bool, extensions: JsonObject) -> KeyMode:
    """How a card book entry's keys read (Dramaturg's own note aside): text without `use_regex`;
    with it, regexes, or SillyTavern's `/pattern/flags` keys when SillyTavern wrote the entry."""
    if not use_regex:
        return KeyMode.LITERAL
    return KeyMode.SLASH_REGEX if ST_SIGNATURE & extensions.keys() else KeyMode.REGEX


def _risu_mode(raw: JsonObject, fields: Fields) -> None:
    if "useRegex" in raw:
        fields.consumed.add("useRegex")
        regex = boolean(raw["useRegex"]).value is True
        if regex:
            fields.values["key_mode"] = KeyMode.REGEX
        note = "every key is a regex" if regex else "keys are text"
        fields.lines.append(EntryLine("useRegex", FieldOutcome.MAPPED, "activation.key_mode", note))
    if raw.get("mode") == "constant":
        fields.values["always_include"] = True
        fields.lines.append(EntryLine("mode", FieldOutcome.MAPPED, "always_include", "RisuAI's constant mode"))
        fields.consumed.add("mode")


def _kobold_anti_keys(raw: JsonObject, fields: Fields) -> None:
    if "keyanti" not in raw:
        return
    anti = comma_keywords(raw["keyanti"]).value or []
    if not anti:
        fields.consumed.add("keyanti")
        fields.lines.append(EntryLine("keyanti", FieldOutcome.IGNORED, None, "no anti-keys"))
        return
    if fields.values.get("selective") and fields.values.get("secondary_keywords"):
        note = "the entry's secondary keys are used, and Dramaturg follows one list; kept"
        fields.lines.append(
            EntryLine("keyanti", FieldOutcome.KEPT, None, note, warning=ImportWarningCode.SETTING_NOT_APPLIED)
        )
        return
    fields.consumed.add("keyanti")
    fields.values.update(secondary_keywords=anti, secondary_logic=SecondaryLogic.NOT_ANY, selective=True)
    note = "anti-keys: the entry does not fire when one of them is present"
    fields.lines.append(EntryLine("keyanti", FieldOutcome.MAPPED, "activation.secondary_keywords", note))


# -- decorators and the rest -----------------------------------------------------------------


def _apply_decorators(decorated: DecoratedContent, fields: Fields, allowed: frozenset[str] | None) -> dict[str, int]:
    """Apply the content's decorators to the fields; which decorator line set which field."""
    from_decorators: dict[str, int] = {}
    for outcome in apply_decorators(decorated.decorators, fields.values, allowed):
        name = outcome.decorator.name
        key = f"content @@{'@' if outcome.decorator.fallback else ''}{name}"
        targets = ", ".join(target_name(target) for target in outcome.targets) or None
        warning = None
        if outcome.outcome is FieldOutcome.KEPT:
            warning = ImportWarningCode.UNKNOWN_DECORATOR if outcome.unknown else ImportWarningCode.SETTING_NOT_APPLIED
        fields.lines.append(EntryLine(key, outcome.outcome, targets, outcome.note, warning=warning))
        for target in outcome.targets:
            from_decorators[target] = outcome.index
            fields.sources.pop(target, None)
    return from_decorators


def _extensions(book_format: BookFormat, entry_format: EntryFormat, raw: JsonObject, fields: Fields) -> dict[str, Any]:
    """The entry's fields Dramaturg keeps without using, and their report lines."""
    kept: dict[str, Any] = {}
    card_book = book_format in (BookFormat.CHARACTER_BOOK, BookFormat.LOREBOOK_V3)
    for key, value in raw.items():
        if key in fields.consumed or key == entry_format.id_key:
            continue
        if card_book and key == "extensions" and isinstance(value, dict):
            kept.update(_card_extensions(value, fields))
            continue
        if card_book:
            note = "not part of the lorebook format; kept with the original for export"
            fields.lines.append(EntryLine(key, FieldOutcome.KEPT, None, note))
            continue
        kept[snake_case(key)] = value
        note = entry_format.kept_notes.get(key, "not used by Dramaturg; kept")
        fields.lines.append(EntryLine(key, FieldOutcome.KEPT, "activation.extensions", note))
    if entry_format.id_key is not None and entry_format.id_key in raw:
        fields.lines.append(EntryLine(entry_format.id_key, FieldOutcome.MAPPED, "entry_id"))
    return kept


def _card_extensions(extensions: JsonObject, fields: Fields) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if not extensions:
        fields.lines.append(EntryLine("extensions", FieldOutcome.IGNORED, None, "empty"))
    for key, value in extensions.items():
        path = f"extensions.{key}"
        if path in fields.consumed:
            continue
        kept[key] = value
        fields.lines.append(EntryLine(path, FieldOutcome.KEPT, "activation.extensions", "not used by Dramaturg; kept"))
    return kept


def _entry(
    entry_format: EntryFormat, key: str, raw: JsonObject, values: dict[str, Any], content: str, kept: dict[str, Any]
) -> LorebookEntry:
    settings = {field: values[field] for field in ACTIVATION_FIELDS if values.get(field) is not None}
    if kept:
        settings["extensions"] = kept
    settings = {field: value for field, value in settings.items() if ENGINE_DEFAULTS.get(field, ...) != value}
    if not settings.get("secondary_keywords"):
        settings.pop("selective", None)  # nothing to select with
        settings.pop("secondary_logic", None)
    return LorebookEntry(
        entry_id=_written_id(raw.get(entry_format.id_key) if entry_format.id_key else None, key),
        title=values.get("title") or "",
        content=content,
        keywords=list(values.get("keywords") or []),
        enabled=values.get("enabled") is not False,
        always_include=values.get("always_include") is True,
        activation=EntryActivation(**settings) if settings else None,
    )


def _written_id(value: Any, key: str) -> str:
    """The entry's id as written (a number or text), else its key in the file."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return key
    return str(value).strip() or key
