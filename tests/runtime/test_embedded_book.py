"""The embedded `character_book` in this version: kept with the card, reported, decorators named."""

from __future__ import annotations

import copy
from typing import Any

from runtime.interchange import ReportLines, read_card_value, report_kept_book
from runtime.interchange._decorators import decorator_names, strip_decorators
from tests.support.cards import V2_CARD, V3_CARD


def book_report(card: dict[str, Any]) -> ReportLines:
    lines = ReportLines()
    report_kept_book(read_card_value(card, None, None).card, lines)
    return lines


def test_an_embedded_book_is_kept_and_reported_as_not_yet_imported() -> None:
    lines = book_report(V3_CARD)

    assert [(line.field, line.outcome.value) for line in lines.fields] == [("data.character_book", "kept")]
    assert "not yet imported as a lorebook" in (lines.fields[0].note or "")
    assert [(w.code.value, w.message) for w in lines.warnings] == [
        (
            "lorebook_not_imported",
            "the embedded lorebook (1 entries) is kept with the card but not yet imported as a lorebook",
        ),
        ("unknown_decorator", "lorebook entries use the decorator @@risu_only, not in CCv3"),
    ]


def test_a_null_book_is_ignored_and_a_card_without_one_has_no_line() -> None:
    card = copy.deepcopy(V2_CARD)
    card["data"]["character_book"] = None

    assert [(line.field, line.outcome.value) for line in book_report(card).fields] == [
        ("data.character_book", "ignored")
    ]
    assert book_report(V2_CARD).fields == []


def test_a_top_level_book_with_entries_keyed_by_uid_is_counted() -> None:
    book = {"entries": {"0": {"key": ["a"], "content": "x"}, "1": {"key": ["b"], "content": "@@bogus\ny"}}}
    lines = book_report({**V2_CARD, "character_book": book})

    assert lines.fields[0].field == "character_book"
    assert (
        lines.fields[0].note
        == "2 entries kept with the card (found at the top level, kept under data); not yet imported as a lorebook"
    )
    assert [w.code.value for w in lines.warnings] == ["lorebook_not_imported", "unknown_decorator"]


def test_decorators_are_read_from_the_start_of_the_content_only() -> None:
    content = "@@depth 4\n@@@instruct_depth 4\n@@dont_activate\n\nText with @@not_a_decorator\n@@later"

    assert decorator_names(content) == ["depth", "instruct_depth", "dont_activate"]
    assert strip_decorators(content) == "Text with @@not_a_decorator\n@@later"
    assert strip_decorators("No decorators\n") == "No decorators\n"
