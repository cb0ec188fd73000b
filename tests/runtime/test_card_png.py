"""`runtime.interchange._png` and the PNG container: chunks, card text chunks, hostile files."""

from __future__ import annotations

import struct
import zlib

import pytest

from runtime.interchange import CardLimits, PngLimits, UnreadableCard, read_card_upload
from runtime.interchange._png import UnsafePng, card_texts, read_chunks
from runtime.model.cards import CardContainer, ImportWarningCode
from tests.support.cards import (
    SIGNATURE,
    V1_CARD,
    V2_CARD,
    V3_CARD,
    b64_json,
    chunk,
    itxt_chunk,
    png_text_chunks,
    text_chunk,
    tiny_png,
    ztxt_chunk,
)

MIB = 1024 * 1024


def refusal(data: bytes, limits: CardLimits = CardLimits()) -> str:
    with pytest.raises(UnreadableCard) as caught:
        read_card_upload(data, "card.png", limits)
    return str(caught.value)


@pytest.mark.parametrize(
    "card_chunk",
    [
        text_chunk("chara", V2_CARD),
        ztxt_chunk("chara", V2_CARD),
        itxt_chunk("chara", V2_CARD, compressed=False),
        itxt_chunk("chara", V2_CARD, compressed=True),
        text_chunk("CHARA", V2_CARD),
        text_chunk("Chara", V2_CARD),
    ],
    ids=["tEXt", "zTXt", "iTXt", "iTXt-deflated", "upper-case", "mixed-case"],
)
def test_the_card_is_found_in_every_text_chunk_kind_and_keyword_case(card_chunk: bytes) -> None:
    reading = read_card_upload(tiny_png(card_chunk), "mira.png")

    assert reading.container is CardContainer.PNG
    assert reading.raw == V2_CARD
    assert reading.character.name == "Mira"


def test_ccv3_wins_over_chara_whatever_their_order_and_the_v2_copy_is_reported() -> None:
    for chunks in (
        [text_chunk("chara", V2_CARD), text_chunk("ccv3", V3_CARD)],
        [text_chunk("ccv3", V3_CARD), text_chunk("chara", V2_CARD)],
    ):
        reading = read_card_upload(tiny_png(*chunks), "mira.png")
        assert reading.raw == V3_CARD
        assert ("png:chara", "ignored") in [(line.field, line.outcome.value) for line in reading.lines.fields]


def test_risu_asset_chunks_and_other_text_chunks_are_not_taken_for_the_card() -> None:
    asset = chunk(b"tEXt", b"chara-ext-asset_:sprites/happy.png\0" + b"aGVsbG8=")
    comment = chunk(b"tEXt", b"Comment\0made by hand")
    reading = read_card_upload(tiny_png(asset, comment, text_chunk("chara", V1_CARD)), "mira.png")

    assert reading.raw == V1_CARD
    assert reading.picture is not None
    kept = png_text_chunks(reading.picture.data)
    assert set(kept) == {"chara-ext-asset_:sprites/happy.png", "Comment"}  # only the card chunk left the picture


def test_the_picture_is_the_png_without_its_card_chunks() -> None:
    data = tiny_png(text_chunk("chara", V2_CARD), text_chunk("ccv3", V3_CARD))
    reading = read_card_upload(data, "Mira.png")

    assert reading.picture is not None
    assert reading.picture.file_name == "Mira.png"
    assert reading.picture.data == tiny_png()


def test_a_card_chunk_with_a_wrong_crc_is_read_with_a_warning() -> None:
    bad = chunk(b"tEXt", b"chara\0" + b64_json(V1_CARD), crc=12345)
    reading = read_card_upload(tiny_png(bad), "mira.png")

    assert reading.raw == V1_CARD
    assert ImportWarningCode.DAMAGED_CHUNK in [warning.code for warning in reading.lines.warnings]


def test_two_chara_chunks_read_the_first_and_warn() -> None:
    second = {**V1_CARD, "name": "Other"}
    reading = read_card_upload(tiny_png(text_chunk("chara", V1_CARD), text_chunk("chara", second)), "x.png")

    assert reading.character.name == "Mira"
    assert ImportWarningCode.DUPLICATE_CARD_CHUNK in [warning.code for warning in reading.lines.warnings]


def test_a_chunk_holding_plain_json_instead_of_base64_is_read() -> None:
    plain = chunk(b"tEXt", b"chara\0" + b'{"name": "Plain", "description": "x"}')
    assert read_card_upload(tiny_png(plain), None).character.name == "Plain"


# -- refused -----------------------------------------------------------------------------


def test_a_png_without_a_card_is_refused() -> None:
    assert refusal(tiny_png()) == "no character card found: the PNG has no chara or ccv3 text chunk"


def test_a_truncated_png_is_refused() -> None:
    data = tiny_png(text_chunk("chara", V1_CARD))
    assert "truncated PNG" in refusal(data[: len(data) - 20])
    assert "truncated PNG" in refusal(SIGNATURE + chunk(b"IHDR", bytes(13)))  # no IEND at all


def test_a_chunk_longer_than_the_file_is_refused() -> None:
    lying = struct.pack(">I", 10_000) + b"tEXt" + b"chara\0"
    assert "runs past the end of the file" in refusal(SIGNATURE + lying)


def test_a_chunk_over_the_size_limit_is_refused_before_it_is_read() -> None:
    limits = CardLimits(png=PngLimits(max_chunk_bytes=1000))
    big = chunk(b"tEXt", b"Comment\0" + b"x" * 2000)
    assert "over the limit of 1000" in refusal(tiny_png(big, text_chunk("chara", V1_CARD)), limits)


def test_too_many_chunks_are_refused() -> None:
    limits = CardLimits(png=PngLimits(max_chunks=50))
    filler = [chunk(b"tIME", bytes(7)) for _ in range(60)]
    assert refusal(tiny_png(*filler, text_chunk("chara", V1_CARD)), limits) == (
        "damaged or hostile PNG: more than 50 chunks"
    )


def test_a_ztxt_bomb_is_stopped_at_the_limit_while_inflating() -> None:
    limits = CardLimits(png=PngLimits(max_text_bytes=1 * MIB))
    bomb = zlib.compress(b"A" * (64 * MIB), 9)  # 64 KiB that would inflate to 64 MiB
    assert len(bomb) < 100_000
    data = tiny_png(chunk(b"zTXt", b"chara\0\0" + bomb))
    assert refusal(data, limits) == f"damaged or hostile PNG: a zTXt chunk inflates to more than {MIB} bytes"


def test_an_itxt_bomb_is_stopped_too() -> None:
    limits = CardLimits(png=PngLimits(max_text_bytes=MIB))
    bomb = zlib.compress(b"A" * (8 * MIB), 9)
    data = tiny_png(chunk(b"iTXt", b"ccv3\0\x01\x00\0\0" + bomb))
    assert "iTXt chunk inflates to more than" in refusal(data, limits)


def test_compressed_text_of_other_keywords_is_never_inflated() -> None:
    bomb = zlib.compress(b"A" * (64 * MIB), 9)
    limits = PngLimits(max_text_bytes=1024)
    data = tiny_png(chunk(b"zTXt", b"Comment\0\0" + bomb), text_chunk("chara", V1_CARD))

    texts = card_texts(data, read_chunks(data, limits), limits)  # no UnsafePng for the Comment bomb

    assert list(texts) == ["chara"]


def test_damaged_compressed_text_and_bad_base64_are_refused_clearly() -> None:
    assert "damaged zTXt chunk" in refusal(tiny_png(chunk(b"zTXt", b"chara\0\0not zlib at all")))
    assert refusal(tiny_png(chunk(b"tEXt", b"chara\0!!!"))).startswith("the chara chunk: the card is not valid JSON")


def test_not_a_png_at_all() -> None:
    with pytest.raises(UnsafePng, match="not a PNG file"):
        read_chunks(b"GIF89a....")
