"""Registrations of `character.*`. Covers and `.chr` archives use the binary routes (`transport.files`)."""

from __future__ import annotations

from runtime.model import characters as model
from runtime.services import characters
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
]
