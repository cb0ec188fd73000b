"""`runtime.archives._character_card`: the `.chr` layout of PROTOCOL §16.1, read and written."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from typing import Any

import pytest

from runtime.archives import CHR_FORMAT, CHR_MIME, ZipLimits, read_character_archive, write_character_archive
from runtime.errors import Conflict, InvalidParams
from runtime.model.characters import CharacterCardContent, CoverMimeType

CONTENT = CharacterCardContent(
    id="merchant",
    name="Old Merchant",
    personality="Greedy {{char}}",
    style="terse",
    schema_id="npc",
    system_prompt="Stay in character.",
    tags=["trader", "old"],
    folder="town/market",
)
COVER = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
NOW_MS = 1_774_000_000_000

MANIFEST = {
    "format": CHR_FORMAT,
    "version": 1,
    "character_id": "merchant",
    "content_path": "content.json",
    "cover_path": "cover.png",
    "cover_mime_type": "image/png",
}
CONTENT_JSON = {
    "id": "merchant",
    "name": "Old Merchant",
    "personality": "p",
    "style": "s",
    "schema_id": "npc",
    "system_prompt": "sp",
}


def chr_bytes(entries: dict[str, Any]) -> bytes:
    """A `.chr` with the given entries; dicts become JSON, bytes are written as they are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in entries.items():
            archive.writestr(name, json.dumps(value) if isinstance(value, dict) else value)
    return buffer.getvalue()


def refusal(data: bytes, limits: ZipLimits = ZipLimits()) -> str:
    with pytest.raises(InvalidParams) as caught:
        read_character_archive(data, limits)
    return caught.value.message


def test_constants_are_the_reference_literals() -> None:
    assert CHR_MIME == "application/x-sillystage-character-card"
    assert CHR_FORMAT == "sillystage_character_card"


def test_export_has_three_deflated_0644_entries_with_pretty_json() -> None:
    archive = zipfile.ZipFile(io.BytesIO(write_character_archive(CONTENT, CoverMimeType.PNG, COVER, NOW_MS)))
    assert archive.namelist() == ["manifest.json", "content.json", "cover.png"]
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert stat.S_IMODE(info.external_attr >> 16) == 0o644
    manifest_text = archive.read("manifest.json").decode()
    assert json.loads(manifest_text) == MANIFEST
    assert manifest_text.startswith('{\n  "format": ')
    assert json.loads(archive.read("content.json")) == {
        "id": "merchant",
        "name": "Old Merchant",
        "personality": "Greedy {{char}}",
        "style": "terse",
        "schema_id": "npc",
        "system_prompt": "Stay in character.",
        "tags": ["trader", "old"],
        "folder": "town/market",
    }
    assert archive.read("cover.png") == COVER


@pytest.mark.parametrize(
    ("mime_type", "entry"),
    [(CoverMimeType.PNG, "cover.png"), (CoverMimeType.JPEG, "cover.jpg"), (CoverMimeType.WEBP, "cover.webp")],
)
def test_cover_entry_is_named_from_the_mime_type(mime_type: CoverMimeType, entry: str) -> None:
    data = write_character_archive(CONTENT, mime_type, COVER, NOW_MS)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert manifest["cover_path"] == entry and manifest["cover_mime_type"] == mime_type.value
    assert read_character_archive(data).cover_path == entry


def test_written_archive_reads_back_the_same() -> None:
    card = read_character_archive(write_character_archive(CONTENT, CoverMimeType.WEBP, COVER, NOW_MS))
    assert (card.content, card.cover_path, card.cover_mime_type, card.cover) == (
        CONTENT,
        "cover.webp",
        CoverMimeType.WEBP,
        COVER,
    )


def test_empty_cover_cannot_be_written() -> None:
    with pytest.raises(Conflict) as caught:
        write_character_archive(CONTENT, CoverMimeType.PNG, b"", NOW_MS)
    assert caught.value.message == "character 'merchant' does not have a cover yet"


def test_reference_archive_without_tags_or_folder_reads_with_defaults_and_unknown_keys_ignored() -> None:
    data = chr_bytes(
        {"manifest.json": {**MANIFEST, "extra": 1}, "content.json": {**CONTENT_JSON, "mood": "x"}, "cover.png": COVER}
    )
    card = read_character_archive(data)
    assert card.content == CharacterCardContent("merchant", "Old Merchant", "p", "s", "npc", "sp", [], "")


def test_any_cover_path_starting_with_cover_dot_is_read_and_an_empty_cover_is_accepted() -> None:
    data = chr_bytes(
        {
            "manifest.json": {**MANIFEST, "cover_path": "cover.portrait.png"},
            "content.json": CONTENT_JSON,
            "cover.portrait.png": b"",
        }
    )
    card = read_character_archive(data)
    assert (card.cover_path, card.cover) == ("cover.portrait.png", b"")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({**MANIFEST, "format": "other"}, "unsupported character archive format: other"),
        ({**MANIFEST, "version": 2}, "unsupported character archive version: 2"),
        (
            {**MANIFEST, "content_path": "card.json"},
            "character archive content path must be content.json, got card.json",
        ),
        ({**MANIFEST, "cover_path": "face.png"}, "character archive cover path must start with cover., got face.png"),
        (
            {**MANIFEST, "cover_mime_type": "image/gif"},
            "invalid character archive: manifest.json.cover_mime_type: expected one of image/png, image/jpeg, "
            'image/webp, got "image/gif"',
        ),
        (
            {key: value for key, value in MANIFEST.items() if key != "character_id"},
            "invalid character archive: manifest.json.character_id: missing required field",
        ),
    ],
)
def test_manifest_rules(manifest: dict[str, Any], message: str) -> None:
    entries = {"manifest.json": manifest, "content.json": CONTENT_JSON, manifest.get("cover_path", ""): COVER}
    assert refusal(chr_bytes(entries)) == message


def test_missing_entries_are_named() -> None:
    assert refusal(chr_bytes({"content.json": CONTENT_JSON, "cover.png": COVER})) == (
        "missing character archive entry: manifest.json"
    )
    assert refusal(chr_bytes({"manifest.json": MANIFEST, "cover.png": COVER})) == (
        "missing character archive entry: content.json"
    )
    assert refusal(chr_bytes({"manifest.json": MANIFEST, "content.json": CONTENT_JSON})) == (
        "missing character archive entry: cover.png"
    )


def test_json_that_does_not_parse_or_fit_is_refused() -> None:
    broken = refusal(chr_bytes({"manifest.json": b"{nope", "content.json": CONTENT_JSON, "cover.png": COVER}))
    assert broken.startswith("invalid character archive: manifest.json is not valid JSON (")
    wrong_type = refusal(
        chr_bytes({"manifest.json": MANIFEST, "content.json": {**CONTENT_JSON, "tags": "a"}, "cover.png": COVER})
    )
    assert wrong_type == "invalid character archive: content.json.tags: expected array, got string"
    not_object = refusal(chr_bytes({"manifest.json": MANIFEST, "content.json": b"[1]", "cover.png": COVER}))
    assert not_object == "invalid character archive: content.json: expected object, got array"


def test_content_id_must_match_the_manifest() -> None:
    data = chr_bytes({"manifest.json": MANIFEST, "content.json": {**CONTENT_JSON, "id": "thief"}, "cover.png": COVER})
    assert refusal(data) == "character id mismatch between manifest (merchant) and content (thief)"


def test_unexpected_entries_are_refused() -> None:
    data = chr_bytes({"manifest.json": MANIFEST, "content.json": CONTENT_JSON, "cover.png": COVER, "notes.txt": b"hi"})
    assert refusal(data) == "invalid character archive: unexpected entry 'notes.txt'"


def test_zip_safety_problems_carry_the_archive_prefix() -> None:
    assert refusal(b"not a zip") == "invalid character archive: not a ZIP archive"
    data = chr_bytes({"manifest.json": MANIFEST, "content.json": CONTENT_JSON, "../cover.png": COVER})
    assert refusal(data) == "invalid character archive: entry name '../cover.png' contains a '..' segment"


def test_limits_are_passed_to_the_zip_reader() -> None:
    data = chr_bytes({"manifest.json": MANIFEST, "content.json": CONTENT_JSON, "cover.png": bytes(4096)})
    assert refusal(data, ZipLimits(max_entry_bytes=1000)) == (
        "invalid character archive: entry 'cover.png' is larger than 1000 bytes once decompressed"
    )
