"""Which key of each lorebook format holds which Dramaturg field, read and written by one table.

A `FieldRule` names a key of an entry (`extensions.group` for SillyTavern's fields inside a card
book's entry), the Dramaturg field it holds (an entry field such as `keywords`, or an
`EntryActivation` attribute), how its value is read and how it is written back. When several
rules give one field, the first that holds a value wins (`extensions.position` before a card
book's coarse `position`). `written` marks the keys an export writes a changed field to; the key
a value was read from is always written too. Only SillyTavern World Info and the card book are
written; the other dialects are read only. Pure data and small conversions; no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any, Final

import attrs

from runtime.interchange._book_values import (
    ValueReader,
    boolean,
    choice,
    comma_keywords,
    integer,
    keyword_list,
    recursion_level,
    text,
)
from runtime.model.lorebook_files import BookFormat
from runtime.model.lorebooks import EntryActivation, KeyMode, LorePosition, LoreRole, SecondaryLogic

ENTRY_FIELDS: Final = ("title", "content", "keywords", "enabled", "always_include")
ACTIVATION_FIELDS: Final = tuple(field.name for field in attrs.fields(EntryActivation))

ENGINE_DEFAULTS: Final[dict[str, Any]] = {
    "secondary_keywords": [],
    "secondary_logic": SecondaryLogic.AND_ANY,
    "selective": True,
    "key_mode": KeyMode.LITERAL,
    "insertion_order": 100,
    "priority": 0,
    "probability": 100,
    "use_probability": True,
    "group": "",
    "group_override": False,
    "group_weight": 100,
    "exclude_recursion": False,
    "prevent_recursion": False,
    "delay_until_recursion": 0,
    "sticky": 0,
    "cooldown": 0,
    "delay": 0,
    "ignore_budget": False,
    "outlet_name": "",
    "extensions": {},
    # what SillyTavern assumes when it is not said: kept out of the record like the others
    "position": LorePosition.BEFORE_CHARACTER,
    "depth": 4,
    "role": LoreRole.SYSTEM,
}
"""Values an entry's activation leaves unset: the engine behaves the same without them. The
settings that default to the lorebook's (`case_sensitive`, `match_whole_words`,
`use_group_scoring`, `scan_depth`) are absent here: an explicit `false` differs from "the book's"."""

ENTRY_DEFAULTS: Final[dict[str, Any]] = {"title": "", "content": "", "keywords": [], "enabled": True}

LINKED_FIELDS: Final[tuple[frozenset[str], ...]] = (
    frozenset({"secondary_keywords", "selective", "secondary_logic"}),
    frozenset({"probability", "use_probability"}),
    frozenset({"position", "depth", "role"}),
    frozenset({"keywords", "secondary_keywords", "key_mode"}),
)
"""Fields an export writes together: one is read in the light of the others (SillyTavern ignores
`selectiveLogic` without secondary keys, which the import therefore leaves unset), so a change
to one writes the current value of all."""

ST_LOGIC: Final = {
    0: SecondaryLogic.AND_ANY,
    1: SecondaryLogic.NOT_ALL,
    2: SecondaryLogic.NOT_ANY,
    3: SecondaryLogic.AND_ALL,
}
ST_POSITIONS: Final = {
    0: LorePosition.BEFORE_CHARACTER,
    1: LorePosition.AFTER_CHARACTER,
    2: LorePosition.AUTHOR_NOTE_TOP,
    3: LorePosition.AUTHOR_NOTE_BOTTOM,
    4: LorePosition.AT_DEPTH,
    5: LorePosition.EXAMPLES_TOP,
    6: LorePosition.EXAMPLES_BOTTOM,
    7: LorePosition.OUTLET,
}
ST_ROLES: Final = {0: LoreRole.SYSTEM, 1: LoreRole.USER, 2: LoreRole.ASSISTANT}
CARD_POSITIONS: Final = {"before_char": LorePosition.BEFORE_CHARACTER, "after_char": LorePosition.AFTER_CHARACTER}


def _number_of(values: dict[int, Any]) -> Callable[[Any], int]:
    numbers = {value: number for number, value in values.items()}
    return lambda value: numbers[value]


def _as_is(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _card_position(value: LorePosition) -> str:
    """SillyTavern's rule: only 'before character' is `before_char`; every other place is `after_char`."""
    return "before_char" if value is LorePosition.BEFORE_CHARACTER else "after_char"


def _negated(reader: ValueReader) -> ValueReader:
    def read(value: Any) -> Any:
        result = reader(value)
        return result if result.value is None else attrs.evolve(result, value=not result.value)

    return read


def _recursion_level_written(level: int) -> bool | int:
    """SillyTavern writes `true` for "from the first recursion step" and a number above it."""
    return level if level > 1 else bool(level)


@attrs.frozen
class FieldRule:
    key: str  # dotted: `extensions.group` is the `group` key of the entry's `extensions` object
    target: str
    read: ValueReader
    write: Callable[[Any], Any] = _as_is
    written: bool = True  # an export writes the field here (besides the key it was read from)
    note: str | None = None  # what the report says about the mapping
    path: tuple[str, ...] = attrs.field(init=False)  # the key split at its dots, once

    @path.default
    def _split_key(self) -> tuple[str, ...]:
        return tuple(self.key.split("."))


def _rule(key: str, target: str, read: ValueReader, **options: Any) -> FieldRule:
    return FieldRule(key, target, read, **options)


COUNTED_IN_TURNS = "SillyTavern counts messages, Dramaturg counts turns"
KEPT_FOR_ROUND_TRIP = "kept for round trip; Dramaturg places lore through the preset"

# SillyTavern's fields that World Info entries hold at the top level and card book entries under
# `extensions`, as (World Info key, card book extensions key, Dramaturg field, reader, writer, note).
_ST_FIELDS: Final[tuple[tuple[str, str, str, ValueReader, Callable[[Any], Any], str | None], ...]] = (
    ("selectiveLogic", "selectiveLogic", "secondary_logic", choice(ST_LOGIC), _number_of(ST_LOGIC), None),
    ("probability", "probability", "probability", integer(0, 100), _as_is, None),
    ("useProbability", "useProbability", "use_probability", boolean, _as_is, None),
    ("group", "group", "group", text, _as_is, None),
    ("groupOverride", "group_override", "group_override", boolean, _as_is, None),
    ("groupWeight", "group_weight", "group_weight", integer(1), _as_is, None),
    ("useGroupScoring", "use_group_scoring", "use_group_scoring", boolean, _as_is, None),
    ("excludeRecursion", "exclude_recursion", "exclude_recursion", boolean, _as_is, None),
    ("preventRecursion", "prevent_recursion", "prevent_recursion", boolean, _as_is, None),
    (
        "delayUntilRecursion",
        "delay_until_recursion",
        "delay_until_recursion",
        recursion_level,
        _recursion_level_written,
        None,
    ),
    ("scanDepth", "scan_depth", "scan_depth", integer(0), _as_is, None),
    ("matchWholeWords", "match_whole_words", "match_whole_words", boolean, _as_is, None),
    ("sticky", "sticky", "sticky", integer(0), _as_is, COUNTED_IN_TURNS),
    ("cooldown", "cooldown", "cooldown", integer(0), _as_is, COUNTED_IN_TURNS),
    ("delay", "delay", "delay", integer(0), _as_is, COUNTED_IN_TURNS),
    ("ignoreBudget", "ignore_budget", "ignore_budget", boolean, _as_is, None),
    ("depth", "depth", "depth", integer(0), _as_is, KEPT_FOR_ROUND_TRIP),
    ("role", "role", "role", choice(ST_ROLES), _number_of(ST_ROLES), KEPT_FOR_ROUND_TRIP),
    ("outletName", "outlet_name", "outlet_name", text, _as_is, KEPT_FOR_ROUND_TRIP),
)

WORLD_INFO_RULES: Final[tuple[FieldRule, ...]] = (
    _rule("key", "keywords", keyword_list),
    _rule("keysecondary", "secondary_keywords", keyword_list),
    _rule("comment", "title", text),
    _rule("content", "content", text),
    _rule("constant", "always_include", boolean),
    _rule("disable", "enabled", _negated(boolean), write=lambda enabled: not enabled),
    _rule("selective", "selective", boolean),
    _rule("order", "insertion_order", integer()),
    _rule("caseSensitive", "case_sensitive", boolean),
    _rule("position", "position", choice(ST_POSITIONS), write=_number_of(ST_POSITIONS), note=KEPT_FOR_ROUND_TRIP),
    *(_rule(key, target, read, write=write, note=note) for key, _, target, read, write, note in _ST_FIELDS),
)

CARD_BOOK_RULES: Final[tuple[FieldRule, ...]] = (
    _rule("keys", "keywords", keyword_list),
    _rule("key", "keywords", keyword_list, written=False),
    _rule("secondary_keys", "secondary_keywords", keyword_list),
    _rule("keysecondary", "secondary_keywords", keyword_list, written=False),
    _rule("comment", "title", text),
    _rule("name", "title", text, written=False),
    _rule("content", "content", text),
    _rule("constant", "always_include", boolean),
    _rule("enabled", "enabled", boolean),
    _rule("selective", "selective", boolean),
    _rule("insertion_order", "insertion_order", integer()),
    _rule("priority", "priority", integer()),
    _rule("case_sensitive", "case_sensitive", boolean),
    _rule("extensions.case_sensitive", "case_sensitive", boolean, written=False),
    _rule(
        "extensions.position",
        "position",
        choice(ST_POSITIONS),
        write=_number_of(ST_POSITIONS),
        note=KEPT_FOR_ROUND_TRIP,
    ),
    _rule("position", "position", choice(CARD_POSITIONS), write=_card_position, note=KEPT_FOR_ROUND_TRIP),
    *(
        _rule(f"extensions.{key}", target, read, write=write, note=note)
        for _, key, target, read, write, note in _ST_FIELDS
    ),
)

AGNAI_RULES: Final[tuple[FieldRule, ...]] = (
    _rule("keywords", "keywords", keyword_list),
    _rule("name", "title", text),
    _rule("entry", "content", text),
    _rule("enabled", "enabled", boolean),
    _rule("priority", "priority", integer()),
    _rule("weight", "insertion_order", integer()),
)

RISUAI_RULES: Final[tuple[FieldRule, ...]] = (
    _rule("key", "keywords", comma_keywords),
    _rule("secondkey", "secondary_keywords", comma_keywords),
    _rule("comment", "title", text),
    _rule("content", "content", text),
    _rule("alwaysActive", "always_include", boolean),
    _rule("selective", "selective", boolean),
    _rule("insertorder", "insertion_order", integer()),
    _rule("activationPercent", "probability", integer(0, 100)),
    _rule("extentions.risu_case_sensitive", "case_sensitive", boolean),
)

NOVELAI_RULES: Final[tuple[FieldRule, ...]] = (
    _rule("keys", "keywords", keyword_list),
    _rule("displayName", "title", text),
    _rule("text", "content", text),
    _rule("enabled", "enabled", boolean),
    _rule("forceActivation", "always_include", boolean),
    _rule("contextConfig.budgetPriority", "priority", integer(), note="NovelAI's budget priority"),
)

KOBOLD_RULES: Final[tuple[FieldRule, ...]] = (
    _rule("key", "keywords", comma_keywords),
    _rule("keysecondary", "secondary_keywords", comma_keywords),
    _rule("comment", "title", text),
    _rule("content", "content", text),
    _rule("constant", "always_include", boolean),
    _rule("selective", "selective", boolean),
    _rule("probability", "probability", integer(0, 100)),
    _rule("widisabled", "enabled", _negated(boolean)),
)


@attrs.frozen
class EntryFormat:
    """How a format's entries are read: their rules, where the entry id is, the defaults the
    format assumes for a missing key (that differ from the engine's), and the key mode its
    keywords have."""

    rules: tuple[FieldRule, ...]
    id_key: str | None
    source_defaults: dict[str, Any]
    key_mode: KeyMode | None
    kept_notes: dict[str, str] = attrs.Factory(dict)
    decorators: frozenset[str] | None = None  # the decorators the source tool applies; None: all it can
    _positions: dict[tuple[str, ...], int] = attrs.field(init=False, repr=False)

    @_positions.default
    def _index_rules(self) -> dict[tuple[str, ...], int]:
        return {rule.path: position for position, rule in enumerate(self.rules)}

    def rules_for(self, target: str) -> Sequence[FieldRule]:
        return [rule for rule in self.rules if rule.target == target]

    def present_rules(self, raw: dict[str, Any]) -> list[FieldRule]:
        """The rules whose key `raw` has, in rule order (the order that settles which of two
        keys for one field wins). Looks at the keys the entry has, not at every rule: a card
        book entry is read by 36 rules and usually has a handful of them."""
        found: list[int] = []
        for key, value in raw.items():
            position = self._positions.get((key,))
            if position is not None:
                found.append(position)
            if isinstance(value, dict) and value:
                found.extend(self._positions[(key, sub)] for sub in value if (key, sub) in self._positions)
        return [self.rules[position] for position in sorted(found)]


ST_KEPT_NOTES: Final = {
    "uid": "the entry's id",
    "vectorized": "SillyTavern's vector-storage activation; not used, kept",
    "displayIndex": "SillyTavern's editor order; kept",
    "addMemo": "SillyTavern's editor flag; kept",
    "automationId": "SillyTavern's automation id; kept",
    "characterFilter": "SillyTavern's character filter; not applied (Dramaturg attaches lore per story), kept",
    "triggers": "SillyTavern's generation-type filter; not applied, kept",
    "matchPersonaDescription": "SillyTavern also scans the persona for this entry; Dramaturg scans its own inputs; kept",
    "matchCharacterDescription": "SillyTavern also scans the description; Dramaturg scans its own inputs; kept",
    "matchCharacterPersonality": "SillyTavern also scans the personality; Dramaturg scans its own inputs; kept",
    "matchCharacterDepthPrompt": "SillyTavern also scans the depth prompt; Dramaturg scans its own inputs; kept",
    "matchScenario": "SillyTavern also scans the scenario; Dramaturg scans its own inputs; kept",
    "matchCreatorNotes": "SillyTavern also scans the creator notes; Dramaturg scans its own inputs; kept",
}

ENTRY_FORMATS: Final[dict[BookFormat, EntryFormat]] = {
    BookFormat.WORLD_INFO: EntryFormat(
        WORLD_INFO_RULES, "uid", {}, KeyMode.SLASH_REGEX, ST_KEPT_NOTES, frozenset({"activate", "dont_activate"})
    ),
    BookFormat.CHARACTER_BOOK: EntryFormat(CARD_BOOK_RULES, "id", {"selective": False}, None),
    BookFormat.LOREBOOK_V3: EntryFormat(CARD_BOOK_RULES, "id", {"selective": False}, None),
    BookFormat.AGNAI: EntryFormat(AGNAI_RULES, None, {}, None),
    BookFormat.RISUAI: EntryFormat(
        RISUAI_RULES, "id", {"selective": False}, None, {"folder": "RisuAI's folder; kept", "mode": "kept"}
    ),
    BookFormat.NOVELAI: EntryFormat(NOVELAI_RULES, "id", {}, KeyMode.SLASH_REGEX),
    BookFormat.KOBOLD_LITE: EntryFormat(
        KOBOLD_RULES, None, {"selective": False}, None, {"wigroup": "Kobold Lite's group; kept", "folder": "kept"}
    ),
}
"""The card book's `selective` is false when missing (SillyTavern reads it so); World Info's is
true. SillyTavern applies only `@@activate` and `@@dont_activate` (and cuts every decorator line
off the inserted text), so a World Info entry's other decorators are kept without effect."""
