"""Lorebooks and their entries (PROTOCOL §6.9). Entries keep their insertion order.

Dramaturg adds two optional objects the reference does not have: an entry's `activation`
settings and a lorebook's `settings` (README, "Lorebook activation"). Every field of both is
optional and omitted from the output when unset; unset fields reproduce PROTOCOL §12 exactly,
so a lorebook without them behaves, and travels, as before.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from runtime.model._fields import omittable


class SecondaryLogic(enum.Enum):
    """How an entry's secondary keywords combine with a primary match (SillyTavern `selectiveLogic`)."""

    AND_ANY = "and_any"  # at least one secondary keyword is present
    NOT_ALL = "not_all"  # at least one secondary keyword is absent
    NOT_ANY = "not_any"  # no secondary keyword is present
    AND_ALL = "and_all"  # every secondary keyword is present


class KeyMode(enum.Enum):
    """How an entry's keywords (primary and secondary) are read."""

    LITERAL = "literal"  # plain text, as in PROTOCOL §12
    SLASH_REGEX = "slash_regex"  # a keyword written `/pattern/flags` is a regex, others are text (SillyTavern)
    REGEX = "regex"  # every keyword is a regex; `/pattern/flags` still gives its flags (CCv3 `use_regex`)


class LorePosition(enum.Enum):
    """Where the source format placed an entry. Kept for round trip: Dramaturg's prompts place
    lore through the preset's `lorebook_base` / `lorebook_matched` context entries."""

    BEFORE_CHARACTER = "before_character"
    AFTER_CHARACTER = "after_character"
    AUTHOR_NOTE_TOP = "author_note_top"
    AUTHOR_NOTE_BOTTOM = "author_note_bottom"
    AT_DEPTH = "at_depth"
    EXAMPLES_TOP = "examples_top"
    EXAMPLES_BOTTOM = "examples_bottom"
    OUTLET = "outlet"


class LoreRole(enum.Enum):
    """The message role of an `at_depth` entry in the source format. Kept for round trip."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@attrs.frozen(kw_only=True)
class EntryActivation:
    """An entry's activation settings. None everywhere means "as PROTOCOL §12": the field's
    default, or the lorebook's setting where the lorebook has one."""

    secondary_keywords: list[str] | None = omittable()
    secondary_logic: SecondaryLogic | None = omittable()  # default and_any
    selective: bool | None = omittable()  # default true: secondary keywords apply when there are any
    key_mode: KeyMode | None = omittable()  # default literal
    case_sensitive: bool | None = omittable()  # default: the lorebook's, else false
    match_whole_words: bool | None = omittable()  # default: the lorebook's, else false
    insertion_order: int | None = omittable()  # default 100; lower is placed earlier
    priority: int | None = omittable()  # default 0; higher is kept first when the budget is short
    probability: int | None = omittable()  # percent, 0..100, default 100
    use_probability: bool | None = omittable()  # default true; false ignores `probability`
    group: str | None = omittable()  # inclusion groups, comma-separated
    group_override: bool | None = omittable()
    group_weight: int | None = omittable()  # default 100, at least 1
    use_group_scoring: bool | None = omittable()  # default: the lorebook's, else false
    exclude_recursion: bool | None = omittable()  # recursion cannot activate it
    prevent_recursion: bool | None = omittable()  # its content activates nothing
    delay_until_recursion: int | None = omittable()  # 0: off; n: only from recursion step n on
    scan_depth: int | None = omittable()  # default: the lorebook's
    sticky: int | None = omittable()  # turns it stays active after it fired
    cooldown: int | None = omittable()  # turns it cannot fire after it was active
    delay: int | None = omittable()  # turns that must have been played before it can fire
    ignore_budget: bool | None = omittable()
    position: LorePosition | None = omittable()
    depth: int | None = omittable()
    role: LoreRole | None = omittable()
    outlet_name: str | None = omittable()
    extensions: dict[str, Any] | None = omittable()  # fields of other formats, kept, not interpreted


@attrs.frozen(kw_only=True)
class LorebookSettings:
    """A lorebook's settings; they apply to its own entries."""

    scan_depth: int | None = omittable()  # history texts scanned; default: all of PROTOCOL §12
    token_budget: int | None = omittable()  # default: none, and the §12 caps (4 + 8) apply instead
    recursive_scanning: bool | None = omittable()  # default false
    max_recursion_steps: int | None = omittable()  # default: until nothing new activates
    case_sensitive: bool | None = omittable()
    match_whole_words: bool | None = omittable()
    use_group_scoring: bool | None = omittable()
    extensions: dict[str, Any] | None = omittable()  # fields of other formats, kept, not interpreted


@attrs.frozen
class LorebookEntry:
    """An entry as stored, as embedded in a lorebook, and as the flat `lorebook_entry` payload."""

    entry_id: str
    title: str
    content: str
    keywords: list[str]
    enabled: bool
    always_include: bool
    activation: EntryActivation | None = omittable()


@attrs.frozen
class Lorebook:
    """A stored lorebook; also its payload and its data-package record."""

    lorebook_id: str
    display_name: str
    entries: list[LorebookEntry]
    settings: LorebookSettings | None = omittable()


@attrs.frozen
class SavedLorebook(Lorebook):
    """The `lorebook` payload of a create or update: the lorebook, plus the problems found in
    it that do not stop the save (an invalid regex keyword never matches), when there are any."""

    warnings: list[str] | None = omittable()


@attrs.frozen
class SavedLorebookEntry(LorebookEntry):
    """The `lorebook_entry` payload of a create or update, with its save-time warnings."""

    warnings: list[str] | None = omittable()


@attrs.frozen
class LorebookCreateParams:
    """`entries` items are full entries: all six fields required, no defaults."""

    lorebook_id: str
    """The new lorebook's id, chosen by the client."""
    display_name: str
    """The name shown to people."""
    entries: list[LorebookEntry] = attrs.Factory(list)
    """The lorebook's entries, in insertion order."""
    settings: LorebookSettings | None = None
    """Activation settings for the whole lorebook (scan depth, token budget, recursion …); omitted: PROTOCOL §12's plain matching."""


@attrs.frozen
class LorebookIdParams:
    lorebook_id: str
    """The lorebook's id."""


@attrs.frozen
class LorebookUpdateParams:
    """`settings` replaces the lorebook's settings; `{}` removes them; omitted keeps them."""

    lorebook_id: str
    """The lorebook's id."""
    display_name: str | None = None
    """A new name; omitted keeps the stored one."""
    settings: LorebookSettings | None = None
    """New activation settings; `{}` removes them, omitted keeps them."""


@attrs.frozen
class LorebooksListed:
    lorebooks: list[Lorebook]


@attrs.frozen
class LorebookDeleted:
    lorebook_id: str


@attrs.frozen
class LorebookEntryCreateParams:
    lorebook_id: str
    """The lorebook's id."""
    entry_id: str
    """The new entry's id, unique in its lorebook."""
    title: str
    """The entry's title."""
    content: str
    """The text a prompt gets when the entry is activated."""
    keywords: list[str] = attrs.Factory(list)
    """Words whose presence in the scanned text activates the entry."""
    enabled: bool = True
    """Whether the entry can be activated at all."""
    always_include: bool = False
    """Whether the entry goes into every prompt, keywords or not."""
    activation: EntryActivation | None = None
    """Finer activation rules (secondary keywords, probability, groups, timers …); omitted: plain keyword matching."""


@attrs.frozen
class LorebookEntryIdParams:
    lorebook_id: str
    """The lorebook's id."""
    entry_id: str
    """The entry's id within its lorebook."""


@attrs.frozen
class LorebookEntryUpdateParams:
    """`activation` replaces the entry's settings; `{}` removes them; omitted keeps them."""

    lorebook_id: str
    """The lorebook's id."""
    entry_id: str
    """The entry's id within its lorebook."""
    title: str | None = None
    """A new title; omitted keeps the stored one."""
    content: str | None = None
    """New content; omitted keeps the stored one."""
    keywords: list[str] | None = None
    """New keywords, replacing the stored ones; omitted keeps them."""
    enabled: bool | None = None
    """Whether the entry can be activated; omitted keeps the stored value."""
    always_include: bool | None = None
    """Whether the entry goes into every prompt; omitted keeps the stored value."""
    activation: EntryActivation | None = None
    """New activation rules; `{}` removes them, omitted keeps them."""


@attrs.frozen
class LorebookEntriesListed:
    lorebook_id: str
    entries: list[LorebookEntry]


@attrs.frozen
class LorebookEntryDeleted:
    lorebook_id: str
    entry_id: str
