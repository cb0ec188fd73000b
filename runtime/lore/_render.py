"""How activated entries appear in a prompt (PROTOCOL §11.2), and what that costs in tokens."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, Protocol

RENDERED_CONTENT_LIMIT: Final = 800
"""Characters of an entry's content shown in a prompt before it is cut with `...`."""

CHARACTERS_PER_TOKEN: Final = 4
"""The token estimate of a budget: one token per 4 characters of the rendered line, rounded up.
A tokenizer would tie the budget to one model family; this is exact enough for a budget and
the same on every server."""


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


def clean_keywords(keywords: Sequence[str]) -> list[str]:
    """The keywords trimmed, blank ones dropped."""
    return [keyword.strip() for keyword in keywords if keyword.strip()]


def render_lore_entries(entries: Sequence[LoreEntry]) -> str | None:
    """The `lorebook_base` / `lorebook_matched` context value: one `- ` line per entry,
    `entry_id | title | keywords=a, b | content`; None when there are no entries (the value is
    then left out of the prompt). Content is whitespace-collapsed and cut at 800 characters."""
    if not entries:
        return None
    return "\n".join(f"- {render_lore_entry(entry)}" for entry in entries)


def render_lore_entry(entry: LoreEntry) -> str:
    """One entry's line without its `- ` bullet."""
    content = " ".join(entry.content.split())
    if len(content) > RENDERED_CONTENT_LIMIT:
        content = content[:RENDERED_CONTENT_LIMIT] + "..."
    keywords = ", ".join(clean_keywords(entry.keywords))
    return f"{entry.entry_id} | {entry.title} | keywords={keywords} | {content}"


def estimate_tokens(entry: LoreEntry) -> int:
    """The entry's cost against a token budget: its rendered line, bullet included."""
    return math.ceil((len(render_lore_entry(entry)) + 2) / CHARACTERS_PER_TOKEN)
