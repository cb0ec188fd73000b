"""Writing a lorebook as SillyTavern World Info, as CCv3 `lorebook_v3`, or as a card's
`character_book`: the stored original, overlaid with what changed in Dramaturg.

When the lorebook was imported from a file of the same family (World Info for World Info; a
card book or `lorebook_v3` for the other two), the export starts from that file, read again so
that it knows where each field came from, and writes over it only what differs between the
lorebook as imported and as it is now: an entry's changed fields (to the key they were read
from, and to the format's own key; fields read together are written together), the book's
name and settings. A setting read from a decorator and changed since is written to the
format's key, and its decorator line dropped. Entries come in the lorebook's order; deleted
ones are left out; unchanged ones come back exactly as they were, unknown keys included.

Anything else is written fresh, as SillyTavern writes it: every field, SillyTavern's own in a
card book entry's `extensions`, `activation.extensions` where the format keeps such keys, and
`extensions.dramaturg` for what a card book has no field for (the book's recursion limit and
defaults; an entry's key mode where `use_regex` alone would be read otherwise). Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Final

import attrs

from runtime.interchange._book_entries import DRAMATURG_KEY, EntryReading, card_key_mode, snake_case
from runtime.interchange._book_reader import BOOK_LEVEL_RULES, BookReading
from runtime.interchange._book_rules import (
    ACTIVATION_FIELDS,
    CARD_BOOK_RULES,
    ENGINE_DEFAULTS,
    ENTRY_FIELDS,
    LINKED_FIELDS,
    WORLD_INFO_RULES,
    FieldRule,
)
from runtime.interchange._book_shapes import JsonObject
from runtime.interchange._book_values import boolean
from runtime.model.lorebook_files import BookFormat
from runtime.model.lorebooks import EntryActivation, KeyMode, Lorebook, LorebookEntry, LorebookSettings

LOREBOOK_V3_SPEC: Final = "lorebook_v3"
CARD_BOOK_FORMATS: Final = frozenset({BookFormat.CHARACTER_BOOK, BookFormat.LOREBOOK_V3})
SETTING_FIELDS: Final = tuple(field.name for field in attrs.fields(LorebookSettings) if field.name != "extensions")
_NO_ACTIVATION: Final = EntryActivation()
_NO_SETTINGS: Final = LorebookSettings()


@attrs.frozen
class _Family:
    """How one family of formats holds entries: its rules, and the keys of content and id."""

    formats: frozenset[BookFormat]
    rules: tuple[FieldRule, ...]
    id_key: str
    nulls_kept: bool  # a field with no value is written as null (World Info) rather than left out

    def writes(self, target: str, source: str | None) -> list[FieldRule]:
        return [rule for rule in self.rules if rule.target == target and (rule.written or rule.key == source)]


_WORLD_INFO: Final = _Family(frozenset({BookFormat.WORLD_INFO}), WORLD_INFO_RULES, "uid", True)
_CARD_BOOK: Final = _Family(CARD_BOOK_FORMATS, CARD_BOOK_RULES, "id", False)


def write_world_info(original: BookReading | None, imported: Lorebook | None, current: Lorebook) -> JsonObject:
    """The lorebook as a SillyTavern World Info file."""
    base = original if original is not None and original.format is BookFormat.WORLD_INFO else None
    book: JsonObject = copy.deepcopy(base.raw) if base is not None else {"entries": {}}
    if base is None and original is not None and original.format in CARD_BOOK_FORMATS:
        book["originalData"] = write_card_book(original, imported, current)  # as SillyTavern keeps it
    entries = _entries(_WORLD_INFO, base, imported, current)
    book["entries"] = dict(entries) if base is None or base.layout.keyed else [raw for _, raw in entries]
    if base is not None and imported is not None and "name" in book and imported.display_name != current.display_name:
        book["name"] = current.display_name
    return book


def write_card_book(original: BookReading | None, imported: Lorebook | None, current: Lorebook) -> JsonObject:
    """The lorebook as a card's `character_book` (the `data` of a `lorebook_v3` file)."""
    base = original if original is not None and original.format in CARD_BOOK_FORMATS else None
    if base is not None and base.layout.book is not None and imported is not None:
        book = copy.deepcopy(base.layout.book)
        _overlay_book(book, imported, current)
    else:
        book = {"name": current.display_name, "extensions": {}}
        _write_settings(book, current.settings or _NO_SETTINGS, SETTING_FIELDS)
        _write_book_extensions(book, {}, (current.settings or _NO_SETTINGS).extensions or {})
    entries = _entries(_CARD_BOOK, base, imported, current)
    keyed = base is not None and base.layout.keyed
    book["entries"] = dict(entries) if keyed else [raw for _, raw in entries]
    return book


def write_lorebook_v3(original: BookReading | None, imported: Lorebook | None, current: Lorebook) -> JsonObject:
    """The lorebook as a CCv3 `{"spec": "lorebook_v3", "data": …}` file."""
    data = write_card_book(original, imported, current)
    if original is not None and original.format is BookFormat.LOREBOOK_V3 and isinstance(original.raw, dict):
        return {**copy.deepcopy(original.raw), "data": data}
    return {"spec": LOREBOOK_V3_SPEC, "data": data}


# -- the book ----------------------------------------------------------------------------------


def _overlay_book(book: JsonObject, imported: Lorebook, current: Lorebook) -> None:
    if imported.display_name != current.display_name:
        book["name"] = current.display_name
    before, now = imported.settings or _NO_SETTINGS, current.settings or _NO_SETTINGS
    changed = [name for name in SETTING_FIELDS if getattr(before, name) != getattr(now, name)]
    _write_settings(book, now, changed)
    if before.extensions != now.extensions:
        _write_book_extensions(book, before.extensions or {}, now.extensions or {})


def _write_settings(book: JsonObject, settings: LorebookSettings, names: Iterable[str]) -> None:
    rules = {rule.target: rule for rule in BOOK_LEVEL_RULES[BookFormat.CHARACTER_BOOK]}
    for name in names:
        _put(book, rules[name], getattr(settings, name), write_null=False)
    own = book.get("extensions", {}).get(DRAMATURG_KEY) if isinstance(book.get("extensions"), dict) else None
    if own == {}:
        del book["extensions"][DRAMATURG_KEY]


def _write_book_extensions(book: JsonObject, before: JsonObject, now: JsonObject) -> None:
    _write_changed_keys(_object_at(book, "extensions"), before, now, lambda key: key)


def _write_changed_keys(target: JsonObject, before: JsonObject, now: JsonObject, key_of: Any) -> None:
    for key in before.keys() | now.keys():
        if key in now and before.get(key, ...) != now[key]:
            target[key_of(key)] = copy.deepcopy(now[key])
        elif key not in now:
            target.pop(key_of(key), None)


# -- entries -----------------------------------------------------------------------------------


def _entries(
    family: _Family, base: BookReading | None, imported: Lorebook | None, current: Lorebook
) -> list[tuple[str, JsonObject]]:
    """Each entry of `current` as the family writes it, with its key in an entries object."""
    readings = {reading.entry.entry_id: reading for reading in base.entries} if base is not None else {}
    before = {entry.entry_id: entry for entry in imported.entries} if imported is not None else {}
    written: list[tuple[str, JsonObject] | LorebookEntry] = []
    for entry in current.entries:
        reading, old = readings.get(entry.entry_id), before.get(entry.entry_id)
        if reading is None or old is None:
            written.append(entry)
            continue
        raw = copy.deepcopy(reading.raw)
        _write_fields(family, raw, entry, _changed(old, entry), reading, old)
        written.append((reading.key, raw))
    return _with_fresh_entries(family, written)


def _with_fresh_entries(
    family: _Family, written: list[tuple[str, JsonObject] | LorebookEntry]
) -> list[tuple[str, JsonObject]]:
    """The list with each new entry written fresh, under a key no other entry has."""
    taken = {key for item in written if isinstance(item, tuple) for key in (item[0], str(item[1].get(family.id_key)))}
    numbers = [int(key) for key in taken if key.isdigit()]
    next_number = max(numbers, default=-1) + 1
    result: list[tuple[str, JsonObject]] = []
    for item in written:
        if isinstance(item, tuple):
            result.append(item)
            continue
        key = item.entry_id if item.entry_id.isdigit() and item.entry_id not in taken else str(next_number)
        next_number = max(next_number, int(key) + 1)
        taken.add(key)
        raw = _fresh_entry(family, item, key)
        result.append((key, raw))
    return result


def _fresh_entry(family: _Family, entry: LorebookEntry, key: str) -> JsonObject:
    if family is _WORLD_INFO:
        raw: JsonObject = {"uid": int(key)}
    else:
        raw = {"id": int(entry.entry_id) if entry.entry_id.isdigit() else entry.entry_id, "extensions": {}}
    targets = {*ENTRY_FIELDS, *ACTIVATION_FIELDS}
    _write_fields(family, raw, entry, targets, None, None)
    return raw


def _changed(old: LorebookEntry, new: LorebookEntry) -> set[str]:
    """The fields that differ, with the fields read together with them."""
    changed = {name for name in ENTRY_FIELDS if getattr(old, name) != getattr(new, name)}
    before, now = old.activation or _NO_ACTIVATION, new.activation or _NO_ACTIVATION
    changed |= {name for name in ACTIVATION_FIELDS if getattr(before, name) != getattr(now, name)}
    grown = True
    while grown:
        grown = False
        for group in LINKED_FIELDS:
            if changed & group and not group <= changed:
                changed |= group
                grown = True
    return changed


def _effective(entry: LorebookEntry, target: str) -> Any:
    """The value the engine uses: the entry's, else the default (None: the lorebook's)."""
    if target in ENTRY_FIELDS:
        return getattr(entry, target)
    value = getattr(entry.activation or _NO_ACTIVATION, target)
    return ENGINE_DEFAULTS.get(target) if value is None else value


def _write_fields(
    family: _Family,
    raw: JsonObject,
    entry: LorebookEntry,
    targets: set[str],
    reading: EntryReading | None,
    old: LorebookEntry | None,
) -> None:
    if not targets:
        return
    sources = reading.sources if reading is not None else {}
    dropped = frozenset(
        index for target, index in (reading.from_decorators.items() if reading else ()) if target in targets
    )
    for target in sorted(targets - {"content", "extensions", "key_mode"}):
        value = _written_keywords(family, entry, target) if target.endswith("keywords") else _effective(entry, target)
        for rule in family.writes(target, sources.get(target)):
            # SillyTavern writes null for "the global setting", in World Info and in extensions
            _put(raw, rule, value, write_null=family.nulls_kept or len(rule.path) > 1)
    if "content" in targets or dropped:
        decorated = reading.decorated if reading is not None else None
        content = entry.content if decorated is None else decorated.with_text(entry.content, dropped)
        raw["content"] = content
    if "extensions" in targets:
        before = (old.activation or _NO_ACTIVATION).extensions or {} if old is not None else {}
        _write_entry_extensions(family, raw, before, (entry.activation or _NO_ACTIVATION).extensions or {})
    if family is _CARD_BOOK:
        _write_key_mode(raw, _effective(entry, "key_mode"), rewrite="key_mode" in targets)


def _written_keywords(family: _Family, entry: LorebookEntry, target: str) -> list[str]:
    """Keywords as the format reads them: World Info has no key mode, so a regex-mode entry's
    keywords are written `/pattern/flags` there (SillyTavern's regex keys)."""
    words = list(_effective(entry, target) or [])
    if family is not _WORLD_INFO or _effective(entry, "key_mode") is not KeyMode.REGEX:
        return words
    flags = "" if _effective(entry, "case_sensitive") else "i"
    return [word if _is_slashed(word) else f"/{word}/{flags}" for word in words]


def _is_slashed(word: str) -> bool:
    return len(word) > 2 and word.startswith("/") and word.rstrip("gimsuyvd").endswith("/")


def _put(raw: JsonObject, rule: FieldRule, value: Any, *, write_null: bool) -> None:
    """Write `value` at the rule's key; no value is `null` with `write_null`, else no key."""
    node = raw
    *parents, last = rule.path
    for part in parents:
        node = _object_at(node, part)
    if value is not None:
        node[last] = rule.write(value)
    elif write_null:
        node[last] = None
    else:
        node.pop(last, None)


def _object_at(node: JsonObject, key: str) -> JsonObject:
    """The object at `node[key]`, put there (over whatever else was there) when there is none."""
    child = node.get(key)
    if not isinstance(child, dict):
        child = node[key] = {}
    return child


def _write_entry_extensions(family: _Family, raw: JsonObject, before: JsonObject, now: JsonObject) -> None:
    if family is _WORLD_INFO:
        own_keys = {snake_case(key): key for key in raw}  # the key an extension was read from
        _write_changed_keys(raw, before, now, lambda key: own_keys.get(key) or _camel_case(key))
        return
    _write_changed_keys(_object_at(raw, "extensions"), before, now, lambda key: key)


def _camel_case(name: str) -> str:
    """`match_persona_description` → `matchPersonaDescription`; a name that reads back the same."""
    head, *rest = name.split("_")
    camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
    return camel if snake_case(camel) == name else name


def _write_key_mode(raw: JsonObject, mode: KeyMode, *, rewrite: bool) -> None:
    """`use_regex` (when the key mode is to be written), and Dramaturg's note of the key mode
    where the entry as written would be read otherwise (a change to its SillyTavern fields
    changes how `use_regex` reads)."""
    if rewrite:
        raw["use_regex"] = mode is not KeyMode.LITERAL
    extensions = _object_at(raw, "extensions")
    own = extensions.get(DRAMATURG_KEY)
    own = dict(own) if isinstance(own, dict) else {}
    own.pop("key_mode", None)
    if card_key_mode(boolean(raw.get("use_regex")).value is True, extensions) is not mode:
        own["key_mode"] = mode.value
    if own:
        extensions[DRAMATURG_KEY] = own
    else:
        extensions.pop(DRAMATURG_KEY, None)
