"""Recursive scanning: activated content activates more entries (runtime/lore)."""

from __future__ import annotations

from runtime.model.lore import GroupDecision, TraceReason
from runtime.model.lorebooks import LorebookEntry
from tests.runtime.lore_kit import book, entry, ids, lore, run, traced


def chain() -> list[LorebookEntry]:
    """gate → tower → bell → crypt: each entry's content names the next one's keyword."""
    return [
        entry("gate", ["gate"], content="Beyond it stands the tower."),
        entry("tower", ["tower"], content="Its bell is cracked."),
        entry("bell", ["bell"], content="It rings over the crypt."),
        entry("crypt", ["crypt"], content="Nobody goes there."),
    ]


def test_without_recursive_scanning_content_activates_nothing() -> None:
    assert ids(run(book(*chain()), "the gate")) == ["gate"]


def test_recursive_scanning_follows_content_step_by_step() -> None:
    activation = run(book(*chain(), recursive_scanning=True), "the gate")
    assert ids(activation) == ["gate", "tower", "bell", "crypt"]
    assert activation.recursion_steps == 4  # the fourth scans the crypt's content and finds nothing
    assert [traced(activation, name).recursion_level for name in ("gate", "tower", "bell", "crypt")] == [0, 1, 2, 3]
    row = traced(activation, "tower")
    assert row.key is not None and row.key.excerpt.startswith("Beyond it stands the tower.")


def test_max_recursion_steps_stops_the_chain() -> None:
    activation = run(book(*chain(), recursive_scanning=True, max_recursion_steps=2), "the gate")
    assert ids(activation) == ["gate", "tower", "bell"]
    assert traced(activation, "crypt").reason is TraceReason.NO_KEYWORD_MATCH


def test_prevent_recursion_keeps_an_entrys_content_from_activating_others() -> None:
    entries = chain()
    entries[0] = entry("gate", ["gate"], content="Beyond it stands the tower.", prevent_recursion=True)
    assert ids(run(book(*entries, recursive_scanning=True), "the gate")) == ["gate"]


def test_exclude_recursion_keeps_an_entry_from_being_activated_by_content() -> None:
    entries = chain()
    entries[1] = entry("tower", ["tower"], content="Its bell is cracked.", exclude_recursion=True)
    lorebook = book(*entries, recursive_scanning=True)
    assert ids(run(lorebook, "the gate")) == ["gate"]
    assert ids(run(lorebook, "the gate and the tower")) == ["gate", "tower", "bell", "crypt"]


def test_prevent_and_exclude_together_isolate_an_entry() -> None:
    lorebook = book(
        entry("gate", ["gate"], content="The tower and the bell.", prevent_recursion=True, exclude_recursion=True),
        entry("tower", ["tower"], content="The gate again."),
        recursive_scanning=True,
    )
    assert ids(run(lorebook, "the tower")) == ["tower"]
    assert ids(run(lorebook, "the gate")) == ["gate"]


def test_delay_until_recursion_waits_for_its_step() -> None:
    lorebook = book(
        entry("gate", ["gate"], content="Beyond it stands the tower."),
        entry("tower", ["tower", "gate"], delay_until_recursion=1),
        recursive_scanning=True,
    )
    activation = run(lorebook, "the gate")
    assert ids(activation) == ["gate", "tower"] and traced(activation, "tower").recursion_level == 1


def test_delay_until_recursion_without_recursion_never_activates() -> None:
    lorebook = book(entry("tower", ["tower"], delay_until_recursion=1))
    activation = run(lorebook, "the tower")
    assert ids(activation) == [] and traced(activation, "tower").reason is TraceReason.DELAY_UNTIL_RECURSION


def test_delay_until_a_deeper_step_runs_the_steps_needed() -> None:
    lorebook = book(entry("tower", ["tower"], delay_until_recursion=3), recursive_scanning=True)
    activation = run(lorebook, "the tower")
    assert ids(activation) == ["tower"] and traced(activation, "tower").recursion_level == 3


def test_a_secondary_keyword_found_in_recursed_content_completes_the_match() -> None:
    lorebook = book(
        entry("gate", ["gate"], content="The moon rises."),
        entry("omen", ["tower"], secondary_keywords=["moon"]),
        recursive_scanning=True,
    )
    activation = run(lorebook, "the gate and the tower")
    assert ids(activation) == ["gate", "omen"] and traced(activation, "omen").recursion_level == 1


def test_a_group_filled_at_one_step_stays_filled_at_the_next() -> None:
    lorebook = book(
        entry("gate", ["gate"], content="The rain falls.", group="weather"),
        entry("rain", ["rain"], group="weather", group_override=True),
        recursive_scanning=True,
    )
    activation = run(lorebook, "the gate")
    assert ids(activation) == ["gate"]
    row = traced(activation, "rain")
    assert row.groups is not None and (row.groups[0].winner, row.groups[0].decided_by) == (
        "book/gate",
        GroupDecision.ALREADY_FILLED,
    )


def test_content_of_a_non_recursive_lorebook_does_not_recurse() -> None:
    flat = book(entry("gate", ["gate"], content="The tower."), lorebook_id="flat")
    deep = book(entry("tower", ["tower"]), lorebook_id="deep", recursive_scanning=True)
    assert ids(run(lore(flat, deep), "the gate")) == ["gate"]


def test_entries_cut_by_the_caps_do_not_recurse() -> None:
    lorebook = book(
        *(entry(f"m{i}", ["gate"]) for i in range(8)),
        entry("late", ["gate"], content="The tower."),
        entry("tower", ["tower"]),
        recursive_scanning=True,
    )
    assert "tower" not in ids(run(lorebook, "gate"))
