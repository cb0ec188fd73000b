"""Registrations of `character.*`, with the card import and export extensions. Covers, `.chr` archives
and card files use the binary routes (`transport.files`)."""

from __future__ import annotations

from runtime.model import cards
from runtime.model import characters as model
from runtime.services import card_export, card_import, characters
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method(
        "character.create",
        model.CharacterCreateParams,
        "character_created",
        model.CharacterCreated,
        forward(characters.create_character),
    ),
    Method("character.get", model.CharacterIdParams, "character", model.Character, forward(characters.get_character)),
    Method(
        "character.update",
        model.CharacterUpdateParams,
        "character",
        model.Character,
        forward(characters.update_character),
    ),
    Method(
        "character.list",
        NoParams,
        "characters_listed",
        model.CharactersListed,
        forward_without_params(characters.list_characters),
    ),
    Method(
        "character.delete",
        model.CharacterIdParams,
        "character_deleted",
        model.CharacterDeleted,
        forward(characters.delete_character),
    ),
    Method(
        "character.import_card",
        cards.CharacterImportCardParams,
        "character_card_imported",
        cards.CharacterCardImported,
        forward(card_import.import_card),
    ),
    Method(
        "character.export_card",
        cards.CharacterExportCardParams,
        "character_card_exported",
        cards.CharacterCardExported,
        forward(card_export.export_card),
    ),
]
