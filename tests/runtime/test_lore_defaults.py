"""Without settings the engine is PROTOCOL §12 exactly; the trace explains every entry
(runtime/lore)."""

from __future__ import annotations

import random

from runtime.lore import LoreMoment, LoreScan, activate, trace_activation
from runtime.model.lore import LoreEntryRef, LoreTimer, TraceBucket, TraceReason
from runtime.model.lorebooks import LorebookEntry
from tests.runtime.lore_kit import book, entry, ids, lore, run, traced

WORDS = ["gate", "Gate", "tide", "moon", "tower", "é", "Straße", "gate tower", "gate\ntower", " ", "", "ga"]


def section_12(entries: list[LorebookEntry], inputs: list[str]) -> tuple[list[str], list[str]]:
    """PROTOCOL §12 written out plainly, as the reference does it."""
    haystack = "\n".join(text.lower() for text in inputs if text.strip())
    base: list[str] = []
    matched: list[str] = []
    for one in entries:
        if not one.enabled:
            continue
        if one.always_include:
            if len(base) < 4:
                base.append(one.entry_id)
        elif len(matched) < 8 and any(k.strip().lower() in haystack for k in one.keywords if k.strip()):
            matched.append(one.entry_id)
    return base, matched


def test_entries_without_settings_activate_exactly_as_section_12_says() -> None:
    rng = random.Random(12)
    for case in range(300):
        entries = [
            LorebookEntry(
                f"e{index}",
                "T",
                "c",
                rng.sample(WORDS, rng.randint(0, 3)),
                rng.random() > 0.2,
                rng.random() < 0.25,
            )
            for index in range(rng.randint(0, 16))
        ]
        inputs = [" ".join(rng.sample(WORDS, 3)) for _ in range(rng.randint(0, 4))]
        matches = activate(lore(book(*entries)), LoreScan.of(inputs), LoreMoment()).matches()
        found = ([one.entry_id for one in matches.base], [one.entry_id for one in matches.matched])
        assert found == section_12(entries, inputs), (case, entries, inputs)


def test_the_trace_explains_every_entry_in_stored_order() -> None:
    lorebook = book(
        entry("world", always=True),
        entry("gate", ["gate"]),
        entry("moon", ["moon"]),
        entry("off", ["gate"], enabled=False),
    )
    activation = run(lorebook, "the gate", seed=7, turn=3)
    trace = trace_activation(activation)
    assert (trace.seed, trace.turn, trace.recursion_steps) == (7, 3, 0)
    assert trace.activated == [LoreEntryRef("book", "world"), LoreEntryRef("book", "gate")]
    rows = {row.entry_id: row for row in trace.entries}
    assert list(rows) == ["world", "gate", "moon", "off"]
    assert (rows["world"].activated, rows["world"].reason, rows["world"].bucket) == (
        True,
        TraceReason.CONSTANT,
        TraceBucket.BASE,
    )
    assert (rows["gate"].reason, rows["gate"].bucket) == (TraceReason.KEYWORD, TraceBucket.MATCHED)
    assert rows["gate"].key is not None and rows["gate"].key.excerpt == "the gate"
    assert (rows["moon"].activated, rows["moon"].reason, rows["moon"].key) == (
        False,
        TraceReason.NO_KEYWORD_MATCH,
        None,
    )
    assert (rows["off"].activated, rows["off"].reason) == (False, TraceReason.DISABLED)


def test_the_same_inputs_timers_and_seed_replay_the_same_activation() -> None:
    lorebook = book(
        *(entry(f"w{i}", ["weather"], group="sky", probability=60) for i in range(5)),
        entry("rumor", ["tavern"], probability=30),
    )
    first = trace_activation(run(lorebook, "weather at the tavern", seed=991))
    assert all(trace_activation(run(lorebook, "weather at the tavern", seed=991)) == first for _ in range(5))
    assert ids(run(lorebook, "weather at the tavern", seed=991)) == [ref.entry_id for ref in first.activated]


def test_an_entry_on_cooldown_without_a_keyword_is_traced_as_cooling_down() -> None:
    row = traced(
        run(book(entry("gate", ["gate"])), turn=2, timers=[LoreTimer("book", "gate", cooldown_until=2)]), "gate"
    )
    assert row.reason is TraceReason.COOLDOWN
