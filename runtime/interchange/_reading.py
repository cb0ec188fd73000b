"""One card file, or one card value, read all the way to the character it describes.

`read_card_upload` takes the bytes of an uploaded file, `read_card_value` a card that arrived
already parsed (the JSON body of an RPC call) and perhaps a picture beside it. Both return a
`CardReading`: the normalised card, the character fields, the picture, the files to keep, and
the report lines so far. Nothing is stored here. Raises `UnreadableCard` when there is no
usable card. Blocking and CPU-bound: call them through a worker thread.
"""

from __future__ import annotations

from typing import Any

import attrs

from runtime.interchange._book_file import file_stem
from runtime.interchange._bounded_json import UnsafeJson, check_json_value
from runtime.interchange._card_file import CardFile, CardLimits, Picture, UnreadableCard, read_card_file
from runtime.interchange._card_reader import NormalizedCard, NotACard, read_card
from runtime.interchange._mapping import CardCharacter, map_card
from runtime.interchange._pictures import choose_picture
from runtime.interchange._report import ReportLines
from runtime.model.cards import CardContainer


@attrs.frozen
class CardReading:
    file_name: str | None
    container: CardContainer
    raw: Any  # the card JSON as read, stored as the original
    card: NormalizedCard
    character: CardCharacter
    picture: Picture | None
    files: dict[str, bytes]  # a CHARX's files besides card.json
    lines: ReportLines


def read_card_upload(data: bytes, file_name: str | None, limits: CardLimits = CardLimits()) -> CardReading:
    """The card in an uploaded file (PNG, CHARX or JSON). Raises UnreadableCard."""
    return _reading(read_card_file(data, file_name, limits), file_name)


def read_card_value(
    value: Any, file_name: str | None, picture: Picture | None, limits: CardLimits = CardLimits()
) -> CardReading:
    """A card that was parsed already, with an optional picture that wins over its icon asset."""
    try:
        check_json_value(value, limits.json)
    except UnsafeJson as exc:
        raise UnreadableCard(str(exc)) from exc
    return _reading(CardFile(CardContainer.JSON, value, picture, {}, ReportLines()), file_name)


def reread_card(raw: Any, file_name: str | None) -> NormalizedCard:
    """A stored original card read again, exactly as its import read it (the start of an export)."""
    return read_card(raw, file_stem(file_name))


def _reading(file: CardFile, file_name: str | None) -> CardReading:
    try:
        card = read_card(file.card, file_stem(file_name))
    except NotACard as exc:
        raise UnreadableCard(str(exc)) from exc
    character, mapped = map_card(card)
    lines = ReportLines()
    lines.extend(file.lines)
    lines.extend(mapped)
    lines.extend(card.lines)
    picture = choose_picture(card, file, lines)
    return CardReading(file_name, file.container, file.card, card, character, picture, file.files, lines)
