"""Finding the card in an uploaded file: a PNG's text chunk, a CHARX's `card.json`, or JSON.

`read_card_file` recognises the container by its first bytes (never by the file name), takes
the card's JSON out of it under the limits, and returns it parsed, with the PNG itself (the
picture) or the CHARX's other files (its assets). Every refusal is an `UnreadableCard` whose
message says why: no card in the file, a damaged or hostile container, JSON that does not
parse or is too big or too deep. Blocking and CPU-bound: call it through a worker thread.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import attrs

from runtime.archives import UnsafeArchive, ZipLimits, read_zip_entries
from runtime.interchange._bounded_json import JsonLimits, UnsafeJson, parse_json
from runtime.interchange._file_kinds import image_type
from runtime.interchange._png import (
    CardText,
    PngChunk,
    PngLimits,
    UnsafePng,
    card_texts,
    chunk_keyword,
    is_card_keyword,
    is_png,
    read_chunks,
    without_chunks,
)
from runtime.interchange._report import ReportLines
from runtime.model.cards import CardContainer, ImportWarningCode
from runtime.model.characters import CoverMimeType

CHARX_CARD_ENTRY = "card.json"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
UTF8_BOM = b"\xef\xbb\xbf"
PNG_PICTURE_NAME = "cover.png"


class UnreadableCard(Exception):
    """No card could be read from the file; the message says why, without a prefix."""


@attrs.frozen(kw_only=True)
class CardLimits:
    """What a card file may hold, per container."""

    png: PngLimits = attrs.field(factory=PngLimits)
    json: JsonLimits = attrs.field(factory=JsonLimits)
    zip: ZipLimits = attrs.field(factory=ZipLimits)


@attrs.frozen
class Picture:
    """A cover: image bytes of a supported type and the file name it is stored under."""

    data: bytes = attrs.field(repr=False)
    mime_type: CoverMimeType
    file_name: str


@attrs.frozen
class CardFile:
    """What the container held: the card JSON, the PNG picture (PNG only), the other files (CHARX only)."""

    container: CardContainer
    card: Any
    picture: Picture | None
    files: dict[str, bytes]
    lines: ReportLines


def read_card_file(data: bytes, file_name: str | None, limits: CardLimits = CardLimits()) -> CardFile:
    """The card inside `data`. Raises UnreadableCard."""
    if not data:
        raise UnreadableCard("the file is empty")
    if is_png(data):
        return _read_png(data, file_name, limits)
    if data.startswith(ZIP_SIGNATURES):
        return _read_charx(data, limits)
    if data.removeprefix(UTF8_BOM).lstrip(b" \t\r\n").startswith(b"{"):  # an object, perhaps after a BOM
        return CardFile(CardContainer.JSON, _parse(data, limits, "the JSON file"), None, {}, ReportLines())
    kind = image_type(data)
    if kind is not None:
        raise UnreadableCard(
            f"no character card found: a {kind.extension.upper()} picture carries no card (send the card's JSON"
            " with the picture)"
        )
    raise UnreadableCard("no character card found: the file is neither a PNG card, a CHARX nor a JSON card")


def picture_from_bytes(data: bytes, file_name: str | None = None, limits: CardLimits = CardLimits()) -> Picture:
    """A cover from image bytes: PNG (without any card chunks it carries), JPEG or WebP.
    Raises UnreadableCard for anything else or a damaged PNG."""
    mime_type = image_type(data)
    if mime_type is None:
        raise UnreadableCard("the picture is not a PNG, JPEG or WebP image")
    if mime_type is CoverMimeType.PNG:
        try:
            data = png_without_cards(data, read_chunks(data, limits.png))
        except UnsafePng as exc:
            raise UnreadableCard(f"damaged or hostile PNG picture: {exc}") from exc
    return Picture(data, mime_type, file_name or mime_type.default_file_name)


def _parse(text: bytes | str, limits: CardLimits, where: str) -> Any:
    try:
        return parse_json(text, limits.json)
    except UnsafeJson as exc:
        raise UnreadableCard(f"{where}: {exc}") from exc


# -- PNG ---------------------------------------------------------------------------------


def _read_png(data: bytes, file_name: str | None, limits: CardLimits) -> CardFile:
    try:
        chunks = read_chunks(data, limits.png)
        texts = card_texts(data, chunks, limits.png)
    except UnsafePng as exc:
        raise UnreadableCard(f"damaged or hostile PNG: {exc}") from exc
    keyword = next((keyword for keyword in ("ccv3", "chara") if keyword in texts), None)
    if keyword is None:
        raise UnreadableCard("no character card found: the PNG has no chara or ccv3 text chunk")
    lines = ReportLines()
    chosen = _chosen_text(texts, keyword, lines)
    card = _parse(_card_json_text(chosen), limits, f"the {chosen.keyword} chunk")
    picture = Picture(png_without_cards(data, chunks), CoverMimeType.PNG, _png_name(file_name))
    return CardFile(CardContainer.PNG, card, picture, {}, lines)


def _chosen_text(texts: dict[str, list[CardText]], keyword: str, lines: ReportLines) -> CardText:
    chosen = texts[keyword][0]
    if len(texts[keyword]) > 1:
        lines.warn(
            ImportWarningCode.DUPLICATE_CARD_CHUNK,
            f"the PNG has {len(texts[keyword])} {keyword} chunks: the first is read",
        )
    if not chosen.crc_ok:
        lines.warn(ImportWarningCode.DAMAGED_CHUNK, f"the {chosen.keyword} chunk's CRC does not match: read anyway")
    if keyword == "ccv3" and "chara" in texts:
        lines.ignored("png:chara", "the V2 copy of the card; the ccv3 chunk is read (CCv3)")
    return chosen


def _card_json_text(text: CardText) -> bytes | str:
    """The JSON a card chunk holds: base64 of UTF-8 (the standard), or the JSON itself (some tools)."""
    value = text.text.strip()
    if value.startswith("{"):
        return value
    try:
        if "-" in value or "_" in value:
            return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return base64.b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise UnreadableCard(f"the {text.keyword} chunk is neither base64 nor JSON") from exc


def png_without_cards(data: bytes, chunks: list[PngChunk]) -> bytes:
    """The PNG without its card chunks: the picture, which must not carry a stale card along."""
    return without_chunks(data, chunks, lambda chunk: is_card_keyword(chunk_keyword(data, chunk)))


def _png_name(file_name: str | None) -> str:
    if file_name and file_name.lower().endswith(".png"):
        return file_name
    return PNG_PICTURE_NAME


# -- CHARX -------------------------------------------------------------------------------


def _read_charx(data: bytes, limits: CardLimits) -> CardFile:
    try:
        files = read_zip_entries(data, limits.zip)
    except UnsafeArchive as exc:
        raise UnreadableCard(f"invalid CHARX: {exc}") from exc
    if CHARX_CARD_ENTRY not in files:
        raise UnreadableCard("no character card found: the CHARX has no card.json at its root")
    card = _parse(files.pop(CHARX_CARD_ENTRY), limits, CHARX_CARD_ENTRY)
    return CardFile(CardContainer.CHARX, card, None, files, ReportLines())
