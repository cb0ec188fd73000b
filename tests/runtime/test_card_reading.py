"""Reading cards of every version into a character, checked field by field against the report,
and the tolerance list of INTERCHANGE.md §3 (card fields)."""

from __future__ import annotations

import base64
import copy
import io
import json
import zipfile
from typing import Any

import pytest

from runtime.archives import ZipLimits
from runtime.interchange import CardLimits, CardReading, Picture, UnreadableCard, read_card_upload, read_card_value
from runtime.model.cards import CardContainer, CardSpec, FieldOutcome, ImportWarningCode
from runtime.model.characters import CoverMimeType
from tests.support.cards import HYBRID_CARD, V1_CARD, V2_CARD, V3_CARD, charx, tiny_png

PERSONA = "A courier who knows every alley of {{char}}'s harbor town.\n\nwary, quick"
STYLE = "<START>\n{{user}}: Hello.\n{{char}}: Keep your voice down, {{user}}."
MAPPED_V1 = {
    "description": ("mapped", "personality"),
    "personality": ("mapped", "personality"),
    "mes_example": ("mapped", "style"),
    "scenario": ("kept", None),
    "first_mes": ("kept", None),
}


def table(reading: CardReading) -> dict[str, tuple[str, Any]]:
    """field → (outcome, target for mapped / value for defaulted / None)."""
    rows: dict[str, tuple[str, Any]] = {}
    for line in reading.lines.fields:
        assert line.field not in rows, f"{line.field} reported twice"
        detail = line.target if line.outcome is FieldOutcome.MAPPED else line.value
        rows[line.field] = (line.outcome.value, detail)
    return rows


def warning_codes(reading: CardReading) -> list[str]:
    return [warning.code.value for warning in reading.lines.warnings]


def every_key(card: dict[str, Any]) -> set[str]:
    keys = {key for key in card if key != "data"}
    keys |= {f"data.{key}" for key in card.get("data", {})}
    return keys


def test_v1_card_maps_its_fields_and_defaults_the_rest() -> None:
    reading = read_card_value(V1_CARD, "mira.json", None)

    assert reading.card.spec is CardSpec.V1 and reading.card.spec_version == "1.0"
    assert reading.character.name == "Mira"
    assert reading.character.personality == PERSONA
    assert reading.character.style == STYLE
    assert reading.character.system_prompt == "" and reading.character.tags == []
    defaults = {
        field: ("defaulted", value)
        for field, value in {
            "creator_notes": "",
            "system_prompt": "",
            "post_history_instructions": "",
            "creator": "",
            "character_version": "",
            "alternate_greetings": [],
            "tags": [],
            "group_only_greetings": [],
            "extensions": {},
        }.items()
    }
    assert table(reading) == {"name": ("mapped", "name"), **MAPPED_V1, **defaults}
    assert warning_codes(reading) == ["no_picture"]


def test_v2_card_field_by_field() -> None:
    reading = read_card_value(V2_CARD, "mira.json", None)

    assert reading.card.spec is CardSpec.V2
    assert reading.character.system_prompt == "Write as {{char}}."  # {{original}} removed
    assert reading.character.tags == ["courier", "harbor"]
    assert table(reading) == {
        "data.name": ("mapped", "name"),
        **{f"data.{field}": outcome for field, outcome in MAPPED_V1.items()},
        "data.creator_notes": ("kept", None),
        "data.system_prompt": ("mapped", "system_prompt"),
        "data.post_history_instructions": ("kept", None),
        "data.alternate_greetings": ("kept", None),
        "data.tags": ("mapped", "tags"),
        "data.creator": ("kept", None),
        "data.character_version": ("kept", None),
        "data.extensions": ("kept", None),
        "data.extensions.talkativeness": ("kept", None),
        "data.extensions.custom_tool": ("kept", None),
        "data.unknown_data_field": ("kept", None),
        "data.group_only_greetings": ("defaulted", []),
        "spec": ("ignored", None),
        "spec_version": ("ignored", None),
    }


def test_sillytavern_hybrid_reads_data_and_keeps_its_top_level_copies() -> None:
    reading = read_card_value(HYBRID_CARD, "mira.json", None)
    rows = table(reading)

    assert reading.card.spec is CardSpec.V2 and reading.card.hybrid
    assert reading.character.personality == PERSONA
    for field in ("name", "description", "personality", "scenario", "first_mes", "mes_example"):
        assert rows[field] == ("kept", None)  # ST's top-level copy
        assert rows[f"data.{field}"][0] in ("mapped", "kept")
    for extra in ("creatorcomment", "talkativeness", "fav", "tags", "create_date", "avatar", "chat"):
        assert rows[extra] == ("kept", None)
        assert reading.card.root[extra] == HYBRID_CARD[extra]
    assert rows["data.extensions.world"] == ("kept", None)
    assert rows["data.extensions.depth_prompt"] == ("kept", None)


def test_v3_card_field_by_field() -> None:
    reading = read_card_value(V3_CARD, "mira.json", None)
    rows = table(reading)

    assert reading.card.spec is CardSpec.V3 and reading.card.spec_version == "3.0"
    assert reading.character.name == "Mira"  # not the nickname
    for field in ("nickname", "group_only_greetings", "source", "creation_date", "modification_date"):
        assert rows[f"data.{field}"] == ("kept", None)
    assert rows["data.creator_notes_multilingual"] == ("kept", None)
    assert rows["data.assets"] == ("kept", None)
    assert rows["unknown_root_field"] == ("kept", None)
    assert "data.character_book" not in rows  # reported by the book step, see test_embedded_book
    assert set(rows) | {"data.character_book"} >= every_key(V3_CARD)


@pytest.mark.parametrize("card", [V1_CARD, V2_CARD, HYBRID_CARD, V3_CARD], ids=["v1", "v2", "hybrid", "v3"])
def test_every_field_of_the_file_has_a_report_line(card: dict[str, Any]) -> None:
    rows = table(read_card_value(card, "mira.json", None))
    assert every_key(card) - {"data.character_book"} <= set(rows)


def test_a_newer_spec_version_is_imported_with_a_warning() -> None:
    card = {**V3_CARD, "spec_version": "3.5"}
    reading = read_card_value(card, None, None)

    assert reading.card.spec_version == "3.5"
    assert "newer_spec_version" in warning_codes(reading)


@pytest.mark.parametrize(
    ("spec", "expected", "warned"),
    [("chara_card_v2", CardSpec.V2, False), (None, CardSpec.V2, True), ("chara_card_v9", CardSpec.V3, True)],
)
def test_the_spec_decides_the_version_and_an_odd_one_warns(spec: Any, expected: CardSpec, warned: bool) -> None:
    card = {"data": V2_CARD["data"]} if spec is None else {"spec": spec, "data": V2_CARD["data"]}
    reading = read_card_value(card, None, None)

    assert reading.card.spec is expected
    assert ("unknown_spec" in warning_codes(reading)) is warned


# -- tolerance (INTERCHANGE.md §3) ---------------------------------------------------------


def data_with(**changes: Any) -> dict[str, Any]:
    card = copy.deepcopy(V2_CARD)
    card["data"].update(changes)
    return card


def test_null_book_is_ignored_and_reported() -> None:
    reading = read_card_value(data_with(character_book=None), None, None)
    assert "character_book" not in reading.card.data


def test_strings_where_arrays_are_expected_are_normalised() -> None:
    reading = read_card_value(data_with(tags="elf, healer , ,", alternate_greetings="Hi, there."), None, None)
    rows = table(reading)

    assert reading.character.tags == ["elf", "healer"]
    assert reading.card.data["alternate_greetings"] == ["Hi, there."]  # a greeting is not split at commas
    assert rows["data.tags"] == ("mapped", "tags")
    assert warning_codes(reading).count("odd_field") == 2


def test_empty_string_where_a_number_is_expected_is_defaulted() -> None:
    card = copy.deepcopy(V3_CARD)
    card["data"].update(creation_date="", modification_date="1700000000")
    reading = read_card_value(card, None, None)
    rows = table(reading)

    assert rows["data.creation_date"] == ("defaulted", 0)
    assert reading.card.data["modification_date"] == 1700000000
    assert rows["data.modification_date"] == ("kept", None)


def test_wrong_types_are_defaulted_or_read_as_text_never_refused() -> None:
    reading = read_card_value(
        data_with(description=None, personality=42, mes_example=["x"], tags=[1, "a", None], extensions="oops"),
        None,
        None,
    )
    rows = table(reading)

    assert reading.character.personality == "42"
    assert reading.character.style == ""
    assert reading.character.tags == ["1", "a"]
    assert rows["data.description"] == ("defaulted", "")
    assert rows["data.mes_example"] == ("defaulted", "")
    assert rows["data.extensions"] == ("defaulted", {})
    assert rows["data.personality"] == ("mapped", "personality")


@pytest.mark.parametrize("name", [None, "", "   "])
def test_a_missing_or_empty_name_is_taken_from_the_file_name(name: Any) -> None:
    card = {k: v for k, v in V1_CARD.items() if k != "name"} if name is None else {**V1_CARD, "name": name}
    reading = read_card_value(card, "folder/Old Merchant.card.json", None)

    assert reading.character.name == "Old Merchant.card"
    assert table(reading)["name"][0] == "defaulted"
    assert "name_from_file_name" in warning_codes(reading)


def test_v1_fields_only_at_the_top_level_of_a_wrapped_card_are_read_from_there() -> None:
    card = {"spec": "chara_card_v2", "spec_version": "2.0", **V1_CARD, "data": {"name": "Mira", "tags": ["a"]}}
    reading = read_card_value(card, None, None)
    rows = table(reading)

    assert reading.character.personality == PERSONA
    assert rows["description"] == ("mapped", "personality")  # read from the top level
    assert "data.description" not in rows


def test_character_book_at_the_top_level_is_moved_under_data() -> None:
    book = {"entries": [{"keys": ["a"], "content": "b"}]}
    reading = read_card_value({**V2_CARD, "character_book": book}, None, None)

    assert reading.card.data["character_book"] == book
    assert "character_book" not in reading.card.root


def test_unknown_fields_everywhere_are_kept() -> None:
    card = copy.deepcopy(V3_CARD)
    card["x_root"] = [1]
    card["data"]["x_data"] = {"a": 1}
    card["data"]["extensions"]["x_ext"] = True
    reading = read_card_value(card, None, None)

    assert reading.card.root["x_root"] == [1]
    assert reading.card.data["x_data"] == {"a": 1}
    assert reading.card.data["extensions"]["x_ext"] is True


# -- what is not a card ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], "expected a JSON object, got array"),
        ({"hello": "world"}, "no character card found"),
        ({"entries": {"0": {"key": ["a"]}}}, "this is a lorebook"),
        ({"spec": "lorebook_v3", "data": {"entries": []}}, "this is a lorebook"),
    ],
)
def test_json_without_a_card_is_refused(value: Any, message: str) -> None:
    with pytest.raises(UnreadableCard, match=message):
        read_card_value(value, None, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"{not json", "the JSON file: the card is not valid JSON"),
        (b'{"name": NaN}', "NaN is not a JSON value"),
        (b'{"name": "x", "n": 1e999}', "at n is refused: number out of range"),
        (b'{"name": "\\ud800"}', "at name is refused: string .* holds a lone surrogate"),
        (b'{"name": "x", "n": 18446744073709551616}', "at n is refused: integer out of range"),
        (b"[" * 100_000 + b"]" * 100_000, "no character card found"),  # an array is not a card start
        (b'{"a":' * 200 + b"1" + b"}" * 200, "nested deeper than 64 levels"),
        (b"\xff\xd8\xff\xe0 jpeg", "a JPG picture carries no card"),
        (b"GIF89a", "neither a PNG card, a CHARX nor a JSON card"),
    ],
)
def test_files_without_a_usable_card_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableCard, match=message):
        read_card_upload(data, "x")


def test_json_deeper_than_the_parser_can_go_is_refused_not_crashed() -> None:
    with pytest.raises(UnreadableCard, match="nested deeper than 128 levels"):
        read_card_upload(b'{"a":' * 5000 + b"1" + b"}" * 5000, "deep.json")


def test_a_card_value_sent_over_rpc_is_checked_for_depth_too() -> None:
    deep: dict[str, Any] = {"name": "x"}
    for _ in range(100):
        deep = {"nested": deep}
    with pytest.raises(UnreadableCard, match="nested deeper than 64"):
        read_card_value({**V1_CARD, "extra": deep}, None, None)


# -- pictures ----------------------------------------------------------------------------


def test_charx_main_icon_becomes_the_picture_and_other_files_are_kept() -> None:
    card = copy.deepcopy(V3_CARD)
    card["data"]["assets"] = [
        {"type": "emotion", "uri": "embeded://assets/emotion/images/happy.png", "name": "happy", "ext": "png"},
        {"type": "icon", "uri": "embeded://assets/icon/images/other.png", "name": "other", "ext": "png"},
        {"type": "icon", "uri": "embeded://assets/icon/images/main.webp", "name": "main", "ext": "webp"},
        {"type": "background", "uri": "https://example.invalid/bg.png", "name": "main", "ext": "png"},
    ]
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20)
    files = {
        "assets/emotion/images/happy.png": tiny_png(),
        "assets/icon/images/other.png": tiny_png(),
        "assets/icon/images/main.webp": webp,
        "x_meta/notes.json": b"{}",
    }
    reading = read_card_upload(charx(card, files), "mira.charx")

    assert reading.picture == Picture(webp, CoverMimeType.WEBP, "main.webp")
    assert reading.files == files
    assert table(reading)["charx:files"] == ("kept", None)
    assert table(reading)["picture"] == ("mapped", "cover")
    messages = [w.message for w in reading.lines.warnings if w.code is ImportWarningCode.UNSUPPORTED_ASSET]
    assert messages == ["background asset 'main': 'https://example.invalid/bg.png' is not downloaded; the URL is kept"]


def test_charx_without_card_json_or_with_a_hostile_zip_is_refused() -> None:
    with pytest.raises(UnreadableCard, match=r"no card\.json at its root"):
        read_card_upload(_zip_without_card(), "x.charx")
    with pytest.raises(UnreadableCard, match="invalid CHARX"):
        read_card_upload(b"PK\x03\x04 truncated", "x.charx")


def _zip_without_card() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other.json", "{}")
    return buffer.getvalue()


def test_a_data_url_icon_of_a_json_card_becomes_the_picture() -> None:
    card = copy.deepcopy(V3_CARD)
    encoded = base64.b64encode(tiny_png()).decode()
    card["data"]["assets"] = [{"type": "icon", "uri": f"data:image/png;base64,{encoded}", "name": "main", "ext": "png"}]
    reading = read_card_upload(json.dumps(card).encode(), "mira.json")

    assert reading.picture is not None and reading.picture.data == tiny_png()
    assert "no_picture" not in warning_codes(reading)
    line = next(line for line in reading.lines.fields if line.field == "picture")
    assert (line.target, line.note) == ("cover", "the 'main' icon asset 'data:image/png;base64,…'")


def test_an_icon_missing_from_the_charx_is_reported() -> None:
    card = copy.deepcopy(V3_CARD)
    card["data"]["assets"] = [{"type": "icon", "uri": "embeded://gone.png", "name": "main", "ext": "png"}]
    reading = read_card_upload(charx(card), "x.charx")

    assert reading.picture is None
    assert warning_codes(reading)[-2:] == ["unsupported_asset", "no_picture"]


def test_charx_archives_go_through_the_archive_reader_limits() -> None:
    small = CardLimits(zip=ZipLimits(max_entry_bytes=1000))
    bomb = charx({**V3_CARD, "padding": "x" * 50_000})
    with pytest.raises(UnreadableCard, match=r"invalid CHARX: entry 'card\.json' is larger than 1000 bytes"):
        read_card_upload(bomb, "bomb.charx", small)
    with pytest.raises(UnreadableCard, match=r"invalid CHARX: entry name '\.\./evil\.png' contains a '\.\.' segment"):
        read_card_upload(charx(V3_CARD, {"../evil.png": b"x"}), "evil.charx")


@pytest.mark.parametrize("start", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\xef\xbb\xbf \r\n", b"\n  "])
def test_a_json_card_may_start_with_a_byte_order_mark_and_blank_lines(start: bytes) -> None:
    reading = read_card_upload(start + json.dumps(V1_CARD).encode(), "Mira.json")

    assert reading.container is CardContainer.JSON
    assert reading.character.name == "Mira"
