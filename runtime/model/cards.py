"""Community character cards (INTERCHANGE.md): the import report, the stored original card, and
the params and payloads of `character.import_card` / `character.export_card` and the card slots."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from runtime.files import ResourceFilePayload
from runtime.model._fields import omittable
from runtime.model.characters import CharacterCardContent


class CardContainer(enum.Enum):
    """The kind of file a card came in."""

    PNG = "png"
    JSON = "json"
    CHARX = "charx"


class CardSpec(enum.Enum):
    """The card format as read. V1 cards carry no `spec`; the name is Dramaturg's."""

    V1 = "chara_card_v1"
    V2 = "chara_card_v2"
    V3 = "chara_card_v3"


class CardExportSpec(enum.Enum):
    """The card formats Dramaturg writes."""

    V2 = "chara_card_v2"
    V3 = "chara_card_v3"


class FieldOutcome(enum.Enum):
    """What an import did with one field of the card."""

    MAPPED = "mapped"  # became (part of) a Dramaturg field, named by `target`
    DEFAULTED = "defaulted"  # missing or unusable: the default `value` stands in for it
    KEPT = "kept"  # not used by Dramaturg, stored with the original card and exported again
    IGNORED = "ignored"  # not used and not needed for export; `note` says why


class ImportWarningCode(enum.Enum):
    RENAMED_ID = "renamed_id"  # the id derived from the name was taken: a suffix was added
    NAME_FROM_FILE_NAME = "name_from_file_name"
    NEWER_SPEC_VERSION = "newer_spec_version"  # spec_version above what Dramaturg knows
    UNKNOWN_SPEC = "unknown_spec"
    ODD_FIELD = "odd_field"  # a field of the wrong type or shape, normalised or defaulted
    DUPLICATE_CARD_CHUNK = "duplicate_card_chunk"
    DAMAGED_CHUNK = "damaged_chunk"  # a card chunk whose CRC does not match; read anyway
    UNKNOWN_DECORATOR = "unknown_decorator"
    UNSUPPORTED_ASSET = "unsupported_asset"  # an asset Dramaturg could not keep or use
    NO_PICTURE = "no_picture"
    INVALID_REGEX_KEY = "invalid_regex_key"  # a lorebook keyword that does not compile: it never matches
    DUPLICATE_ENTRY_ID = "duplicate_entry_id"  # two lorebook entries with one id: the later one renamed
    SETTING_NOT_APPLIED = "setting_not_applied"  # a lorebook setting the engine cannot follow: kept, not used


@attrs.frozen
class CardFieldReport:
    """One field of the card: its path in the file (`data.description`) and what became of it."""

    field: str
    outcome: FieldOutcome
    target: str | None = omittable()  # the Dramaturg field it was mapped to
    value: Any = omittable()  # the default used, when defaulted
    note: str | None = omittable()
    count: int | None = omittable()  # lorebook entry fields: how many entries the line stands for


@attrs.frozen
class ImportWarning:
    code: ImportWarningCode
    message: str


@attrs.frozen
class CreatedIds:
    """The ids of the records one import created, per kind (a file may create several)."""

    characters: list[str] = attrs.Factory(list)
    schemas: list[str] = attrs.Factory(list)
    blobs: list[str] = attrs.Factory(list)
    lorebooks: list[str] = attrs.Factory(list)


@attrs.frozen
class CardImportReport:
    file_name: str | None
    container: CardContainer
    spec: CardSpec
    spec_version: str
    character_id: str
    schema_id: str
    created: CreatedIds
    fields: list[CardFieldReport]
    warnings: list[ImportWarning]


@attrs.frozen
class StoredCard:
    """The card a character was imported from, kept so that an export loses nothing.

    `imported` is the content as the import made it: an export overlays only the fields whose
    content has changed since, so everything else comes back exactly as the card had it.
    """

    character_id: str
    container: CardContainer
    spec: CardSpec
    file_name: str | None
    imported_at_ms: int
    imported: CharacterCardContent
    card: Any  # the card JSON as read (for a PNG, from the winning chunk)


# -- params and payloads ------------------------------------------------------------------


@attrs.frozen
class CardPicture:
    """A picture sent beside a JSON card: PNG, JPEG or WebP bytes in base64."""

    content_type: str
    data_base64: str = attrs.field(repr=False)


@attrs.frozen
class CharacterImportCardParams:
    card: Any
    """The card object: V1, V2 (SillyTavern's hybrid form included) or V3."""
    character_id: str | None = None
    """The new character's id; omitted: a slug of the card's name, made unique."""
    schema_id: str | None = None
    """The state schema of the new character; omitted: the built-in `character-card` schema."""
    file_name: str | None = None
    """The card's file name, which names the character when the card has no name."""
    picture: CardPicture | None = None
    """A cover picture `{content_type, data_base64}`: PNG, JPEG or WebP."""


@attrs.frozen
class CharacterCardImported:
    character_id: str
    report: CardImportReport


@attrs.frozen
class CharacterExportCardParams:
    character_id: str
    """The character's id."""
    spec: CardExportSpec = CardExportSpec.V3
    """`chara_card_v3` (default) or `chara_card_v2`."""


@attrs.frozen
class CharacterCardExported:
    character_id: str
    card: Any


@attrs.frozen
class CardImportPayload(ResourceFilePayload):
    """The answer of a card upload: the upload payload of PROTOCOL §5.3, with the import report."""

    character_id: str
    report: CardImportReport
