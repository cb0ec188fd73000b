"""What the lore did in one turn: the entries that fired in any of its prompts, and the timed
effects (sticky, cooldown) the session carries into its next turn. Pure."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from runtime.lore._compile import StoryLore
from runtime.lore._moment import ActivationLog, LoreMoment
from runtime.model.lore import LoreTimer, TraceReason


@attrs.frozen
class FiredEntry:
    """An entry that one or more prompts of the turn got: how it activated (`constant`,
    `keyword` or `sticky`), at the lowest recursion level it did, in how many prompts."""

    lorebook_id: str
    entry_id: str
    reason: TraceReason
    recursion_level: int
    prompts: int


@attrs.frozen
class TurnLore:
    """The turn's seed (replaying the turn's prompts with it gives the same activations), the
    timed effects it started from, and the entries that fired, in the order they first did."""

    seed: int
    turn: int
    timers_before: list[LoreTimer]
    fired: list[FiredEntry]


def summarize_turn(log: ActivationLog, moment: LoreMoment) -> TurnLore:
    """The lore of a turn whose prompts were logged in `log` at `moment`."""
    fired: dict[tuple[str, str], FiredEntry] = {}
    for activation in log.activations:
        for ref in (*activation.base, *activation.matched):
            book, decision = activation.lore.books[ref[0]], activation.decisions[ref]
            key = (book.lorebook_id, book.entries[ref[1]].entry_id)
            before = fired.get(key)
            if before is None:
                fired[key] = FiredEntry(*key, decision.reason, decision.level, 1)
            else:
                level = min(before.recursion_level, decision.level)
                fired[key] = attrs.evolve(before, recursion_level=level, prompts=before.prompts + 1)
    return TurnLore(moment.seed, moment.turn, list(moment.timers.values()), list(fired.values()))


def advance_timers(lore: StoryLore, moment: LoreMoment, fired: Sequence[FiredEntry]) -> list[LoreTimer] | None:
    """The timed effects after the turn of `moment`: the ones still running next turn, and new
    ones for the entries with `sticky` or `cooldown` that fired by themselves (not by staying
    sticky). An entry that fired in turn T stays active through turn T + sticky, then cannot
    fire through turn T + sticky + cooldown. None when there are none (the snapshot then has no
    `lore_timers`). Timers of entries no longer in the lore are dropped."""
    next_turn = moment.turn + 1
    timers = {
        key: timer for key, timer in moment.timers.items() if lore.find(*key) is not None and _runs_at(timer, next_turn)
    }
    for entry in fired:
        compiled = lore.find(entry.lorebook_id, entry.entry_id)
        if entry.reason is TraceReason.STICKY or compiled is None or not (compiled.sticky or compiled.cooldown):
            continue
        sticky_until = moment.turn + compiled.sticky
        timers[(entry.lorebook_id, entry.entry_id)] = LoreTimer(
            entry.lorebook_id,
            entry.entry_id,
            sticky_until=sticky_until if compiled.sticky else None,
            cooldown_until=sticky_until + compiled.cooldown if compiled.cooldown else None,
        )
    return [timers[key] for key in sorted(timers)] or None


def _runs_at(timer: LoreTimer, turn: int) -> bool:
    return any(until is not None and until >= turn for until in (timer.sticky_until, timer.cooldown_until))
