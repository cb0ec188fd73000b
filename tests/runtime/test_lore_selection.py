"""Which activated entries a prompt keeps, and in what order: insertion order, probability,
inclusion groups, token budgets and the §12 caps, scan depth (runtime/lore)."""

from __future__ import annotations

from runtime.lore import estimate_tokens, probability_roll
from runtime.model.lore import GroupDecision, TraceReason
from tests.runtime.lore_kit import book, entry, ids, lore, run, traced

# -- insertion order ---------------------------------------------------------------------


def test_entries_come_out_by_insertion_order_then_stored_order() -> None:
    lorebook = book(
        entry("late", ["gate"], insertion_order=300),
        entry("plain-a", ["gate"]),
        entry("early", ["gate"], insertion_order=-5),
        entry("plain-b", ["gate"]),
    )
    assert ids(run(lorebook, "gate")) == ["early", "plain-a", "plain-b", "late"]


def test_insertion_order_sorts_across_lorebooks() -> None:
    first = book(entry("a", ["gate"]), lorebook_id="first")
    second = book(entry("b", ["gate"], insertion_order=1), lorebook_id="second")
    assert ids(run(lore(first, second), "gate")) == ["b", "a"]


def test_always_include_entries_are_base_in_insertion_order() -> None:
    lorebook = book(entry("world", always=True, insertion_order=50), entry("first", always=True, insertion_order=10))
    matches = run(lorebook).matches()
    assert [one.entry_id for one in matches.base] == ["first", "world"] and matches.matched == []


# -- probability -------------------------------------------------------------------------


def _seed_where(passes: bool, chance: int, entry_id: str) -> int:
    return next(seed for seed in range(1000) if (probability_roll(seed, "book", entry_id) < chance) is passes)


def test_probability_rolls_from_the_seed_and_replays_with_it() -> None:
    lorebook = book(entry("rumor", ["tavern"], probability=50))
    lucky, unlucky = _seed_where(True, 50, "rumor"), _seed_where(False, 50, "rumor")
    assert ids(run(lorebook, "tavern", seed=lucky)) == ["rumor"]
    assert ids(run(lorebook, "tavern", seed=unlucky)) == []
    assert [ids(run(lorebook, "tavern", seed=lucky)) for _ in range(3)] == [["rumor"]] * 3


def test_a_failed_roll_is_traced_with_the_roll() -> None:
    seed = _seed_where(False, 50, "rumor")
    row = traced(run(book(entry("rumor", ["tavern"], probability=50)), "tavern", seed=seed), "rumor")
    assert row.reason is TraceReason.PROBABILITY and row.probability is not None
    assert (row.probability.chance, row.probability.passed) == (50, False)
    assert row.probability.roll == round(probability_roll(seed, "book", "rumor"), 4)


def test_probability_zero_never_and_hundred_always() -> None:
    lorebook = book(entry("never", ["gate"], probability=0), entry("always", ["gate"], probability=100))
    assert all(ids(run(lorebook, "gate", seed=seed)) == ["always"] for seed in range(20))


def test_use_probability_false_ignores_the_probability() -> None:
    lorebook = book(entry("gate", ["gate"], probability=0, use_probability=False))
    assert ids(run(lorebook, "gate")) == ["gate"]


def test_probability_applies_to_always_include_entries_too() -> None:
    assert ids(run(book(entry("world", always=True, probability=0)))) == []


# -- inclusion groups --------------------------------------------------------------------


def test_an_inclusion_group_keeps_one_entry() -> None:
    lorebook = book(
        *(entry(name, ["weather"], group="sky") for name in ("sun", "rain", "storm")), entry("free", ["weather"])
    )
    for seed in range(10):
        activated = ids(run(lorebook, "weather", seed=seed))
        assert len(activated) == 2 and "free" in activated


def test_group_weight_biases_the_draw() -> None:
    lorebook = book(
        entry("rare", ["weather"], group="sky", group_weight=1),
        entry("common", ["weather"], group="sky", group_weight=1_000_000),
    )
    assert {tuple(ids(run(lorebook, "weather", seed=seed))) for seed in range(30)} == {("common",)}


def test_the_draw_is_fixed_by_the_seed() -> None:
    lorebook = book(entry("sun", ["weather"], group="sky"), entry("rain", ["weather"], group="sky"))
    winners = {seed: ids(run(lorebook, "weather", seed=seed)) for seed in range(20)}
    assert {tuple(winner) for winner in winners.values()} == {("sun",), ("rain",)}
    assert all(ids(run(lorebook, "weather", seed=seed)) == winner for seed, winner in winners.items())


def test_group_override_beats_any_weight() -> None:
    lorebook = book(
        entry("heavy", ["weather"], group="sky", group_weight=1_000_000),
        entry("chosen", ["weather"], group="sky", group_weight=1, group_override=True),
    )
    assert {tuple(ids(run(lorebook, "weather", seed=seed))) for seed in range(20)} == {("chosen",)}
    row = traced(run(lorebook, "weather"), "heavy")
    assert row.reason is TraceReason.GROUP and row.groups is not None
    assert (row.groups[0].group, row.groups[0].winner, row.groups[0].decided_by) == (
        "sky",
        "book/chosen",
        GroupDecision.OVERRIDE,
    )


def test_among_overrides_the_highest_priority_then_order_wins() -> None:
    lorebook = book(
        entry("low", ["weather"], group="sky", group_override=True, insertion_order=900),
        entry("high", ["weather"], group="sky", group_override=True, priority=5),
        entry("later", ["weather"], group="sky", group_override=True, priority=5, insertion_order=200),
    )
    assert ids(run(lorebook, "weather")) == ["later"]


def test_group_scoring_keeps_the_entry_that_matches_more_keywords() -> None:
    lorebook = book(
        entry("vague", ["storm"], group="sky", group_weight=1_000_000),
        entry("precise", ["storm", "thunder"], group="sky", group_weight=1),
        use_group_scoring=True,
    )
    assert {tuple(ids(run(lorebook, "storm and thunder", seed=seed))) for seed in range(10)} == {("precise",)}
    row = traced(run(lorebook, "storm and thunder"), "vague")
    assert row.groups is not None and (row.groups[0].decided_by, row.groups[0].score) == (GroupDecision.SCORE, 1)


def test_an_entry_in_two_groups_must_win_both() -> None:
    lorebook = book(
        entry("both", ["bell"], group="a, b"),
        entry("a-wins", ["bell"], group="a", group_override=True),
    )
    assert ids(run(lorebook, "bell")) == ["a-wins"]


def test_a_group_loser_is_not_taken_even_with_room_to_spare() -> None:
    lorebook = book(
        entry("sun", ["weather"], group="sky", group_override=True), entry("rain", ["weather"], group="sky")
    )
    assert ids(run(lorebook, "weather")) == ["sun"]


# -- caps and budgets --------------------------------------------------------------------


def test_without_a_budget_the_section_12_caps_apply_to_entries_with_settings() -> None:
    lorebook = book(
        *(entry(f"c{i}", always=True, priority=0) for i in range(6)),
        *(entry(f"m{i}", ["gate"], priority=0) for i in range(10)),
    )
    activation = run(lorebook, "gate")
    assert ids(activation) == [f"c{i}" for i in range(4)] + [f"m{i}" for i in range(8)]
    assert traced(activation, "m9").reason is TraceReason.CAP and traced(activation, "c5").reason is TraceReason.CAP


def test_entries_beyond_full_caps_are_cut_unchecked_and_traced_with_their_keyword() -> None:
    lorebook = book(*(entry(f"m{i}", ["gate"]) for i in range(8)), entry("late", ["gate", "tower"], probability=0))
    row = traced(run(lorebook, "the tower and the gate"), "late")
    assert (row.reason, row.probability) == (TraceReason.CAP, None)
    assert row.key is not None and (row.key.keyword, row.key.excerpt) == ("gate", "the tower and the gate")


def test_the_caps_keep_higher_priority_then_higher_insertion_order_first() -> None:
    lorebook = book(
        *(entry(f"m{i}", ["gate"]) for i in range(8)),
        entry("vip", ["gate"], priority=1),
        entry("weighty", ["gate"], insertion_order=101),
    )
    assert ids(run(lorebook, "gate")) == [*(f"m{i}" for i in range(6)), "vip", "weighty"]


def test_a_token_budget_replaces_the_caps() -> None:
    lorebook = book(*(entry(f"m{i}", ["gate"]) for i in range(12)), token_budget=10_000)
    assert len(ids(run(lorebook, "gate"))) == 12


def test_the_budget_takes_always_include_entries_first_then_priority_then_order() -> None:
    entries = [
        entry("low", ["gate"], insertion_order=1),
        entry("top", ["gate"], insertion_order=500),
        entry("all", ["gate"], always=True),
        entry("vip", ["gate"], priority=3),
    ]
    cost = estimate_tokens(entries[0])
    assert all(estimate_tokens(one) == cost for one in entries)
    activation = run(book(*entries, token_budget=3 * cost), "gate")
    assert ids(activation) == ["all", "vip", "top"]
    row = traced(activation, "low")
    assert row.reason is TraceReason.BUDGET and row.budget is not None
    assert (row.budget.tokens, row.budget.used, row.budget.limit) == (cost, 3 * cost, 3 * cost)


def test_an_entry_too_big_for_the_rest_of_the_budget_lets_smaller_ones_through() -> None:
    big, small = entry("big", ["gate"], content="x" * 400), entry("small", ["gate"], insertion_order=-1)
    budget = estimate_tokens(small) + 5
    assert ids(run(book(big, small, token_budget=budget), "gate")) == ["small"]


def test_ignore_budget_entries_always_fit() -> None:
    lorebook = book(
        entry("huge", ["gate"], content="x" * 4000, ignore_budget=True), entry("small", ["gate"]), token_budget=0
    )
    assert ids(run(lorebook, "gate")) == ["huge"]


def test_entries_of_a_budgeted_lorebook_do_not_use_up_the_caps_of_another() -> None:
    budgeted = book(*(entry(f"b{i}", ["gate"]) for i in range(9)), lorebook_id="budgeted", token_budget=10_000)
    plain = book(*(entry(f"p{i}", ["gate"]) for i in range(9)), lorebook_id="plain")
    activated = ids(run(lore(budgeted, plain), "gate"))
    assert [one for one in activated if one.startswith("b")] == [f"b{i}" for i in range(9)]
    assert [one for one in activated if one.startswith("p")] == [f"p{i}" for i in range(8)]


# -- scan depth --------------------------------------------------------------------------

HISTORY = ["the old gate", "a quiet road", "the harbor"]  # oldest first


def test_a_lorebook_scan_depth_keeps_only_the_newest_history_texts() -> None:
    lorebook = book(entry("gate", ["gate"]), entry("road", ["road"]), entry("now", ["now"]), scan_depth=2)
    assert ids(run(lorebook, "now", history=HISTORY)) == ["road", "now"]


def test_an_entry_scan_depth_overrides_the_lorebook() -> None:
    lorebook = book(entry("gate", ["gate"], scan_depth=3), entry("road", ["road"], scan_depth=1), scan_depth=2)
    assert ids(run(lorebook, history=HISTORY)) == ["gate"]


def test_scan_depth_zero_scans_only_the_current_texts() -> None:
    lorebook = book(entry("harbor", ["harbor"]), entry("input", ["knock"]), scan_depth=0)
    assert ids(run(lorebook, "I knock", history=HISTORY)) == ["input"]


def test_without_a_scan_depth_all_the_history_is_scanned() -> None:
    assert ids(run(book(entry("gate", ["gate"])), history=HISTORY)) == ["gate"]


def test_the_excerpt_comes_from_the_scanned_window() -> None:
    lorebook = book(entry("gate", ["gate"], scan_depth=1))
    activation = run(lorebook, history=["a gate far back", "a gate right here"])
    row = traced(activation, "gate")
    assert row.key is not None and row.key.excerpt == "a gate right here"
