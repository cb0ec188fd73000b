"""Lorebook matching for prompts (PROTOCOL §12) and the rendering of the matches (§11.2).

Works over any entry record that has the attributes of `LoreEntry`. Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Generic, Protocol, TypeVar

import attrs

BASE_ENTRY_LIMIT: Final = 4
"""How many always-include entries a prompt gets; further ones are skipped."""

MATCHED_ENTRY_LIMIT: Final = 8
"""How many keyword-matched entries a prompt gets."""

RENDERED_CONTENT_LIMIT: Final = 800
"""Characters of an entry's content shown in a prompt before it is cut with `...`."""


class LoreEntry(Protocol):
    """What matching and rendering read from a lorebook entry."""

    @property
    def entry_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def content(self) -> str: ...

    @property
    def keywords(self) -> Sequence[str]: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def always_include(self) -> bool: ...


EntryT = TypeVar("EntryT", bound=LoreEntry)


@attrs.frozen
class LoreMatches(Generic[EntryT]):
    """The entries one prompt gets: `base` (always included) and `matched` (by keyword)."""

    base: list[EntryT]
    matched: list[EntryT]


def match_lore_entries(entries: Iterable[EntryT], match_inputs: Iterable[str]) -> LoreMatches[EntryT]:
    """Pick the entries for one prompt from a story's active entries, in their order.

    Disabled entries are skipped. The first 4 always-include entries are `base`; later
    always-include entries are dropped (never matched). Any other entry is `matched` when one
    of its trimmed, non-empty keywords, lower-cased, is a substring of the haystack: the
    non-blank `match_inputs`, lower-cased, joined by newlines. Only the first 8 match.
    """
    haystack = "\n".join(text.lower() for text in match_inputs if text.strip())
    base: list[EntryT] = []
    matched: list[EntryT] = []
    for entry in entries:
        if not entry.enabled:
            continue
        if entry.always_include:
            if len(base) < BASE_ENTRY_LIMIT:
                base.append(entry)
        elif len(matched) < MATCHED_ENTRY_LIMIT and _keyword_in(entry, haystack):
            matched.append(entry)
    return LoreMatches(base=base, matched=matched)


def _keyword_in(entry: LoreEntry, haystack: str) -> bool:
    return any(keyword.lower() in haystack for keyword in _clean_keywords(entry))


def _clean_keywords(entry: LoreEntry) -> list[str]:
    return [keyword.strip() for keyword in entry.keywords if keyword.strip()]


def render_lore_entries(entries: Sequence[LoreEntry]) -> str | None:
    """The `lorebook_base` / `lorebook_matched` context value: one `- ` line per entry,
    `entry_id | title | keywords=a, b | content`; None when there are no entries (the value is
    then left out of the prompt). Content is whitespace-collapsed and cut at 800 characters."""
    if not entries:
        return None
    return "\n".join(f"- {_render_entry(entry)}" for entry in entries)


def _render_entry(entry: LoreEntry) -> str:
    content = " ".join(entry.content.split())
    if len(content) > RENDERED_CONTENT_LIMIT:
        content = content[:RENDERED_CONTENT_LIMIT] + "..."
    keywords = ", ".join(_clean_keywords(entry))
    return f"{entry.entry_id} | {entry.title} | keywords={keywords} | {content}"
