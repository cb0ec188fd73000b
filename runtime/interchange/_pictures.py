"""The card's picture and assets: which picture becomes the cover, and what happens to the rest.

The cover is the PNG itself for a PNG card, or the picture sent beside a JSON card; else it is the main icon
asset (`type: icon`, `name: main`, else the first icon) when its bytes are there (`embeded://`
inside the CHARX, or a `data:` URL) and are PNG, JPEG or WebP. Remote URLs are not fetched.
Every asset Dramaturg cannot keep or use is named in a warning. Pure.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from typing import Any

from runtime.interchange._card_file import CardFile, Picture, UnreadableCard, picture_from_bytes
from runtime.interchange._card_reader import NormalizedCard
from runtime.interchange._report import ReportLines
from runtime.model.cards import CardContainer, ImportWarningCode

EMBEDDED_SCHEMES = ("embeded://", "embedded://")  # the spec's spelling, and the one people write
DEFAULT_ASSET_URI = "ccdefault:"
DATA_URL_PREFIX = "data:"


def main_icon(assets: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The icon named `main`, else the first icon, else None."""
    icons = [asset for asset in assets if asset.get("type") == "icon"]
    return next((icon for icon in icons if icon.get("name") == "main"), icons[0] if icons else None)


def embedded_path(uri: str) -> str | None:
    """The file path of an `embeded://path` URI inside a CHARX (None for other URIs)."""
    for scheme in EMBEDDED_SCHEMES:
        if uri.startswith(scheme):
            return uri[len(scheme) :].lstrip("/")
    return None


def choose_picture(card: NormalizedCard, file: CardFile, lines: ReportLines) -> Picture | None:
    """The cover for the character, reporting the assets on the way. None (and a warning) if there is none."""
    assets: list[dict[str, Any]] = card.data.get("assets", [])
    _report_assets(assets, file, lines)
    icon = main_icon(assets)
    picture = file.picture or _icon_picture(icon, file, lines)
    if picture is None:
        lines.warn(
            ImportWarningCode.NO_PICTURE, "the card has no picture Dramaturg can use: the character has no cover"
        )
    elif file.picture is not None:
        source = "the PNG image itself" if file.container is CardContainer.PNG else "the picture sent with the card"
        lines.mapped("picture", "cover", source)
    else:
        assert icon is not None
        lines.mapped("picture", "cover", f"the {icon.get('name')!r} icon asset {_describe(icon['uri'])}")
    return picture


def _icon_picture(icon: dict[str, Any] | None, file: CardFile, lines: ReportLines) -> Picture | None:
    if icon is None:
        return None
    uri: str = icon["uri"]
    data = _asset_bytes(uri, file)
    if data is None:
        return None
    path = embedded_path(uri)
    try:
        return picture_from_bytes(data, posixpath.basename(path) if path else None)
    except UnreadableCard as exc:
        lines.warn(ImportWarningCode.UNSUPPORTED_ASSET, f"the icon {_describe(uri)}: {exc}")
        return None


def _asset_bytes(uri: str, file: CardFile) -> bytes | None:
    path = embedded_path(uri)
    if path is not None:
        return file.files.get(path)
    if uri.startswith(DATA_URL_PREFIX):
        return _data_url_bytes(uri)
    return None


def _data_url_bytes(uri: str) -> bytes | None:
    header, comma, payload = uri.partition(",")
    if not comma or not header.endswith(";base64"):
        return None
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None


def _report_assets(assets: list[dict[str, Any]], file: CardFile, lines: ReportLines) -> None:
    for index, asset in enumerate(assets):
        problem = _asset_problem(asset["uri"], file)
        if problem is not None:
            name = asset.get("name")
            shown = f"{asset['type']} asset {name!r}" if isinstance(name, str) else f"assets[{index}]"
            lines.warn(ImportWarningCode.UNSUPPORTED_ASSET, f"{shown}: {problem}")
    referenced = {embedded_path(asset["uri"]) for asset in assets}
    unreferenced = [path for path in file.files if path not in referenced]
    if file.files:
        extra = f", {len(unreferenced)} of them not named by an asset" if unreferenced else ""
        lines.kept("charx:files", f"{len(file.files)} files besides card.json kept for export{extra}")


def _asset_problem(uri: str, file: CardFile) -> str | None:
    path = embedded_path(uri)
    if path is not None:
        if file.container is not CardContainer.CHARX:
            return f"{_describe(uri)} points into a CHARX, but the card came as {file.container.value}"
        return None if path in file.files else f"{_describe(uri)} is not in the CHARX"
    if uri == DEFAULT_ASSET_URI or uri.startswith((DATA_URL_PREFIX, "__asset:")):
        return None
    if uri.startswith(("https://", "http://")):
        return f"{_describe(uri)} is not downloaded; the URL is kept"
    return f"the URI {_describe(uri)} is of a kind Dramaturg does not read; kept"


def _describe(uri: str) -> str:
    """The URI quoted for a message; a data URL by its header alone."""
    if uri.startswith(DATA_URL_PREFIX):
        uri = uri.partition(",")[0] + ",…"
    return repr(uri) if len(uri) <= 80 else repr(uri[:77] + "…")
