"""Outline extraction for story drafts (§14.2) of runtime/outline.py."""

from __future__ import annotations

import pytest

from runtime.errors import InvalidParams
from runtime.outline import outline_sections, planned_text

PLANNER_STYLE = """Title: The Flooded Dock
Core Conflict: The courier must cross a drowned harbour.
Opening Situation: Rain floods the dock as the courier arrives.
Suggested Beats:
- Meet the merchant at the pier.
* Bargain for passage.
1. Sneak past the guards.
2) Reach the lighthouse.

Character Roles:
- merchant: a greedy guide
State Hints:
- gate_open
"""


# -- Planner-style headings --------------------------------------------------------------


def test_planner_headings_give_the_opening_and_each_beat() -> None:
    assert outline_sections(PLANNER_STYLE) == [
        "Rain floods the dock as the courier arrives.",
        "Meet the merchant at the pier.",
        "Bargain for passage.",
        "Sneak past the guards.",
        "Reach the lighthouse.",
    ]


def test_beats_stop_at_the_next_known_heading() -> None:
    text = "Suggested Beats:\n- one\nTitle:\n- not a beat\n"
    assert outline_sections(text) == ["one"]


@pytest.mark.parametrize("heading", ["Title:", "Core Conflict:", "Character Roles:", "State Hints:"])
def test_each_stop_heading_ends_the_beats(heading: str) -> None:
    assert outline_sections(f"Suggested Beats:\n- one\n{heading}\n- two") == ["one"]


def test_another_opening_situation_ends_the_beats_and_adds_a_section() -> None:
    text = "Suggested Beats:\n- one\nOpening Situation: second act\n- not a beat"
    assert outline_sections(text) == ["one", "second act"]


def test_beat_markers_and_leading_whitespace_are_stripped() -> None:
    assert outline_sections("Suggested Beats:\n   12.) - * Cross the bridge") == ["Cross the bridge"]


def test_blank_lines_between_beats_are_skipped() -> None:
    assert outline_sections("Suggested Beats:\n- one\n\n   \n- two") == ["one", "two"]


def test_beat_made_only_of_markers_is_dropped() -> None:
    assert outline_sections("Suggested Beats:\n---\n- real") == ["real"]


def test_empty_opening_situation_adds_nothing() -> None:
    assert outline_sections("Opening Situation:\nSuggested Beats:\n- one") == ["one"]


def test_heading_with_trailing_text_does_not_start_the_beats() -> None:
    text = "Suggested Beats: see below\n- one\n\nA paragraph."
    assert outline_sections(text) == ["Suggested Beats: see below\n- one", "A paragraph."]


def test_headings_with_no_section_content_fall_back_to_paragraphs() -> None:
    text = "Suggested Beats:\n\nThe story begins at sea."
    assert outline_sections(text) == ["The story begins at sea."]


# -- paragraphs --------------------------------------------------------------------------


def test_paragraphs_separated_by_blank_lines_become_sections() -> None:
    assert outline_sections("First part.\nStill first.\n\nSecond part.") == [
        "First part.\nStill first.",
        "Second part.",
    ]


def test_paragraph_chunks_are_trimmed_and_empty_ones_dropped() -> None:
    assert outline_sections("\n\n  One.  \n\n\n\n  Two.\n\n") == ["One.", "Two."]


def test_chunks_ending_with_a_colon_are_dropped() -> None:
    assert outline_sections("Act one:\n\nThe courier arrives.\n\nAct two:\n\nThe gate opens.") == [
        "The courier arrives.",
        "The gate opens.",
    ]


def test_whitespace_only_lines_separate_paragraphs() -> None:
    assert outline_sections("One.\n   \nTwo.") == ["One.", "Two."]


def test_windows_line_endings_separate_paragraphs() -> None:
    assert outline_sections("One.\r\n\r\nTwo.") == ["One.", "Two."]


def test_single_paragraph_is_one_section() -> None:
    assert outline_sections("A courier crosses a flooded city.") == ["A courier crosses a flooded city."]


# -- no sections -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n  ", "Intro:\n\nOutline:"])
def test_text_without_sections_is_an_invalid_draft(text: str) -> None:
    with pytest.raises(InvalidParams) as caught:
        outline_sections(text)
    assert caught.value.message == "invalid story draft: planned_story did not contain any outline sections"


# -- which text ----------------------------------------------------------------------------


def test_planned_story_is_used_when_present() -> None:
    assert planned_text("The plan.", "The concept.") == "The plan."


@pytest.mark.parametrize("plan", [None, "", "  \n "])
def test_raw_concept_is_used_without_a_plan(plan: str | None) -> None:
    assert planned_text(plan, "  The concept. ") == "  The concept. "
