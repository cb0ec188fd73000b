"""Small lorebooks and one-call activations for the lore engine's tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runtime.lore import Activation, LoreMoment, LoreScan, StoryLore, activate, compile_lorebook, trace_activation
from runtime.model.lore import LoreTimer, LoreTraceEntry
from runtime.model.lorebooks import EntryActivation, Lorebook, LorebookEntry, LorebookSettings


def entry(
    entry_id: str,
    keywords: Sequence[str] = (),
    *,
    always: bool = False,
    enabled: bool = True,
    content: str | None = None,
    **activation: Any,
) -> LorebookEntry:
    """An entry titled after its id; keyword arguments beyond the six fields are its activation."""
    return LorebookEntry(
        entry_id,
        entry_id.title(),
        f"About {entry_id}." if content is None else content,
        list(keywords),
        enabled,
        always,
        EntryActivation(**activation) if activation else None,
    )


def book(*entries: LorebookEntry, lorebook_id: str = "book", **settings: Any) -> Lorebook:
    return Lorebook(lorebook_id, lorebook_id.title(), list(entries), LorebookSettings(**settings) if settings else None)


def lore(*books: Lorebook) -> StoryLore:
    return StoryLore(tuple(compile_lorebook(one) for one in books))


def run(
    story: StoryLore | Lorebook,
    *texts: str,
    history: Sequence[str] = (),
    turn: int = 1,
    seed: int = 0,
    timers: Sequence[LoreTimer] = (),
) -> Activation:
    """Activate `story` (or one lorebook) over `texts` (always scanned) after `history`."""
    compiled = lore(story) if isinstance(story, Lorebook) else story
    scan = LoreScan(history=tuple(history), trailing=texts)
    return activate(compiled, scan, LoreMoment(turn, seed, list(timers)))


def ids(activation: Activation) -> list[str]:
    """The activated entries' ids in prompt order: base, then matched."""
    matches = activation.matches()
    return [one.entry_id for one in (*matches.base, *matches.matched)]


def traced(activation: Activation, entry_id: str) -> LoreTraceEntry:
    """The trace row of one entry."""
    return next(row for row in trace_activation(activation).entries if row.entry_id == entry_id)
