"""From a normalised card to the Dramaturg character's fields (INTERCHANGE.md §6), field by field.

`map_card` returns the fields Dramaturg owns and one report line per standard field: mapped
(to which field), defaulted (with the value), kept (stored with the original card, exported
again) or ignored. The embedded `character_book` and the `assets` are reported by the steps
that handle them. Pure; no I/O.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from runtime.interchange._card_reader import FieldReading, NormalizedCard, ReadState
from runtime.interchange._report import ReportLines

CHAR_MACRO = re.compile(r"\{\{\s*char\s*\}\}|<bot>|<char>", re.IGNORECASE)
USER_MACRO = re.compile(r"\{\{\s*user\s*\}\}|<user>", re.IGNORECASE)
ORIGINAL_MACRO = re.compile(r"\{\{\s*original\s*\}\}", re.IGNORECASE)
PERSONA_SEPARATOR = "\n\n"

MAPPED_TO = {
    "name": "name",
    "description": "personality",
    "personality": "personality",
    "mes_example": "style",
    "system_prompt": "system_prompt",
    "tags": "tags",
}
MAPPING_NOTES = {
    "description": "the persona text: personality is description and personality joined by a blank line",
    "personality": "appended to description (after a blank line) in personality",
    "mes_example": "the example dialogue is the character's style sample; macros normalised to {{char}}/{{user}}",
    "system_prompt": "{{original}} removed; macros normalised to {{char}}/{{user}}",
}
KEPT_NOTES = {
    "scenario": "not used in prompts; kept (a story resource candidate)",
    "first_mes": "the greeting is not used in prompts; kept",
    "alternate_greetings": "not used in prompts; kept",
    "group_only_greetings": "not used in prompts; kept",
    "creator_notes": "shown to users, never in prompts; kept",
    "creator_notes_multilingual": "shown to users, never in prompts; kept",
    "post_history_instructions": "not used in prompts; kept",
    "creator": "kept",
    "character_version": "kept",
    "nickname": "what {{char}} renders in other tools; Dramaturg renders the name; kept",
    "source": "kept",
    "creation_date": "kept",
    "modification_date": "kept",
    "assets": "kept; the main icon is the picture",
    "extensions": "tool-specific data; kept unchanged for export",
}
EXTENSION_NOTES = {
    "world": "name of a linked World Info file; kept (the link is not followed: import the World Info file itself)",
    "depth_prompt": "SillyTavern's character note; not used in prompts; kept",
    "talkativeness": "SillyTavern's group-chat talkativeness; kept",
    "fav": "SillyTavern's favourite flag; kept",
    "regex_scripts": "SillyTavern's regex scripts; not run by Dramaturg; kept",
    "risuai": "RisuAI's own data; kept",
    "agnai": "Agnai's own data; kept",
}
HANDLED_ELSEWHERE = frozenset({"character_book"})


@attrs.frozen
class CardCharacter:
    """The character fields a card gives (the id, schema and folder are chosen at import)."""

    name: str
    personality: str
    style: str
    system_prompt: str
    tags: list[str]


def normalise_macros(text: str) -> str:
    """`<BOT>`, `<char>` and `{{char}}` in any case become `{{char}}`; `<USER>` and `{{user}}` become `{{user}}`."""
    return USER_MACRO.sub("{{user}}", CHAR_MACRO.sub("{{char}}", text))


def persona_text(description: str, personality: str) -> str:
    return PERSONA_SEPARATOR.join(part for part in (description.strip(), personality.strip()) if part)


def map_card(card: NormalizedCard) -> tuple[CardCharacter, ReportLines]:
    """The character fields and the report lines of the standard fields (in `STANDARD_FIELDS` order)."""
    data = card.data
    system_prompt = ORIGINAL_MACRO.sub("", data["system_prompt"]).strip()
    character = CardCharacter(
        name=data["name"].strip(),
        personality=normalise_macros(persona_text(data["description"], data["personality"])),
        style=normalise_macros(data["mes_example"]),
        system_prompt=normalise_macros(system_prompt),
        tags=list(data["tags"]),
    )
    lines = ReportLines()
    for field, reading in card.readings.items():
        if field not in HANDLED_ELSEWHERE:
            _report_field(lines, field, reading, data.get(field))
    return character, lines


def _report_field(lines: ReportLines, field: str, reading: FieldReading, value: Any) -> None:
    target = MAPPED_TO.get(field)
    if reading.state is ReadState.DEFAULTED:
        if value is None:  # an optional field that was left out of the card
            lines.ignored(reading.path, reading.note or "unusable")
        else:
            lines.defaulted(reading.path, value, reading.note or "missing", target=target)
        return
    note = _joined(reading.note, MAPPING_NOTES.get(field) if target else KEPT_NOTES.get(field, "kept"))
    if target is not None:
        lines.mapped(reading.path, target, note)
        return
    lines.kept(reading.path, note or "kept")
    if field == "extensions":
        for key in value:
            lines.kept(f"{reading.path}.{key}", EXTENSION_NOTES.get(key, "kept unchanged for export"))


def _joined(first: str | None, second: str | None) -> str | None:
    parts = [part for part in (first, second) if part]
    return "; ".join(parts) if parts else None
