"""Writing characters back as cards: the stored original overlaid with what changed, V2 and V3,
and the PNG and CHARX files."""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs
import pytest

from runtime.interchange import (
    Picture,
    charx_card_file,
    json_card_file,
    png_card_file,
    read_card_upload,
    read_card_value,
    reread_card,
    write_card,
)
from runtime.interchange._placeholder import placeholder_png
from runtime.model.cards import CardExportSpec
from runtime.model.characters import CharacterCardContent, CoverMimeType
from tests.support.cards import (
    HYBRID_CARD,
    V1_CARD,
    V2_CARD,
    V3_CARD,
    card_in_png,
    charx_files,
    png_text_chunks,
    text_chunk,
    tiny_png,
)

NOW_S = 1_800_000_000
V3, V2 = CardExportSpec.V3, CardExportSpec.V2


def imported_content(card: dict[str, Any]) -> CharacterCardContent:
    character = read_card_value(card, "mira.json", None).character
    return CharacterCardContent(
        id="mira",
        name=character.name,
        personality=character.personality,
        style=character.style,
        schema_id="character-card",
        system_prompt=character.system_prompt,
        tags=character.tags,
    )


def export(card: dict[str, Any], spec: CardExportSpec = V3, **changes: Any) -> dict[str, Any]:
    imported = imported_content(card)
    return write_card(reread_card(card, "mira.json"), imported, attrs.evolve(imported, **changes), spec, NOW_S)


def test_an_unchanged_v3_card_comes_back_exactly() -> None:
    assert export(V3_CARD) == V3_CARD


@pytest.mark.parametrize("card", [V2_CARD, HYBRID_CARD], ids=["v2", "hybrid"])
def test_an_unchanged_v2_card_comes_back_as_v3_with_every_field_equal(card: dict[str, Any]) -> None:
    exported = export(card)

    assert exported["spec"] == "chara_card_v3" and exported["spec_version"] == "3.0"
    assert exported["data"] == {**card["data"], "group_only_greetings": []}  # the one field V3 requires
    assert {k: v for k, v in exported.items() if k not in ("spec", "spec_version", "data")} == {
        k: v for k, v in card.items() if k not in ("spec", "spec_version", "data")
    }


def test_a_v1_card_is_wrapped_with_its_fields_under_data() -> None:
    exported = export(V1_CARD)

    assert {key: exported["data"][key] for key in V1_CARD} == V1_CARD
    assert set(exported) == {"spec", "spec_version", "data"}


def test_changed_fields_are_overlaid_and_nothing_else_moves() -> None:
    exported = export(V3_CARD, personality="Now a retired courier.", tags=["retired"], name="Mira Vale")
    expected = copy.deepcopy(V3_CARD)
    expected["data"].update(
        name="Mira Vale",
        description="Now a retired courier.",
        personality="",
        tags=["retired"],
        modification_date=NOW_S,
    )
    assert exported == expected


def test_style_and_system_prompt_overlay_their_card_fields() -> None:
    exported = export(V2_CARD, style="{{char}}: Hm.", system_prompt="Be brief.")

    assert exported["data"]["mes_example"] == "{{char}}: Hm."
    assert exported["data"]["system_prompt"] == "Be brief."
    assert exported["data"]["description"] == V2_CARD["data"]["description"]


def test_sillytavern_top_level_copies_follow_a_changed_field() -> None:
    exported = export(HYBRID_CARD, name="Mira Vale", tags=["a", "b"])

    assert exported["name"] == exported["data"]["name"] == "Mira Vale"
    assert exported["tags"] == exported["data"]["tags"] == ["a", "b"]
    assert exported["description"] == HYBRID_CARD["description"]  # unchanged field, unchanged copy


def test_v2_export_leaves_out_v3_fields_and_strips_decorators() -> None:
    exported = export(V3_CARD, V2)

    assert exported["spec"] == "chara_card_v2" and exported["spec_version"] == "2.0"
    for field in ("nickname", "group_only_greetings", "source", "assets", "creation_date", "modification_date"):
        assert field not in exported["data"]
    entry = exported["data"]["character_book"]["entries"][0]
    assert entry["content"] == "The tide floods the docks."
    assert V3_CARD["data"]["character_book"]["entries"][0]["content"].startswith("@@depth 4")  # the original is intact
    assert exported["unknown_root_field"] == {"kept": True}


def test_decorators_are_stripped_from_entries_keyed_by_uid_too() -> None:
    card = copy.deepcopy(V3_CARD)
    card["data"]["character_book"] = {"entries": {"7": {"keys": ["a"], "content": "@@dont_activate\n\nBody"}}}
    assert export(card, V2)["data"]["character_book"]["entries"]["7"]["content"] == "Body"


def test_a_character_never_imported_gets_a_fresh_card() -> None:
    content = CharacterCardContent("x", "Xan", "stern", "{{char}}: No.", "s", "Be {{char}}.", ["guard"])
    exported = write_card(None, None, content, V3, NOW_S)

    data = exported["data"]
    assert (data["name"], data["description"], data["personality"]) == ("Xan", "stern", "")
    assert (data["mes_example"], data["system_prompt"], data["tags"]) == ("{{char}}: No.", "Be {{char}}.", ["guard"])
    assert data["group_only_greetings"] == [] and data["extensions"] == {}
    assert read_card_value(exported, None, None).character.personality == "stern"


@pytest.mark.parametrize("card", [V1_CARD, V2_CARD, HYBRID_CARD, V3_CARD], ids=["v1", "v2", "hybrid", "v3"])
@pytest.mark.parametrize("spec", [V3, V2])
def test_import_export_import_gives_the_same_character(card: dict[str, Any], spec: CardExportSpec) -> None:
    first = read_card_value(card, "mira.json", None)
    exported = write_card(first.card, imported_content(card), imported_content(card), spec, NOW_S)
    again = read_card_value(exported, "other-name.json", None)

    assert again.character == first.character


# -- files -------------------------------------------------------------------------------


def test_png_card_carries_both_chunks_in_the_picture() -> None:
    picture = tiny_png(text_chunk("chara", {"name": "stale"}))
    v3 = export(V3_CARD)
    v2 = export(V3_CARD, V2)
    data = png_card_file(picture, v2, v3)

    assert set(png_text_chunks(data)) == {"chara", "ccv3"}  # the stale card chunk is gone
    assert card_in_png(data, "ccv3") == v3
    assert card_in_png(data, "chara") == v2
    assert read_card_upload(data, "mira.png").raw == v3


def test_png_card_points_a_charx_icon_at_the_png_itself() -> None:
    v3 = copy.deepcopy(V3_CARD)
    v3["data"]["assets"] = [
        {"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"}
    ]
    data = png_card_file(tiny_png(), export(v3, V2), v3)

    assert card_in_png(data, "ccv3")["data"]["assets"] == [
        {"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}
    ]


def test_placeholder_is_a_readable_png_that_depends_on_the_seed() -> None:
    first, again, other = placeholder_png("mira"), placeholder_png("mira"), placeholder_png("xan")

    assert first == again and first != other
    assert len(first) < 2000
    assert (
        read_card_upload(png_card_file(first, export(V1_CARD, V2), export(V1_CARD)), "p.png").character.name == "Mira"
    )


def test_charx_keeps_its_files_and_writes_the_cover_as_the_main_icon() -> None:
    v3 = copy.deepcopy(V3_CARD)
    v3["data"]["assets"] = [
        {"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"}
    ]
    files = {"assets/icon/images/main.png": b"old", "assets/emotion/images/joy.png": tiny_png()}
    cover = Picture(tiny_png(rgb=b"\x01\x02\x03"), CoverMimeType.PNG, "main.png")

    written = charx_files(charx_card_file(v3, files, cover, 1_700_000_000_000))

    assert written["assets/icon/images/main.png"] == cover.data
    assert written["assets/emotion/images/joy.png"] == files["assets/emotion/images/joy.png"]
    assert read_card_value_from(written) == v3


def test_charx_moves_the_icon_when_the_cover_type_changed() -> None:
    v3 = copy.deepcopy(V3_CARD)
    v3["data"]["assets"] = [
        {"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"}
    ]
    cover = Picture(b"\xff\xd8\xff\xe0jpeg", CoverMimeType.JPEG, "c.jpg")

    written = charx_files(charx_card_file(v3, {}, cover, 1_700_000_000_000))

    assert written["assets/icon/images/main.jpg"] == cover.data
    icon = read_card_value_from(written)["data"]["assets"][0]
    assert (icon["uri"], icon["ext"]) == ("embeded://assets/icon/images/main.jpg", "jpg")


def read_card_value_from(files: dict[str, bytes]) -> Any:
    return json.loads(files["card.json"])


def test_json_card_file_is_compact_utf8() -> None:
    card = {"spec": "chara_card_v3", "data": {"name": "Míra"}}
    assert json_card_file(card) == '{"spec":"chara_card_v3","data":{"name":"Míra"}}'.encode()
