"""When an activation happens: the turn, the seed, the timed effects it reads, and the log
that keeps every activation of one turn (or of one preview) for what comes after it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from runtime.model.lore import LoreTimer
from runtime.model.state import RuntimeSnapshot

if TYPE_CHECKING:
    from runtime.lore._activate import Activation

TimerKey = tuple[str, str]
"""(lorebook id, entry id)."""


@attrs.define
class ActivationLog:
    """The activations of one turn or one preview, in the order they happened. Owned by the
    turn (or preview) that made it; never shared."""

    activations: list[Activation] = attrs.Factory(list)

    def record(self, activation: Activation) -> None:
        self.activations.append(activation)


def _timers_by_entry(timers: Mapping[TimerKey, LoreTimer] | list[LoreTimer] | None) -> dict[TimerKey, LoreTimer]:
    if timers is None:
        return {}
    if isinstance(timers, Mapping):
        return dict(timers)
    return {(timer.lorebook_id, timer.entry_id): timer for timer in timers}


@attrs.frozen
class LoreMoment:
    """The turn an activation belongs to (a session's first turn is 1), the seed of its random
    draws, the timed effects it starts from, and where it is logged (if anywhere)."""

    turn: int = 1
    seed: int = 0
    timers: dict[TimerKey, LoreTimer] = attrs.field(factory=dict, converter=_timers_by_entry)
    log: ActivationLog | None = attrs.field(default=None, eq=False)

    @classmethod
    def of_next_turn(cls, snapshot: RuntimeSnapshot, seed: int, log: ActivationLog | None = None) -> LoreMoment:
        """The moment of the turn after `snapshot` (the one a turn, a preview or a dry run is about)."""
        return cls(snapshot.turn_index + 1, seed, snapshot.lore_timers, log)

    def sticky(self, key: TimerKey) -> bool:
        timer = self.timers.get(key)
        return timer is not None and timer.sticky_until is not None and timer.sticky_until >= self.turn

    def cooling_down(self, key: TimerKey) -> bool:
        timer = self.timers.get(key)
        return timer is not None and timer.cooldown_until is not None and timer.cooldown_until >= self.turn
