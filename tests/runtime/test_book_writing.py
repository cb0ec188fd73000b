"""Writing lorebooks back: an unchanged import exports as the original file; a change made in
Dramaturg is written where the file keeps it, so reading the export gives the changed lorebook,
and nothing else in the file moves; a lorebook made in Dramaturg is written fresh and reads back
the same."""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs
import pytest

from runtime.interchange import write_card_book, write_lorebook_v3, write_world_info
from runtime.interchange._book_reader import BookReading, read_book, read_card_book
from runtime.model.lorebooks import (
    EntryActivation,
    KeyMode,
    Lorebook,
    LorebookEntry,
    LorebookSettings,
    LorePosition,
    LoreRole,
    SecondaryLogic,
)
from tests.support import books


def read(book: Any, stem: str | None = "Book") -> BookReading:
    return read_book(copy.deepcopy(book), stem)


def unchanged_export(book: Any) -> Any:
    reading = read(book)
    writer = write_world_info if reading.format.value == "world_info" else write_lorebook_v3
    if reading.format.value == "character_book":
        writer = write_card_book
    return writer(reading, reading.lorebook, reading.lorebook)


@pytest.mark.parametrize(
    "book",
    [books.WORLD_INFO, books.LOREBOOK_V3, books.CHARACTER_BOOK, books.ST_CARD_BOOK],
    ids=["world-info", "lorebook-v3", "character-book", "st-card-book"],
)
def test_an_unchanged_import_exports_as_the_original_file(book: Any) -> None:
    assert unchanged_export(book) == book


def test_world_info_written_as_an_array_stays_an_array() -> None:
    as_array = {**books.WORLD_INFO, "entries": list(books.WORLD_INFO["entries"].values())}
    assert unchanged_export(as_array) == as_array


def test_what_the_import_left_out_is_all_that_is_missing_from_the_export() -> None:
    expected = copy.deepcopy(books.TOLERATED)
    del expected["entries"]["b"]  # not an entry: reported as left out
    assert unchanged_export(books.TOLERATED) == expected


# -- one change at a time ----------------------------------------------------------------------


ENTRY_CHANGES: list[tuple[str, Any]] = [
    ("title", "Renamed"),
    ("content", "New text."),
    ("keywords", ["pier", "/wharf(s)?/i"]),
    ("enabled", False),
    ("always_include", True),
]
ACTIVATION_CHANGES: list[tuple[str, Any]] = [
    ("secondary_keywords", ["rain"]),
    ("secondary_logic", SecondaryLogic.AND_ALL),
    ("selective", False),
    ("case_sensitive", None),
    ("match_whole_words", True),
    ("insertion_order", 7),
    ("probability", 10),
    ("use_probability", False),
    ("group", "other"),
    ("group_override", None),
    ("group_weight", 5),
    ("use_group_scoring", True),
    ("exclude_recursion", None),
    ("prevent_recursion", True),
    ("delay_until_recursion", 3),
    ("scan_depth", 9),
    ("sticky", 4),
    ("cooldown", None),
    ("delay", 6),
    ("ignore_budget", None),
    ("position", LorePosition.OUTLET),
    ("depth", 7),
    ("role", LoreRole.USER),
    ("outlet_name", "pier"),
    ("extensions", {"vectorized": True, "new_thing": [1]}),
]
CARD_BOOK_ONLY: list[tuple[str, Any]] = [
    ("priority", 3),
    ("key_mode", KeyMode.REGEX),
    ("key_mode", KeyMode.SLASH_REGEX),
    ("key_mode", None),
    ("case_sensitive", True),
]


def changed(entry: LorebookEntry, field: str, value: Any) -> LorebookEntry:
    if field in {f.name for f in attrs.fields(LorebookEntry)}:
        return attrs.evolve(entry, **{field: value})
    activation = attrs.evolve(entry.activation or EntryActivation(), **{field: value})
    return attrs.evolve(entry, activation=activation)


def with_entry(lorebook: Lorebook, index: int, entry: LorebookEntry) -> Lorebook:
    entries = list(lorebook.entries)
    entries[index] = entry
    return attrs.evolve(lorebook, entries=entries)


def assert_change_round_trips(book: Any, index: int, field: str, value: Any) -> tuple[Any, Any]:
    """Change one field of one entry, export, read the export: the changed lorebook comes back,
    and the other entries are as the original had them. Returns the written and the original entry."""
    reading = read(book)
    current = with_entry(reading.lorebook, index, changed(reading.lorebook.entries[index], field, value))
    writer = write_world_info if reading.format.value == "world_info" else write_lorebook_v3
    exported = writer(reading, reading.lorebook, current)

    again = read(exported)
    assert again.lorebook == current
    original_entries = [raw for _, raw in reading.layout.entries]
    written_entries = [raw for _, raw in again.layout.entries]
    for position, (before, after) in enumerate(zip(original_entries, written_entries, strict=True)):
        if position != index:
            assert after == before
    return written_entries[index], original_entries[index]


@pytest.mark.parametrize(("field", "value"), ENTRY_CHANGES + ACTIVATION_CHANGES, ids=lambda x: str(x)[:20])
def test_a_change_to_a_world_info_entry_reads_back_from_the_export(field: str, value: Any) -> None:
    written, original = assert_change_round_trips(books.WORLD_INFO, 0, field, value)

    if field == "extensions":
        return
    untouched = {"vectorized", "displayIndex", "characterFilter", "a_future_field", "uid"} - {"vectorized"}
    assert {key: written.get(key) for key in untouched} == {key: original.get(key) for key in untouched}


@pytest.mark.parametrize(
    ("field", "value"), ENTRY_CHANGES + ACTIVATION_CHANGES + CARD_BOOK_ONLY, ids=lambda x: str(x)[:20]
)
def test_a_change_to_a_lorebook_v3_entry_reads_back_from_the_export(field: str, value: Any) -> None:
    written, original = assert_change_round_trips(books.LOREBOOK_V3, 0, field, value)

    assert written["vendor_field"] == original["vendor_field"] == "kept"


@pytest.mark.parametrize(("field", "value"), ACTIVATION_CHANGES + CARD_BOOK_ONLY, ids=lambda x: str(x)[:20])
def test_a_change_to_an_entry_sillytavern_wrote_into_a_card_book_reads_back(field: str, value: Any) -> None:
    book = {"spec": "lorebook_v3", "data": books.ST_CARD_BOOK}
    written, _ = assert_change_round_trips(book, 0, field, value)

    mode = KeyMode.REGEX if (field, value) == ("key_mode", KeyMode.REGEX) else None
    assert written["extensions"].get("dramaturg") == (None if mode is None else {"key_mode": "regex"})


def test_a_setting_read_from_a_decorator_is_written_to_the_field_and_its_line_dropped() -> None:
    written, _ = assert_change_round_trips(books.LOREBOOK_V3, 0, "scan_depth", 4)

    assert written["content"] == "@@additional_keys storm,gale\n@@risu_only 1\n@@@activate_only_after 3\n\nTides rise."
    assert written["extensions"]["scan_depth"] == 4

    written, _ = assert_change_round_trips(books.WORLD_INFO, 1, "always_include", False)
    assert written["content"] == "@@depth 9\nThe lighthouse turns."  # @@activate went; ST's own field says it


def test_new_text_goes_after_the_decorators_it_had() -> None:
    written, _ = assert_change_round_trips(books.LOREBOOK_V3, 1, "content", "Breakers.")
    assert written["content"] == "@@dont_activate\n@@activate_only_every 2\nBreakers."


def test_deleted_entries_are_left_out_and_new_ones_get_a_free_uid() -> None:
    reading = read(books.WORLD_INFO)
    new = LorebookEntry("0", "Clash", "Same id as a deleted entry.", ["clash"], True, False)
    current = attrs.evolve(reading.lorebook, entries=[reading.lorebook.entries[1], new])

    exported = write_world_info(reading, reading.lorebook, current)

    assert list(exported["entries"]) == ["7", "0"]
    assert exported["entries"]["7"] == books.WORLD_INFO["entries"]["7"]
    assert exported["entries"]["0"]["uid"] == 0 and exported["entries"]["0"]["comment"] == "Clash"
    assert "vectorized" not in exported["entries"]["0"]  # written fresh: not the deleted entry's fields
    added = attrs.evolve(new, entry_id="mine")
    again = write_world_info(reading, reading.lorebook, attrs.evolve(current, entries=[*current.entries, added]))
    assert list(again["entries"]) == ["7", "0", "8"]


def test_the_books_name_and_settings_are_written_where_a_card_book_keeps_them() -> None:
    reading = read(books.LOREBOOK_V3)
    settings = LorebookSettings(
        scan_depth=None,
        token_budget=100,
        recursive_scanning=True,
        max_recursion_steps=3,
        match_whole_words=True,
        extensions={"chub": {"id": 43}},
    )
    current = attrs.evolve(reading.lorebook, display_name="Deep tides", settings=settings)

    exported = write_lorebook_v3(reading, reading.lorebook, current)

    data = exported["data"]
    assert (data["name"], data["token_budget"], "scan_depth" in data) == ("Deep tides", 100, False)
    assert data["extensions"] == {
        "chub": {"id": 43},
        "dramaturg": {"max_recursion_steps": 3, "match_whole_words": True},
    }
    assert data["description"] == "Sea lore." and exported["vendor_root"] == {"x": 1}
    assert read(exported).lorebook == current


# -- written fresh -----------------------------------------------------------------------------


def dramaturg_book() -> Lorebook:
    """A lorebook made in Dramaturg, every setting used, in each key mode."""
    full = EntryActivation(
        secondary_keywords=["b"],
        secondary_logic=SecondaryLogic.NOT_ALL,
        selective=False,
        key_mode=KeyMode.REGEX,
        case_sensitive=True,
        match_whole_words=False,
        insertion_order=3,
        priority=9,
        probability=70,
        use_probability=False,
        group="g1,g2",
        group_override=True,
        group_weight=12,
        use_group_scoring=True,
        exclude_recursion=True,
        prevent_recursion=True,
        delay_until_recursion=2,
        scan_depth=1,
        sticky=1,
        cooldown=2,
        delay=3,
        ignore_budget=True,
        position=LorePosition.EXAMPLES_TOP,
        depth=0,
        role=LoreRole.ASSISTANT,
        outlet_name="out",
        extensions={"mine": {"deep": [1, None]}},
    )
    entries = [
        LorebookEntry("entry-1", "Full", "Everything.", ["^a+$"], True, False, full),
        LorebookEntry(
            "2", "Slashed", "Some.", ["/x/i", "y"], False, True, EntryActivation(key_mode=KeyMode.SLASH_REGEX)
        ),
        LorebookEntry("3", "Plain", "None.", ["plain"], True, False),
    ]
    settings = LorebookSettings(
        scan_depth=2,
        token_budget=50,
        recursive_scanning=True,
        max_recursion_steps=2,
        case_sensitive=False,
        use_group_scoring=True,
        extensions={"x": 1},
    )
    return Lorebook("", "Made here", entries, settings)


def test_a_lorebook_made_in_dramaturg_reads_back_from_lorebook_v3_exactly() -> None:
    lorebook = dramaturg_book()

    exported = write_lorebook_v3(None, None, lorebook)

    assert exported["spec"] == "lorebook_v3"
    assert json.loads(json.dumps(exported)) == exported  # plain JSON
    assert read(exported).lorebook == lorebook


def test_a_lorebook_made_in_dramaturg_reads_back_from_world_info_with_its_settings() -> None:
    lorebook = dramaturg_book()

    again = read(write_world_info(None, None, lorebook), "Made here").lorebook

    # World Info has no key mode (its keys are SillyTavern's: /pattern/flags is a regex), no
    # priority, no book settings, and numbers for uids; the rest comes back
    full = lorebook.entries[0]
    assert full.activation is not None
    expected_full = attrs.evolve(
        full,
        entry_id="0",
        keywords=["/^a+$/"],
        activation=attrs.evolve(
            full.activation, secondary_keywords=["/b/"], key_mode=KeyMode.SLASH_REGEX, priority=None
        ),
    )
    plain = attrs.evolve(lorebook.entries[2], activation=EntryActivation(key_mode=KeyMode.SLASH_REGEX))
    assert again.entries == [expected_full, lorebook.entries[1], plain]
    assert again.settings is None


def test_a_card_book_exported_as_world_info_carries_the_book_as_original_data() -> None:
    reading = read_card_book(copy.deepcopy(books.ST_CARD_BOOK), "", "")

    exported = write_world_info(reading, reading.lorebook, reading.lorebook)

    assert exported["originalData"] == books.ST_CARD_BOOK  # as SillyTavern keeps a card's book
    entry = exported["entries"]["3"]
    assert (entry["uid"], entry["key"], entry["selectiveLogic"], entry["probability"]) == (
        3,
        ["/gate(s)?/i", "portcullis"],
        3,
        40,
    )
    assert (entry["displayIndex"], entry["automationId"], entry["vectorized"]) == (3, "", False)
    assert read(exported).lorebook.entries == reading.lorebook.entries
