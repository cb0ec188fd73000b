"""Reading lorebook files: one hand-made book per format, each read checked field by field
against the record it gives and against its report (every key of the file has a line), the
tolerance list of INTERCHANGE.md §3, and the files that are refused."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.codec import CODEC
from runtime.interchange import UnreadableBook, read_book_upload, read_book_value
from runtime.interchange._book_reader import BookReading, read_book
from runtime.model.lorebook_files import BookFormat
from tests.support import books
from tests.support.book_records import (
    AGNAI_RECORD,
    CHARACTER_BOOK_RECORD,
    KOBOLD_LITE_RECORD,
    LOREBOOK_V3_RECORD,
    NOVELAI_RECORD,
    RISUAI_RECORD,
    ST_CARD_BOOK_RECORD,
    WORLD_INFO_RECORD,
)

GOLDEN = [
    (books.WORLD_INFO, "Harbor", BookFormat.WORLD_INFO, WORLD_INFO_RECORD),
    (books.LOREBOOK_V3, None, BookFormat.LOREBOOK_V3, LOREBOOK_V3_RECORD),
    (books.CHARACTER_BOOK, None, BookFormat.CHARACTER_BOOK, CHARACTER_BOOK_RECORD),
    (books.ST_CARD_BOOK, None, BookFormat.CHARACTER_BOOK, ST_CARD_BOOK_RECORD),
    (books.AGNAI, None, BookFormat.AGNAI, AGNAI_RECORD),
    (books.RISUAI, "Risu", BookFormat.RISUAI, RISUAI_RECORD),
    (books.NOVELAI, "Mill", BookFormat.NOVELAI, NOVELAI_RECORD),
    (books.KOBOLD_LITE, "Kobold", BookFormat.KOBOLD_LITE, KOBOLD_LITE_RECORD),
]
GOLDEN_IDS = ["world-info", "lorebook-v3", "character-book", "st-card-book", "agnai", "risuai", "novelai", "kobold"]


def record(reading: BookReading) -> dict[str, Any]:
    shape = CODEC.unstructure(reading.lorebook)
    assert shape.pop("lorebook_id") == ""
    return shape


def report_fields(reading: BookReading) -> dict[str, dict[str, Any]]:
    return {line["field"]: line for line in CODEC.unstructure(reading.lines)["fields"]}


def file_keys(reading: BookReading) -> set[str]:
    """Every key of the file as the report names it: book-level keys by their path, entry keys
    over all entries (`entries.*.key`), and the keys of a card book entry's extensions."""
    layout = reading.layout
    book = layout.book or {}
    keys = {layout.path_of(key) for key in book}
    if isinstance(book.get("extensions"), dict) and book["extensions"]:
        keys = keys - {layout.path_of("extensions")} | {
            layout.path_of(f"extensions.{key}") for key in book["extensions"]
        }
    if layout.format is BookFormat.LOREBOOK_V3:
        keys |= set(reading.raw) - {"data"}
    for _, entry in layout.entries:
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            if key == "extensions" and isinstance(value, dict) and value:
                keys |= {f"{layout.every_entry_path}.extensions.{name}" for name in value}
            else:
                keys.add(f"{layout.every_entry_path}.{key}")
    return keys


def reported_keys(reading: BookReading) -> set[str]:
    """The keys the report has a line for, per entry lines folded into `entries.*` form."""
    layout = reading.layout
    folded = set()
    for field in report_fields(reading):
        for key, _ in layout.entries:
            prefix = layout.entry_path(key) + "."
            if field.startswith(prefix):
                field = f"{layout.every_entry_path}.{field.removeprefix(prefix)}"
        folded.add(field.split(" @@", 1)[0])
    return folded


@pytest.mark.parametrize(("book", "stem", "book_format", "expected"), GOLDEN, ids=GOLDEN_IDS)
def test_each_format_reads_into_the_record_its_settings_describe(
    book: Any, stem: str | None, book_format: BookFormat, expected: dict[str, Any]
) -> None:
    reading = read_book(books.copy_of(book), stem)

    assert reading.format is book_format
    assert record(reading) == expected


@pytest.mark.parametrize(("book", "stem", "book_format", "expected"), GOLDEN, ids=GOLDEN_IDS)
def test_every_key_of_the_file_has_a_report_line(
    book: Any, stem: str | None, book_format: BookFormat, expected: dict[str, Any]
) -> None:
    reading = read_book(books.copy_of(book), stem)

    assert file_keys(reading) <= reported_keys(reading)
    entry_lines = [line for line in reading.lines.fields if line.count is not None]
    assert all(line.count <= len(reading.layout.entries) for line in entry_lines)


def lines_of(reading: BookReading) -> list[tuple[str, str, Any]]:
    return [(line.field, line.outcome.value, line.target) for line in reading.lines.fields]


def warnings_of(reading: BookReading) -> list[tuple[str, str]]:
    return [(warning.code.value, warning.message) for warning in reading.lines.warnings]


def test_the_tolerance_list_is_read_defaulted_and_reported_never_refused() -> None:
    reading = read_book(books.copy_of(books.TOLERATED), "Odd book")

    assert reading.format is BookFormat.CHARACTER_BOOK  # keyed by uid, but its entries are a card book's
    assert record(reading) == {
        "display_name": "Odd book",  # `name: null`: named after the file
        "entries": [
            {
                "entry_id": "a",
                "title": "",
                "content": "",
                "keywords": ["one", "two"],
                "enabled": True,
                "always_include": False,
                "activation": {"secondary_keywords": ["three"], "selective": False, "priority": 2, "sticky": 2},
            },
            {
                "entry_id": "a-2",
                "title": "",
                "content": "dup",
                "keywords": ["1", "x"],
                "enabled": True,
                "always_include": False,
            },
            {
                "entry_id": "d",
                "title": "",
                "content": "Broken regex.",
                "keywords": ["/[gate/"],
                "enabled": True,
                "always_include": False,
                "activation": {"key_mode": "regex"},
            },
        ],
        "settings": {"token_budget": 250, "recursive_scanning": True},
    }
    fields = report_fields(reading)
    assert fields["entries.b"] == {"field": "entries.b", "outcome": "ignored", "note": "not an entry object; left out"}
    assert fields["name"]["outcome"] == "defaulted"
    assert fields["scan_depth"] == {
        "field": "scan_depth",
        "outcome": "defaulted",
        "target": "settings.scan_depth",
        "note": "an empty string where a number is expected: the default is used",
    }
    assert fields["entries.a.content"]["value"] == ""
    assert fields["entries.a.insertion_order"]["value"] == 100
    assert fields["entries.a.extensions.probability"]["value"] == 100
    assert fields["entries.a.extensions.role"]["value"] == "system"
    assert "value" not in fields["entries.a.case_sensitive"]  # no value: the lorebook's setting applies
    assert fields["extensions"] == {"field": "extensions", "outcome": "ignored", "note": "not an object: no extensions"}
    codes = [code for code, _ in warnings_of(reading)]
    assert codes.count("odd_field") == 14
    assert ("duplicate_entry_id", "entries.c: the entry id 'a' is used by an earlier entry: imported as 'a-2'") in (
        warnings_of(reading)
    )
    assert warnings_of(reading)[-1] == (
        "invalid_regex_key",
        "entries.d ('d'): keywords[0]: \"/[gate/\" is not a valid regular expression (unterminated character set at"
        " position 5); it never matches",
    )


def test_entry_lines_are_merged_over_the_entries_and_odd_values_get_lines_of_their_own() -> None:
    book = books.copy_of(books.WORLD_INFO)
    book["entries"]["7"]["order"] = "12"
    book["entries"]["7"]["probability"] = ""
    reading = read_book(book, "Harbor")

    fields = report_fields(reading)
    assert fields["entries.*.selectiveLogic"] == {
        "field": "entries.*.selectiveLogic",
        "outcome": "mapped",
        "target": "activation.secondary_logic",
        "count": 2,
    }
    order_lines = [line for line in CODEC.unstructure(reading.lines)["fields"] if line["field"] == "entries.*.order"]
    assert order_lines == [  # a value read with a note is a line of its own kind
        {"field": "entries.*.order", "outcome": "mapped", "target": "activation.insertion_order", "count": 1},
        {
            "field": "entries.*.order",
            "outcome": "mapped",
            "target": "activation.insertion_order",
            "note": "the text '12' read as the number 12",
            "count": 1,
        },
    ]
    assert fields["entries.7.probability"]["outcome"] == "defaulted"
    assert fields["entries.*.characterFilter"]["note"].startswith("SillyTavern's character filter; not applied")
    assert fields["originalData"]["outcome"] == "kept"
    assert ("odd_field", "entries.7.order: the text '12' read as the number 12") in warnings_of(reading)
    assert reading.lorebook.entries[1].activation is not None
    assert reading.lorebook.entries[1].activation.insertion_order == 12


def test_decorators_apply_where_the_engine_can_follow_them_and_the_rest_are_reported() -> None:
    v3 = read_book(books.copy_of(books.LOREBOOK_V3), None)
    world_info = read_book(books.copy_of(books.WORLD_INFO), "Harbor")

    lines = {field: (outcome, target) for field, outcome, target in lines_of(v3) if "@@" in field}
    assert lines == {
        "data.entries[*].content @@scan_depth": ("mapped", "activation.scan_depth"),
        "data.entries[*].content @@additional_keys": (
            "mapped",
            "activation.secondary_keywords, activation.secondary_logic, activation.selective",
        ),
        "data.entries[*].content @@risu_only": ("kept", None),
        "data.entries[*].content @@@activate_only_after": ("mapped", "activation.delay"),  # @@risu_only's fallback
        "data.entries[*].content @@dont_activate": ("mapped", "enabled"),
        "data.entries[*].content @@activate_only_every": ("kept", None),
    }
    assert [code for code, _ in warnings_of(v3)] == ["unknown_decorator", "setting_not_applied"]
    # SillyTavern applies only @@activate and @@dont_activate, so its other decorators are not applied
    assert warnings_of(world_info) == [
        (
            "setting_not_applied",
            "entries.*.content @@depth: not applied: the tool that writes this format does not apply it; kept (1 entry)",
        )
    ]
    assert world_info.lorebook.entries[1].always_include is True


def test_a_fallback_is_ignored_when_the_decorator_before_it_applied() -> None:
    book = {"entries": [{"keys": ["x"], "content": "@@depth 3\n@@@scan_depth 1\n@@depth 7\nText"}]}
    reading = read_book(book, None)

    activation = reading.lorebook.entries[0].activation
    assert activation is not None and (activation.depth, activation.scan_depth) == (3, None)
    outcomes = [(field, outcome) for field, outcome, _ in lines_of(reading) if "@@" in field]
    assert outcomes == [
        ("entries[*].content @@depth", "mapped"),
        ("entries[*].content @@@scan_depth", "ignored"),
        ("entries[*].content @@depth", "ignored"),  # repeated: the first counts
    ]


def test_secondary_keys_from_a_decorator_give_way_to_the_entrys_own() -> None:
    book = {"entries": [{"keys": ["x"], "secondary_keys": ["y"], "selective": True, "content": "@@exclude_keys z\nT"}]}
    reading = read_book(book, None)

    activation = reading.lorebook.entries[0].activation
    assert activation is not None and activation.secondary_keywords == ["y"]
    assert warnings_of(reading) == [
        (
            "setting_not_applied",
            "entries[*].content @@exclude_keys: not applied: the entry has secondary keys of its own, and Dramaturg"
            " follows one list; kept (1 entry)",
        )
    ]


def test_a_file_names_its_book_and_a_book_without_a_name_or_file_is_called_lorebook() -> None:
    assert read_book({"entries": {}}, "My World").lorebook.display_name == "My World"
    assert read_book({"entries": []}, None).lorebook.display_name == "Lorebook"
    assert read_book({"name": " Named ", "entries": []}, "file").lorebook.display_name == "Named"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\nrest", "no lorebook found: the file is a PNG picture (lorebooks are JSON files)"),
        (b"name,content\n", "no lorebook found: the file is not JSON (lorebooks are JSON files)"),
        (b'{"entries": {', "the lorebook is not valid JSON (Expecting property name enclosed in double quotes"),
        (
            b'{"entries": {"0": {"key": ["a"], "order": NaN}}}',
            "the lorebook is not valid JSON (NaN is not a JSON value)",
        ),
        (b'{"entries": [], "x": 1e999}', "the lorebook JSON at x is refused: number out of range"),
        (b"[" * 70 + b"]" * 70, "the lorebook JSON at " + "[0]" * 64 + " is refused: nested deeper than 64 levels"),
        (b'{"entries": "\xff"}', "the lorebook is not valid JSON (invalid UTF-8 at byte 13)"),
        (b'{"spec": "chara_card_v2", "data": {"name": "Mira"}}', "this is a character card, not a lorebook"),
        (b'{"name": "Mira", "first_mes": "Hi"}', "this is a character card, not a lorebook"),
        (b'{"spec": "lorebook_v3", "data": []}', "a lorebook_v3 file needs a data object, got array"),
        (b'{"settings": {}}', "no lorebook found: expected World Info (entries keyed by uid), a lorebook_v3"),
        (b"[1, 2]", "no lorebook found: an array that is not a list of Kobold Lite world info entries"),
    ],
    ids=[
        "empty",
        "png",
        "csv",
        "bad-json",
        "nan",
        "overflow",
        "deep",
        "not-utf8",
        "v2-card",
        "v1-card",
        "v3-without-data",
        "no-entries",
        "numbers",
    ],
)
def test_a_file_without_a_usable_lorebook_is_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableBook) as refused:
        read_book_upload(data, "book.json")
    assert str(refused.value).startswith(message)


def test_a_parsed_book_is_held_to_the_same_value_rules() -> None:
    with pytest.raises(
        UnreadableBook, match=r"the lorebook JSON at entries\.0\.probability is refused: number out of range"
    ):
        read_book_value({"entries": {"0": {"probability": float("inf")}}}, None)
    assert read_book_value(books.copy_of(books.AGNAI), "x.json").format is BookFormat.AGNAI
