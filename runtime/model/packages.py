"""Data packages: the `data_package.*` params and payloads, and the archive manifest
(PROTOCOL §6.19, §16.2).

`PackageContents` is both the `contents` of the payloads and the `contents` of the manifest:
per record kind, the sorted unique ids and their count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import attrs

from runtime.model._fields import omittable


@attrs.frozen
class PackageIds:
    """The ids of one record kind in a package: sorted, unique, and how many."""

    ids: list[str]
    count: int

    @classmethod
    def of(cls, ids: Iterable[str]) -> PackageIds:
        unique = sorted(set(ids))
        return cls(unique, len(unique))


def _no_ids() -> PackageIds:
    return PackageIds([], 0)


@attrs.frozen(kw_only=True)
class PackageContents:
    """What a package holds, by kind, in the order of PROTOCOL §6.19."""

    presets: PackageIds = attrs.field(factory=_no_ids)
    schemas: PackageIds = attrs.field(factory=_no_ids)
    lorebooks: PackageIds = attrs.field(factory=_no_ids)
    player_profiles: PackageIds = attrs.field(factory=_no_ids)
    characters: PackageIds = attrs.field(factory=_no_ids)
    story_resources: PackageIds = attrs.field(factory=_no_ids)
    stories: PackageIds = attrs.field(factory=_no_ids)


PACKAGE_KINDS: tuple[str, ...] = (
    "presets",
    "schemas",
    "lorebooks",
    "player_profiles",
    "characters",
    "story_resources",
    "stories",
)
"""The fields of `PackageContents`, in the order conflicts are checked on import."""


@attrs.frozen
class ArchiveSlot:
    """The binary slot a package is downloaded from or uploaded to (PROTOCOL §5.2)."""

    resource_id: str
    file_id: str


# -- params and payloads -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ExportPrepareParams:
    preset_ids: list[str] = attrs.field(factory=list)
    """Presets to export."""
    schema_ids: list[str] = attrs.field(factory=list)
    """State schemas to export."""
    lorebook_ids: list[str] = attrs.field(factory=list)
    """Lorebooks to export."""
    player_profile_ids: list[str] = attrs.field(factory=list)
    """Player profiles to export."""
    character_ids: list[str] = attrs.field(factory=list)
    """Characters to export, with their covers."""
    story_resource_ids: list[str] = attrs.field(factory=list)
    """Story-resources bundles to export."""
    story_ids: list[str] = attrs.field(factory=list)
    """Stories to export."""
    include_dependencies: bool = True
    """Also export what the chosen records refer to (schemas, characters, lorebooks …)."""


@attrs.frozen
class ExportPrepared:
    export_id: str
    archive: ArchiveSlot
    contents: PackageContents


@attrs.frozen
class ImportPrepared:
    import_id: str
    archive: ArchiveSlot


@attrs.frozen
class ImportCommitParams:
    import_id: str
    """The slot `data_package.import_prepare` opened, with the package uploaded into it."""


@attrs.frozen
class ImportCommitted:
    import_id: str
    contents: PackageContents


# -- the archive manifest ----------------------------------------------------------------


@attrs.frozen
class PackageCharacterEntry:
    """Where a character's card and cover sit in the archive. The cover fields come all or none."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    character_id: str
    content_path: str
    cover_path: str | None = omittable()
    cover_file_name: str | None = omittable()
    cover_content_type: str | None = omittable()


@attrs.frozen
class PackageManifest:
    """`manifest.json`. Like the `.chr` manifest, unknown keys are ignored; the values are checked."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    format: str
    version: int
    created_at_ms: int
    contents: PackageContents
    characters: list[PackageCharacterEntry] = attrs.field(factory=list)
