"""Writing a character as a card: the stored original, overlaid with what Dramaturg owns.

An export starts from the card the character was imported from (read again, so it is the
normalised card the import understood) and writes over it only the fields whose Dramaturg
content changed since the import: `name`; `personality` → `description` (and `personality`
emptied, since the two were joined on import); `style` → `mes_example`; `system_prompt`;
`tags`. Every other field, unknown ones and `extensions` included, comes back as it was. A
character that was never imported gets a fresh card built from its content. SillyTavern's
top-level copies of the V1 fields are kept, and overwritten where the field was.

The embedded `character_book` is written by the caller (from the lorebook the import made of
it, `_book_writer.write_card_book`) and passed in as `book`. A V2 card (`chara_card_v2`) leaves
out the V3-only fields and strips decorator lines from its lorebook entries. Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from runtime.interchange._card_reader import (
    DEFAULT_SPEC_VERSIONS,
    V3_ONLY_FIELDS,
    JsonObject,
    NormalizedCard,
    default_data,
)
from runtime.interchange._embedded_book import BOOK_FIELD, without_decorators
from runtime.model.cards import CardExportSpec, CardSpec
from runtime.model.characters import CharacterCardContent

Overlay = Callable[[CharacterCardContent], dict[str, Any]]
OVERLAYS: dict[str, Overlay] = {
    "name": lambda content: {"name": content.name},
    "personality": lambda content: {"description": content.personality, "personality": ""},
    "style": lambda content: {"mes_example": content.style},
    "system_prompt": lambda content: {"system_prompt": content.system_prompt},
    "tags": lambda content: {"tags": list(content.tags)},
}
"""Dramaturg's content field → the card fields it writes."""


def write_card(
    base: NormalizedCard | None,
    imported: CharacterCardContent | None,
    content: CharacterCardContent,
    spec: CardExportSpec,
    now_s: int,
    book: JsonObject | None = None,
) -> JsonObject:
    """The card JSON of a character. `base` and `imported` are the stored card read again and the
    content as imported (both None for a character that was never imported); `book`, when
    given, is the card's `character_book` as it is now."""
    data = copy.deepcopy(base.data) if base is not None else default_data()
    root = copy.deepcopy(base.root) if base is not None else {}
    changed = [field for field in OVERLAYS if imported is None or getattr(imported, field) != getattr(content, field)]
    for field in changed:
        for key, value in OVERLAYS[field](content).items():
            data[key] = value
            if key in root:  # SillyTavern's top-level copy follows the field
                root[key] = copy.deepcopy(value)
    book_changed = book is not None and book != data.get(BOOK_FIELD)
    if book is not None:
        data[BOOK_FIELD] = book
    if (changed or book_changed) and spec is CardExportSpec.V3:
        data["modification_date"] = now_s
    if spec is CardExportSpec.V2:
        return {"spec": spec.value, "spec_version": DEFAULT_SPEC_VERSIONS[CardSpec.V2], "data": _v2_data(data), **root}
    return {"spec": spec.value, "spec_version": _v3_version(base), "data": data, **root}


def _v3_version(base: NormalizedCard | None) -> str:
    if base is not None and base.spec is CardSpec.V3:
        return base.spec_version
    return DEFAULT_SPEC_VERSIONS[CardSpec.V3]


def _v2_data(data: JsonObject) -> JsonObject:
    v2 = {key: value for key, value in data.items() if key not in V3_ONLY_FIELDS}
    book = v2.get(BOOK_FIELD)
    if isinstance(book, dict):
        v2[BOOK_FIELD] = without_decorators(book)
    return v2
