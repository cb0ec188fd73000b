"""Lorebook matching (§12) and rendering (§11.2) of runtime/lore.py."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from runtime.lore import match_lore_entries, render_lore_entries
from runtime.model.lorebooks import LorebookEntry


@attrs.frozen
class Entry:
    """A minimal entry: matching works over anything with these attributes."""

    entry_id: str
    keywords: Sequence[str] = ()
    always_include: bool = False
    enabled: bool = True
    title: str = "Title"
    content: str = "Content"


def ids(entries: Sequence[Entry]) -> list[str]:
    return [entry.entry_id for entry in entries]


# -- matching ----------------------------------------------------------------------------


def test_keyword_found_in_the_inputs_matches() -> None:
    found = match_lore_entries([Entry("gate", ["gate"]), Entry("moon", ["moon"])], ["The gate is shut."])
    assert (ids(found.base), ids(found.matched)) == ([], ["gate"])


def test_keywords_match_case_insensitively() -> None:
    found = match_lore_entries([Entry("gate", ["Old GATE"])], ["the old Gate creaks"])
    assert ids(found.matched) == ["gate"]


def test_keywords_match_as_substrings() -> None:
    found = match_lore_entries([Entry("gate", ["gate"])], ["the gatehouse"])
    assert ids(found.matched) == ["gate"]


def test_keywords_are_trimmed_before_matching() -> None:
    found = match_lore_entries([Entry("gate", ["  gate  "])], ["a gate"])
    assert ids(found.matched) == ["gate"]


def test_blank_keywords_never_match() -> None:
    found = match_lore_entries([Entry("blank", ["", "   "])], ["anything at all"])
    assert found.matched == []


def test_any_one_keyword_is_enough() -> None:
    found = match_lore_entries([Entry("e", ["moon", "tide"])], ["high tide"])
    assert ids(found.matched) == ["e"]


def test_keyword_spanning_two_inputs_matches_only_across_the_newline() -> None:
    entries = [Entry("space", ["gate tower"]), Entry("newline", ["gate\ntower"])]
    found = match_lore_entries(entries, ["the gate", "tower"])
    assert ids(found.matched) == ["newline"]


def test_blank_inputs_are_left_out_of_the_haystack() -> None:
    found = match_lore_entries([Entry("e", ["gate\ntower"])], ["gate", "   ", "", "tower"])
    assert ids(found.matched) == ["e"]


def test_disabled_entries_are_skipped() -> None:
    entries = [Entry("off", ["gate"], enabled=False), Entry("always-off", always_include=True, enabled=False)]
    found = match_lore_entries(entries, ["gate"])
    assert (found.base, found.matched) == ([], [])


def test_always_include_entries_go_to_base_without_keywords() -> None:
    found = match_lore_entries([Entry("world", always_include=True)], [])
    assert ids(found.base) == ["world"]


def test_only_the_first_four_always_include_entries_are_kept() -> None:
    entries = [Entry(f"a{i}", ["gate"], always_include=True) for i in range(6)]
    found = match_lore_entries(entries, ["gate"])
    assert ids(found.base) == ["a0", "a1", "a2", "a3"]


def test_skipped_always_include_entries_are_never_matched() -> None:
    entries = [Entry(f"a{i}", ["gate"], always_include=True) for i in range(5)]
    found = match_lore_entries(entries, ["gate"])
    assert found.matched == []


def test_only_the_first_eight_matches_are_kept_in_order() -> None:
    entries = [Entry(f"m{i}", ["gate"]) for i in range(10)]
    found = match_lore_entries(entries, ["gate"])
    assert ids(found.matched) == [f"m{i}" for i in range(8)]


def test_entry_order_is_kept_across_base_and_matched() -> None:
    entries = [
        Entry("m1", ["gate"]),
        Entry("b1", always_include=True),
        Entry("m2", ["gate"]),
        Entry("b2", always_include=True),
    ]
    found = match_lore_entries(entries, ["gate"])
    assert (ids(found.base), ids(found.matched)) == (["b1", "b2"], ["m1", "m2"])


def test_stored_lorebook_entries_can_be_matched() -> None:
    entry = LorebookEntry(
        entry_id="e1", title="Gate", content="c", keywords=["gate"], enabled=True, always_include=False
    )
    assert match_lore_entries([entry], ["gate"]).matched == [entry]


# -- rendering ---------------------------------------------------------------------------


def test_no_entries_render_as_none() -> None:
    assert render_lore_entries([]) is None


def test_entries_render_as_list_lines() -> None:
    entries = [
        Entry("gate", ["gate", "door"], title="The Gate", content="An old gate."),
        Entry("moon", ["moon"], title="Moon", content="Pale."),
    ]
    assert render_lore_entries(entries) == (
        "- gate | The Gate | keywords=gate, door | An old gate.\n- moon | Moon | keywords=moon | Pale."
    )


def test_rendered_content_has_whitespace_collapsed() -> None:
    rendered = render_lore_entries([Entry("e", ["k"], content="  line one\n\n\tline   two  ")])
    assert rendered == "- e | Title | keywords=k | line one line two"


def test_rendered_keywords_are_trimmed_and_blank_ones_dropped() -> None:
    rendered = render_lore_entries([Entry("e", [" a ", "", "b"], content="c")])
    assert rendered == "- e | Title | keywords=a, b | c"


def test_entry_without_keywords_renders_an_empty_keyword_list() -> None:
    rendered = render_lore_entries([Entry("e", [], content="c")])
    assert rendered == "- e | Title | keywords= | c"


def test_content_longer_than_800_characters_is_cut_with_an_ellipsis() -> None:
    rendered = render_lore_entries([Entry("e", ["k"], content="x" * 801)])
    assert rendered == "- e | Title | keywords=k | " + "x" * 800 + "..."


def test_content_of_exactly_800_characters_is_not_cut() -> None:
    rendered = render_lore_entries([Entry("e", ["k"], content="x" * 800)])
    assert rendered == "- e | Title | keywords=k | " + "x" * 800


def test_content_is_cut_after_collapsing_whitespace() -> None:
    rendered = render_lore_entries([Entry("e", ["k"], content="x \n " * 500)])
    assert rendered == "- e | Title | keywords=k | " + "x " * 400 + "..."
