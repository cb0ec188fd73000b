"""The files an export writes: a PNG card, a JSON card and a CHARX.

* PNG: the picture with two `tEXt` chunks before `IEND`, `chara` (the V2 card) and `ccv3` (the
  V3 card), each base64 of the UTF-8 JSON; card chunks the picture had are dropped first. A
  main icon that pointed into a CHARX (`embeded://…`) now means the PNG itself (`ccdefault:`).
* JSON: the card, UTF-8, compact.
* CHARX: `card.json` and every file kept from the imported CHARX, with the cover written as
  the main icon (at the icon's old path when the type still fits, else `assets/icon/images/
  main.<ext>`, and the icon asset updated to point there).

Blocking (deflate): call these through a worker thread.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from runtime.archives._zip_format import write_zip
from runtime.interchange._card_file import CHARX_CARD_ENTRY, Picture, png_without_cards
from runtime.interchange._card_reader import JsonObject
from runtime.interchange._pictures import DEFAULT_ASSET_URI, EMBEDDED_SCHEMES, embedded_path, main_icon
from runtime.interchange._png import read_chunks, text_chunk, with_chunks_before_end
from runtime.model.characters import CoverMimeType

ICON_DIRECTORY = "assets/icon/images"
EXTENSIONS_BY_TYPE = {CoverMimeType.PNG: ("png",), CoverMimeType.JPEG: ("jpg", "jpeg"), CoverMimeType.WEBP: ("webp",)}


def json_card_file(card: JsonObject) -> bytes:
    return json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _base64_json(card: JsonObject) -> str:
    return base64.b64encode(json_card_file(card)).decode("ascii")


def png_card_file(picture_png: bytes, v2: JsonObject, v3: JsonObject) -> bytes:
    """`picture_png` (a PNG) carrying the card in `chara` (V2) and `ccv3` (V3) chunks."""
    chunks = read_chunks(picture_png)
    clean = png_without_cards(picture_png, chunks)
    if clean is not picture_png:
        chunks = read_chunks(clean)
    card_chunks = [text_chunk("chara", _base64_json(v2)), text_chunk("ccv3", _base64_json(_icon_is_the_png(v3)))]
    return with_chunks_before_end(clean, chunks, card_chunks)


def _icon_is_the_png(card: JsonObject) -> JsonObject:
    icon = main_icon(card["data"].get("assets") or [])
    if icon is None or not icon["uri"].startswith(EMBEDDED_SCHEMES):
        return card
    updated = copy.deepcopy(card)
    moved = main_icon(updated["data"]["assets"])
    assert moved is not None
    moved.update(uri=DEFAULT_ASSET_URI, ext="png")
    return updated


def charx_card_file(card: JsonObject, files: dict[str, bytes], cover: Picture | None, modified_at_ms: int) -> bytes:
    """A CHARX of `card` (V3), the kept `files`, and the cover as the main icon."""
    written = dict(files)
    if cover is not None:
        card = copy.deepcopy(card)
        written[_place_icon(card["data"], cover.mime_type)] = cover.data
    entries = [(CHARX_CARD_ENTRY, json_card_file(card)), *sorted(written.items())]
    return write_zip(entries, modified_at_ms)


def _place_icon(data: JsonObject, mime_type: CoverMimeType) -> str:
    """The path the cover goes to; points the main icon asset (added if missing) there."""
    assets: list[dict[str, Any]] = data.setdefault("assets", [])
    icon = main_icon(assets)
    old_path = None if icon is None else embedded_path(icon["uri"])
    extensions = EXTENSIONS_BY_TYPE[mime_type]
    if old_path is not None and old_path.lower().rsplit(".", 1)[-1] in extensions:
        return old_path
    path = f"{ICON_DIRECTORY}/main.{extensions[0]}"
    if icon is None:
        icon = {"type": "icon", "name": "main"}
        assets.append(icon)
    icon.update(uri=f"{EMBEDDED_SCHEMES[0]}{path}", ext=extensions[0])
    return path
