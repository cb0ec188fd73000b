"""Character cards: the content, the stored record with its cover, and the `character.*` payloads
(PROTOCOL §6.11)."""

from __future__ import annotations

import enum
from typing import ClassVar

import attrs


class CoverMimeType(enum.Enum):
    """The image types a cover may have (PROTOCOL §5.1)."""

    PNG = "image/png"
    JPEG = "image/jpeg"
    WEBP = "image/webp"

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]

    @property
    def default_file_name(self) -> str:
        """`cover.<ext>`: the name a cover gets when none was given, and its name inside a `.chr`."""
        return f"cover.{self.extension}"

    @classmethod
    def from_value(cls, value: str) -> CoverMimeType | None:
        return next((member for member in cls if member.value == value), None)


_EXTENSIONS = {CoverMimeType.PNG: "png", CoverMimeType.JPEG: "jpg", CoverMimeType.WEBP: "webp"}


@attrs.frozen
class CharacterCardContent:
    """The card itself. Unknown keys are ignored (PROTOCOL §3.4), here and inside `.chr` archives."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    id: str
    name: str
    personality: str
    style: str
    schema_id: str
    system_prompt: str
    tags: list[str] = attrs.Factory(list)
    folder: str = ""


@attrs.frozen
class CharacterRecord:
    """A character as stored: its content plus the blob that holds its cover, if any."""

    content: CharacterCardContent
    cover_blob_id: str | None = None
    cover_file_name: str | None = None
    cover_mime_type: CoverMimeType | None = None

    @property
    def character_id(self) -> str:
        return self.content.id

    def without_cover(self) -> CharacterRecord:
        return attrs.evolve(self, cover_blob_id=None, cover_file_name=None, cover_mime_type=None)


# -- payloads ----------------------------------------------------------------------------


@attrs.frozen
class CharacterSummary:
    character_id: str
    name: str
    personality: str
    style: str
    tags: list[str]
    folder: str
    cover_file_name: str | None
    cover_mime_type: CoverMimeType | None


@attrs.frozen
class CharacterCreated:
    character_id: str
    character_summary: CharacterSummary


@attrs.frozen
class Character:
    character_id: str
    content: CharacterCardContent
    cover_file_name: str | None
    cover_mime_type: CoverMimeType | None


@attrs.frozen
class CharactersListed:
    characters: list[CharacterSummary]


@attrs.frozen
class CharacterDeleted:
    character_id: str


# -- params ------------------------------------------------------------------------------


@attrs.frozen
class CharacterCreateParams:
    content: CharacterCardContent
    """The character card: `id` (chosen by the client), name, personality, style, system prompt and state schema."""


@attrs.frozen
class CharacterIdParams:
    character_id: str
    """The character's id."""


@attrs.frozen
class CharacterUpdateParams:
    character_id: str
    """The character's id."""
    content: CharacterCardContent
    """The whole card, replacing the stored one; its `id` must be `character_id`."""
