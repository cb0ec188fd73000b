"""Lorebooks and their entries (PROTOCOL §6.9). Entries keep their insertion order."""

from __future__ import annotations

import attrs


@attrs.frozen
class LorebookEntry:
    """An entry as stored, as embedded in a lorebook, and as the flat `lorebook_entry` payload."""

    entry_id: str
    title: str
    content: str
    keywords: list[str]
    enabled: bool
    always_include: bool


@attrs.frozen
class Lorebook:
    """A stored lorebook; also its payload and its data-package record."""

    lorebook_id: str
    display_name: str
    entries: list[LorebookEntry]


@attrs.frozen
class LorebookCreateParams:
    """`entries` items are full entries: all six fields required, no defaults."""

    lorebook_id: str
    display_name: str
    entries: list[LorebookEntry] = attrs.Factory(list)


@attrs.frozen
class LorebookIdParams:
    lorebook_id: str


@attrs.frozen
class LorebookUpdateParams:
    lorebook_id: str
    display_name: str | None = None


@attrs.frozen
class LorebooksListed:
    lorebooks: list[Lorebook]


@attrs.frozen
class LorebookDeleted:
    lorebook_id: str


@attrs.frozen
class LorebookEntryCreateParams:
    lorebook_id: str
    entry_id: str
    title: str
    content: str
    keywords: list[str] = attrs.Factory(list)
    enabled: bool = True
    always_include: bool = False


@attrs.frozen
class LorebookEntryIdParams:
    lorebook_id: str
    entry_id: str


@attrs.frozen
class LorebookEntryUpdateParams:
    lorebook_id: str
    entry_id: str
    title: str | None = None
    content: str | None = None
    keywords: list[str] | None = None
    enabled: bool | None = None
    always_include: bool | None = None


@attrs.frozen
class LorebookEntriesListed:
    lorebook_id: str
    entries: list[LorebookEntry]


@attrs.frozen
class LorebookEntryDeleted:
    lorebook_id: str
    entry_id: str
