"""A card's embedded `character_book`: read as a lorebook of its own, reported under its path."""

from __future__ import annotations

import copy
from typing import Any

from runtime.interchange import BookReading, ReportLines, read_card_value, read_embedded_book
from runtime.interchange._decorators import decorator_names, split_decorators, strip_decorators
from runtime.model.lorebooks import LorePosition
from tests.support.cards import V2_CARD, V3_CARD


def embedded(card: dict[str, Any]) -> tuple[BookReading | None, ReportLines]:
    lines = ReportLines()
    return read_embedded_book(read_card_value(card, None, None).card, lines), lines


def test_an_embedded_book_becomes_a_lorebook_and_its_lines_follow_under_its_path() -> None:
    book, lines = embedded(V3_CARD)

    assert book is not None
    assert book.lorebook.display_name == "Harbor"
    (entry,) = book.lorebook.entries
    assert (entry.entry_id, entry.content, entry.keywords) == ("0", "The tide floods the docks.", ["tide"])
    assert entry.activation is not None
    # @@depth 4 applies (4 is the default depth: only the position shows); @@risu_only is unknown,
    # so its fallback @@@activate_only_after 2 applies
    assert (entry.activation.position, entry.activation.depth, entry.activation.delay) == (
        LorePosition.AT_DEPTH,
        None,
        2,
    )
    first = lines.fields[0]
    assert (first.field, first.outcome.value, first.target) == ("data.character_book", "mapped", "lorebook")
    assert "a lorebook of 1 entry" in (first.note or "")
    assert {line.field for line in lines.fields[1:]} >= {
        "data.character_book.name",
        "data.character_book.entries[*].keys",
        "data.character_book.entries[*].content @@risu_only",
        "data.character_book.entries[*].content @@@activate_only_after",
    }
    assert [(w.code.value, w.message) for w in lines.warnings] == [
        (
            "unknown_decorator",
            "data.character_book.entries[*].content @@risu_only: not applied: not a CCv3 decorator; kept (1 entry)",
        )
    ]


def test_a_null_book_is_ignored_and_a_card_without_one_has_no_line() -> None:
    card = copy.deepcopy(V2_CARD)
    card["data"]["character_book"] = None

    book, lines = embedded(card)
    assert book is None
    assert [(line.field, line.outcome.value) for line in lines.fields] == [("data.character_book", "ignored")]
    assert embedded(V2_CARD) == (None, ReportLines())


def test_a_top_level_book_with_entries_keyed_by_uid_is_read_under_its_own_path() -> None:
    book_json = {"entries": {"0": {"key": ["a"], "content": "x"}, "1": {"key": ["b"], "content": "@@bogus\ny"}}}
    book, lines = embedded({**V2_CARD, "character_book": book_json})

    assert book is not None and [entry.entry_id for entry in book.lorebook.entries] == ["0", "1"]
    assert book.lorebook.display_name == "Mira"  # a book without a name is named after the character
    assert lines.fields[0].field == "character_book"
    assert "found at the top level" in (lines.fields[0].note or "")
    assert any(line.field == "character_book.entries.*.key" for line in lines.fields)
    assert [w.code.value for w in lines.warnings] == ["unknown_decorator"]


def test_decorators_are_read_from_the_start_of_the_content_only() -> None:
    content = "@@depth 4\n@@@instruct_depth 4\n@@dont_activate\n\nText with @@not_a_decorator\n@@later"

    assert decorator_names(content) == ["depth", "instruct_depth", "dont_activate"]
    assert strip_decorators(content) == "Text with @@not_a_decorator\n@@later"
    assert strip_decorators("No decorators\n") == "No decorators\n"


def test_decorator_lines_go_back_around_a_new_text_as_they_were() -> None:
    for content in ("@@depth 4\n\n\nText", "@@activate", "@@depth 4\n@@role user\nText", "Plain"):
        decorated = split_decorators(content)
        assert decorated.with_text(decorated.text) == content
    assert split_decorators("@@depth 4\n\nOld").with_text("New", frozenset({0})) == "New"
    assert split_decorators("@@depth 4\n@@activate\n\nOld").with_text("New", frozenset({0})) == "@@activate\n\nNew"
    assert split_decorators("@@activate").with_text("New") == "@@activate\nNew"
