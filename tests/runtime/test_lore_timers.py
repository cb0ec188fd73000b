"""Timed effects counted in turns (sticky, cooldown, delay) and what a turn's activations leave
behind (runtime/lore)."""

from __future__ import annotations

from collections.abc import Sequence

from runtime.lore import ActivationLog, LoreMoment, LoreScan, StoryLore, activate, advance_timers, summarize_turn
from runtime.model.lore import LoreTimer, TraceReason
from runtime.model.lorebooks import LorebookEntry
from tests.runtime.lore_kit import book, entry, ids, lore, run, traced


def play(story: StoryLore, turns: Sequence[str]) -> list[list[str]]:
    """Activate one prompt per turn, carrying the timers from turn to turn as a session does."""
    timers: list[LoreTimer] | None = None
    activated = []
    for number, text in enumerate(turns, start=1):
        log = ActivationLog()
        moment = LoreMoment(number, 0, timers, log)
        log.record(activate(story, LoreScan(trailing=(text,)), moment))
        activated.append(ids(log.activations[-1]))
        timers = advance_timers(story, moment, summarize_turn(log, moment).fired)
    return activated


def one(*entries: LorebookEntry) -> StoryLore:
    return lore(book(*entries))


def test_a_sticky_entry_stays_active_for_its_turns_without_a_keyword() -> None:
    story = one(entry("gate", ["gate"], sticky=2))
    assert play(story, ["the gate", "nothing", "nothing", "nothing", "gate"]) == [
        ["gate"],
        ["gate"],
        ["gate"],
        [],
        ["gate"],
    ]


def test_cooldown_blocks_an_entry_after_it_fired() -> None:
    story = one(entry("gate", ["gate"], cooldown=2))
    assert play(story, ["gate"] * 5) == [["gate"], [], [], ["gate"], []]


def test_cooldown_starts_when_sticky_ends() -> None:
    story = one(entry("gate", ["gate"], sticky=1, cooldown=1))
    assert play(story, ["gate"] * 5) == [["gate"], ["gate"], [], ["gate"], ["gate"]]


def test_delay_needs_that_many_turns_played_first() -> None:
    story = one(entry("gate", ["gate"], delay=2))
    assert play(story, ["gate"] * 3) == [[], [], ["gate"]]
    assert traced(run(book(entry("gate", ["gate"], delay=2)), "gate", turn=2), "gate").reason is TraceReason.DELAY


def test_a_sticky_entry_skips_its_probability_roll() -> None:
    timers = [LoreTimer("book", "rumor", sticky_until=3)]
    lorebook = book(entry("rumor", ["tavern"], probability=0, sticky=2))
    assert ids(run(lorebook, "nothing", turn=2, timers=timers)) == ["rumor"]
    assert traced(run(lorebook, turn=2, timers=timers), "rumor").reason is TraceReason.STICKY


def test_sticky_keeps_an_entry_whose_keyword_is_gone_even_past_the_scan_depth() -> None:
    timers = [LoreTimer("book", "gate", sticky_until=2)]
    assert ids(run(book(entry("gate", ["gate"], sticky=1), scan_depth=0), turn=2, timers=timers)) == ["gate"]


def test_a_disabled_sticky_entry_is_not_active() -> None:
    timers = [LoreTimer("book", "gate", sticky_until=5)]
    activation = run(book(entry("gate", ["gate"], enabled=False)), turn=2, timers=timers)
    assert ids(activation) == [] and traced(activation, "gate").reason is TraceReason.DISABLED


def test_a_cooling_entry_is_traced_as_cooling_down_with_its_timer() -> None:
    timers = [LoreTimer("book", "gate", cooldown_until=4)]
    row = traced(run(book(entry("gate", ["gate"], cooldown=3)), "gate", turn=3, timers=timers), "gate")
    assert row.reason is TraceReason.COOLDOWN and row.timers is not None and row.timers.cooldown_until == 4


def test_timers_that_ran_out_or_whose_entry_is_gone_are_dropped() -> None:
    story = one(entry("gate", ["gate"], sticky=1))
    moment = LoreMoment(
        5,
        0,
        [
            LoreTimer("book", "gate", sticky_until=5),
            LoreTimer("book", "ghost", sticky_until=9),
            LoreTimer("other", "gate", cooldown_until=9),
        ],
    )
    assert advance_timers(story, moment, []) is None


def test_entries_without_timed_settings_leave_no_timer() -> None:
    story = one(entry("gate", ["gate"]))
    log = ActivationLog()
    moment = LoreMoment(1, 0, None, log)
    log.record(activate(story, LoreScan.of(["gate"]), moment))
    assert advance_timers(story, moment, summarize_turn(log, moment).fired) is None


def test_a_turn_summary_merges_the_prompts_of_the_turn() -> None:
    story = lore(
        book(entry("gate", ["gate"]), entry("world", always=True)),
        book(entry("moon", ["moon"]), lorebook_id="sky"),
    )
    log = ActivationLog()
    moment = LoreMoment(3, 42, [LoreTimer("sky", "moon", cooldown_until=1)], log)
    for text in ("the gate", "the gate and the moon"):
        log.record(activate(story, LoreScan.of([text]), moment))
    summary = summarize_turn(log, moment)
    assert (summary.seed, summary.turn, summary.timers_before) == (42, 3, [LoreTimer("sky", "moon", cooldown_until=1)])
    assert [(f.lorebook_id, f.entry_id, f.reason, f.prompts) for f in summary.fired] == [
        ("book", "world", TraceReason.CONSTANT, 2),
        ("book", "gate", TraceReason.KEYWORD, 2),
        ("sky", "moon", TraceReason.KEYWORD, 1),
    ]
