"""Data packages below the wire: the archive codec (PROTOCOL §16.2, §16.3), the slots and their
30 minutes (§6.19), the export snapshot, and the all-or-nothing import write."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import attrs
import duckdb
import pytest

from runtime.archives import PKG_FORMAT, ZipLimits, read_data_package, write_data_package
from runtime.errors import Conflict, InvalidParams, NotFound
from runtime.files import UploadHeaders
from runtime.model.packages import ExportPrepareParams, ImportCommitParams
from runtime.services import Services
from runtime.services import packages as service
from runtime.services._package_export import ExportSelection, read_export_package
from runtime.services._package_import import write_package
from runtime.services._package_slots import SLOT_LIFETIME_MS
from runtime.store import allocate_id, allocate_ids
from runtime.store._migrations import apply_migrations
from tests.support.packages import (
    CREATED_AT_MS,
    PNG,
    STORY,
    build_zip,
    json_entry,
    manifest_of,
    package_zip,
    resources_record,
    sample_package,
    story_record,
    with_entry,
    with_manifest,
    zip_entries,
)

MIB = 1024 * 1024


def refusal(data: bytes, limits: ZipLimits = ZipLimits()) -> str:
    with pytest.raises(InvalidParams) as caught:
        read_data_package(data, limits)
    return caught.value.message


def changed_manifest(change: Callable[[dict[str, Any]], None]) -> bytes:
    data = package_zip()
    manifest = manifest_of(data)
    change(manifest)
    return with_manifest(data, manifest)


# -- writing -----------------------------------------------------------------------------


def test_written_package_reads_back_as_the_same_records() -> None:
    package = sample_package()
    assert read_data_package(write_data_package(package)) == package


def test_layout_is_the_manifest_then_one_deflated_entry_per_record_kind_by_kind() -> None:
    data = package_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == [
        "manifest.json",
        "presets/tuned.json",
        "schemas/npc.json",
        "schemas/player-schema.json",
        "schemas/world-schema.json",
        "lorebooks/harbor.json",
        "player_profiles/hero.json",
        "characters/guard/content.json",
        "characters/merchant/content.json",
        "characters/merchant/cover.bin",
        "story_resources/resource-0.json",
        "stories/story-0.json",
    ]
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert dict(zip_entries(data))["characters/merchant/cover.bin"] == PNG


def test_manifest_lists_sorted_contents_and_where_each_character_and_cover_is() -> None:
    manifest = manifest_of(package_zip())
    assert manifest["format"] == PKG_FORMAT == "sillystage_data_package"
    assert manifest["version"] == 1 and manifest["created_at_ms"] == CREATED_AT_MS
    assert manifest["contents"]["schemas"] == {"ids": ["npc", "player-schema", "world-schema"], "count": 3}
    assert manifest["contents"]["characters"] == {"ids": ["guard", "merchant"], "count": 2}
    assert manifest["characters"] == [
        {"character_id": "guard", "content_path": "characters/guard/content.json"},
        {
            "character_id": "merchant",
            "content_path": "characters/merchant/content.json",
            "cover_path": "characters/merchant/cover.bin",
            "cover_file_name": "merchant.png",
            "cover_content_type": "image/png",
        },
    ]


def test_records_are_stored_shapes_pretty_printed() -> None:
    entries = dict(zip_entries(package_zip()))
    story_text = entries["stories/story-0.json"].decode()
    assert story_text.startswith("{\n  ")
    story = json.loads(story_text)
    assert "graph_warnings" not in story and story["created_at_ms"] == 1_700_000_000_000
    resources = json.loads(entries["story_resources/resource-0.json"])
    assert resources["display_name"] == "Harbor" and resources["planned_story"] == "Reach the market."
    preset = json.loads(entries["presets/tuned.json"])
    assert preset["agents"]["planner"] == {"modules": []}  # compact: untouched built-ins are left out
    assert [module["module_id"] for module in preset["agents"]["director"]["modules"]] == ["house_rules"]


# -- hostile and broken archives -----------------------------------------------------------


def test_bytes_that_are_not_a_zip_are_refused() -> None:
    assert refusal(b"just some text, not an archive") == "invalid data package: not a ZIP archive"


def test_a_truncated_zip_is_refused() -> None:
    data = package_zip()
    assert refusal(data[: len(data) // 2]).startswith("invalid data package: ")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../manifest.json", "contains a '..' segment"),
        ("presets/../../etc/passwd", "contains a '..' segment"),
        ("/manifest.json", "is an absolute path"),
        ("schemas\\npc.json", "contains a backslash"),
    ],
)
def test_entry_names_that_could_escape_are_refused(name: str, reason: str) -> None:
    message = refusal(with_entry(package_zip(), name, b"{}"))
    assert message.startswith("invalid data package: entry name ") and message.endswith(reason)


def test_a_duplicate_entry_is_refused() -> None:
    data = package_zip()
    duplicated = build_zip([*zip_entries(data), ("schemas/npc.json", b"{}")])
    assert refusal(duplicated) == "invalid data package: entry 'schemas/npc.json' appears more than once"


def test_a_zip_bomb_is_stopped_by_the_bytes_actually_inflated() -> None:
    bomb = with_entry(package_zip(), "stories/story-0.json", b"\0" * (3 * MIB))
    limits = ZipLimits(max_entry_bytes=MIB, max_total_bytes=8 * MIB)
    assert refusal(bomb, limits) == (
        f"invalid data package: entry 'stories/story-0.json' is larger than {MIB} bytes once decompressed"
    )


def declared_size(data: bytes, size: int) -> bytes:
    """The archive with its first entry's uncompressed size rewritten in both headers."""
    patched = bytearray(data)
    struct.pack_into("<I", patched, 22, size)  # local header
    struct.pack_into("<I", patched, patched.find(b"PK\x01\x02") + 24, size)  # central header
    return bytes(patched)


def test_sizes_written_in_the_headers_are_not_trusted() -> None:
    data = package_zip()
    assert read_data_package(declared_size(data, 500 * MIB), ZipLimits(max_entry_bytes=MIB)) == sample_package()
    bomb = build_zip([("manifest.json", b"\0" * (3 * MIB))])
    assert "Bad CRC-32" in refusal(declared_size(bomb, 10), ZipLimits(max_entry_bytes=MIB))


def test_the_total_decompressed_size_and_the_entry_count_are_limited() -> None:
    data = package_zip()
    assert refusal(data, ZipLimits(max_total_bytes=2000)) == (
        "invalid data package: archive is larger than 2000 bytes once decompressed"
    )
    assert refusal(data, ZipLimits(max_entries=5)) == "invalid data package: more than 5 entries"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(format="zip"), "unsupported data package format: zip"),
        (lambda m: m.update(version=2), "unsupported data package version: 2"),
        (
            lambda m: m["contents"]["schemas"].update(count=2),
            "invalid data package: contents.schemas.count is 2, but contents.schemas.ids holds 3",
        ),
        (
            lambda m: m["contents"]["presets"].update(ids=["tuned", "tuned"], count=2),
            "invalid data package: contents.presets.ids lists 'tuned' more than once",
        ),
        (
            lambda m: m["contents"]["presets"].update(ids=[" "], count=1),
            'invalid data package: contents.presets.ids contains the blank or untrimmed id " "',
        ),
        (
            lambda m: m["contents"]["lorebooks"].update(ids=["harbor", "docks"], count=2),
            "missing data package archive entry: lorebooks/docks.json",
        ),
        (
            lambda m: m["contents"]["lorebooks"].update(ids=[], count=0),
            "invalid data package: entry 'lorebooks/harbor.json' is not listed in the manifest",
        ),
        (lambda m: m.pop("contents"), "invalid data package: manifest.json.contents: missing required field"),
        (
            lambda m: m["characters"].pop(0),
            "invalid data package: manifest characters have no entry for 'guard' of contents.characters",
        ),
        (
            lambda m: m["characters"].append(dict(m["characters"][0])),
            "invalid data package: manifest characters list 'guard' more than once",
        ),
        (
            lambda m: m["characters"][0].update(content_path="guard.json"),
            "invalid data package: character 'guard' content_path must be 'characters/guard/content.json', "
            "got 'guard.json'",
        ),
        (
            lambda m: m["characters"][1].pop("cover_file_name"),
            "invalid data package: character 'merchant' must give cover_path, cover_file_name and "
            "cover_content_type together",
        ),
        (
            lambda m: m["characters"][1].update(cover_path="characters/merchant/cover.png"),
            "invalid data package: character 'merchant' cover_path must be 'characters/merchant/cover.bin', "
            "got 'characters/merchant/cover.png'",
        ),
        (
            lambda m: m["characters"][1].update(cover_file_name="  "),
            "invalid data package: character 'merchant' cover_file_name must not be blank",
        ),
        (
            lambda m: m["characters"][1].update(cover_content_type="image/gif"),
            "invalid data package: character 'merchant' has unsupported cover_content_type 'image/gif'",
        ),
    ],
)
def test_a_manifest_that_disagrees_with_the_rules_or_the_files_is_refused(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    assert refusal(changed_manifest(change)) == message


def test_a_cover_type_with_parameters_is_read_as_the_bare_type() -> None:
    data = changed_manifest(lambda m: m["characters"][1].update(cover_content_type="image/png; q=1"))
    merchant = read_data_package(data).characters[1]
    assert merchant.cover is not None and merchant.cover.content_type.value == "image/png"


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("schemas/npc.json", b"{not json", "invalid data package: schemas/npc.json is not valid JSON"),
        ("schemas/npc.json", b"\xff\xfe", "invalid data package: schemas/npc.json is not valid JSON"),
        ("manifest.json", b"[1, 2", "invalid data package: manifest.json is not valid JSON"),
        (
            "schemas/npc.json",
            json_entry({"schema_id": "npc", "display_name": "N", "tags": []}),
            "invalid data package: schemas/npc.json.fields: missing required field",
        ),
        (
            "stories/story-0.json",
            json_entry({**STORY, "graph_warnings": []}),
            "invalid data package: stories/story-0.json.graph_warnings: unknown field",
        ),
        (
            "schemas/npc.json",
            json_entry({"schema_id": "other", "display_name": "N", "tags": [], "fields": {}}),
            "invalid data package: schemas/npc.json holds schema_id 'other', expected 'npc'",
        ),
        (
            "characters/guard/content.json",
            json_entry(
                {"id": "warden", "name": "W", "personality": "", "style": "", "schema_id": "npc", "system_prompt": ""}
            ),
            "invalid data package: characters/guard/content.json holds id 'warden', expected 'guard'",
        ),
        ("characters/merchant/cover.bin", b"", "invalid data package: cover of character 'merchant' is empty"),
        ("characters/merchant/cover.bin", None, "missing data package archive entry: characters/merchant/cover.bin"),
        ("manifest.json", None, "missing data package archive entry: manifest.json"),
        ("notes.txt", b"hello", "invalid data package: entry 'notes.txt' is not listed in the manifest"),
        ("presets/extra.json", b"{}", "invalid data package: entry 'presets/extra.json' is not listed in the manifest"),
    ],
)
def test_entries_that_do_not_parse_or_do_not_match_the_manifest_are_refused(
    name: str, body: bytes | None, message: str
) -> None:
    assert refusal(with_entry(package_zip(), name, body)).startswith(message)


def test_unknown_keys_in_the_manifest_and_in_character_content_are_ignored() -> None:
    data = changed_manifest(lambda m: m.update(generator="reference 1.2"))
    data = with_entry(
        data,
        "characters/guard/content.json",
        json_entry(
            {
                "id": "guard",
                "name": "Guard",
                "personality": "stern",
                "style": "short",
                "schema_id": "npc",
                "system_prompt": "Guard the gate.",
                "avatar": "x.png",
            }
        ),
    )
    assert read_data_package(data).characters[0].content.name == "Guard"


# -- the services, over a real store -----------------------------------------------------


@attrs.define
class FakeClock:
    now: int = CREATED_AT_MS

    def now_ms(self) -> int:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def services(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    from runtime.store import open_store

    async with open_store(tmp_path) as store:
        yield Services(store, clock=clock)


async def imported(services: Services, data: bytes) -> str:
    prepared = await service.import_prepare(services)
    await service.upload_import_archive(services, prepared.import_id, UploadHeaders(), data)
    await service.import_commit(services, ImportCommitParams(prepared.import_id))
    return prepared.import_id


async def table_counts(services: Services) -> dict[str, int]:
    tables = ("presets", "schemas", "lorebooks", "player_profiles", "characters", "blobs", "story_resources", "stories")
    return await services.store.read(
        lambda cursor: {table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
    )


async def test_an_export_slot_expires_thirty_minutes_after_it_was_made(services: Services, clock: FakeClock) -> None:
    await imported(services, package_zip())
    prepared = await service.export_prepare(services, ExportPrepareParams(schema_ids=["npc"]))
    assert prepared.export_id == "package-export-0"
    clock.now += SLOT_LIFETIME_MS - 1
    assert (await service.download_export_archive(services, prepared.export_id)).data
    clock.now += 1
    with pytest.raises(NotFound, match=r"^data package export 'package-export-0' not found$"):
        await service.download_export_archive(services, prepared.export_id)


async def test_each_upload_gives_an_import_slot_another_thirty_minutes(services: Services, clock: FakeClock) -> None:
    prepared = await service.import_prepare(services)
    clock.now += SLOT_LIFETIME_MS - 1
    await service.upload_import_archive(services, prepared.import_id, UploadHeaders(), package_zip())
    clock.now += SLOT_LIFETIME_MS - 1
    committed = await service.import_commit(services, ImportCommitParams(prepared.import_id))
    assert committed.contents.stories.ids == ["story-0"]


async def test_an_expired_import_slot_is_unknown_to_upload_and_commit(services: Services, clock: FakeClock) -> None:
    prepared = await service.import_prepare(services)
    await service.upload_import_archive(services, prepared.import_id, UploadHeaders(), package_zip())
    clock.now += SLOT_LIFETIME_MS
    message = f"^data package import '{prepared.import_id}' not found$"
    with pytest.raises(NotFound, match=message):
        await service.import_commit(services, ImportCommitParams(prepared.import_id))
    with pytest.raises(NotFound, match=message):
        await service.upload_import_archive(services, prepared.import_id, UploadHeaders(), package_zip())
    assert (await table_counts(services))["stories"] == 0


async def test_slot_ids_come_from_persisted_counters(services: Services) -> None:
    first = await service.import_prepare(services)
    second = await service.import_prepare(services)
    assert (first.import_id, second.import_id) == ("package-import-0", "package-import-1")


async def test_a_failing_check_late_in_the_import_writes_nothing(services: Services) -> None:
    broken = sample_package(stories=[story_record(), story_record(story_id="story-1", resource_id="resource-9")])
    with pytest.raises(InvalidParams, match="story 'story-1' references missing story resources 'resource-9'"):
        await imported(services, write_data_package(broken))
    assert set((await table_counts(services)).values()) == {0}


async def test_a_write_that_fails_midway_rolls_everything_back(services: Services) -> None:
    package = sample_package()

    def write_then_fail(cursor: duckdb.DuckDBPyConnection) -> None:
        write_package(cursor, package, CREATED_AT_MS)
        raise Conflict("something after the inserts failed")

    with pytest.raises(Conflict):
        await services.store.write(write_then_fail)
    assert set((await table_counts(services)).values()) == {0}
    await services.store.write(lambda cursor: write_package(cursor, package, CREATED_AT_MS))
    assert (await table_counts(services))["blobs"] == 1


async def test_import_allocates_cover_blobs_past_existing_ones(services: Services) -> None:
    await imported(services, package_zip())
    second = sample_package(
        presets=[],
        schemas=[],
        lorebooks=[],
        player_profiles=[],
        story_resources=[],
        stories=[],
        characters=[
            attrs.evolve(c, content=attrs.evolve(c.content, id=f"{c.content.id}-2"))
            for c in sample_package().characters
        ],
    )
    await imported(services, write_data_package(second))
    blob_ids = await services.store.read(
        lambda cursor: [row[0] for row in cursor.execute("SELECT cover_blob_id FROM characters ORDER BY 1").fetchall()]
    )
    assert blob_ids == ["blob-0", "blob-1", None, None]


def test_bulk_ids_are_the_ones_single_allocations_would_give(tmp_path: Path) -> None:
    taken = {"blob-1", "blob-2", "blob-5"}
    with duckdb.connect(str(tmp_path / "a.duckdb")) as one, duckdb.connect(str(tmp_path / "b.duckdb")) as bulk:
        apply_migrations(one)
        apply_migrations(bulk)
        singles = [allocate_id(one, "blob-", taken.__contains__) for _ in range(4)]
        assert allocate_ids(bulk, "blob-", 4, taken.__contains__) == singles == ["blob-0", "blob-3", "blob-4", "blob-6"]
        assert allocate_id(bulk, "blob-", taken.__contains__) == allocate_id(one, "blob-", taken.__contains__)


class WriteAfterFirstRead:
    """A cursor that lets another connection commit a change right after its first statement."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, concurrent_write: Callable[[], None]) -> None:
        self._cursor = cursor
        self._pending: Callable[[], None] | None = concurrent_write
        self._selects = 0

    def execute(self, sql: str, params: Any = None) -> Any:
        result = self._cursor.execute(sql, params) if params is not None else self._cursor.execute(sql)
        if sql.lstrip().upper().startswith("SELECT"):
            self._selects += 1
            if self._selects == 1 and self._pending is not None:
                self._pending()
        return result


def test_an_export_is_read_from_one_snapshot(tmp_path: Path) -> None:
    """A cover replaced and a story deleted after the export's first read are not seen by it."""
    connection = duckdb.connect(str(tmp_path / "snapshot.duckdb"))
    apply_migrations(connection)
    writer = connection.cursor()
    writer.execute("BEGIN TRANSACTION")
    write_package(writer, sample_package(), CREATED_AT_MS)
    writer.execute("COMMIT")

    def replace_cover_and_delete_story() -> None:
        other = connection.cursor()
        other.execute("BEGIN TRANSACTION")
        other.execute("DELETE FROM blobs")
        other.execute("UPDATE characters SET cover_blob_id = 'blob-9' WHERE character_id = 'merchant'")
        other.execute("DELETE FROM stories")
        other.execute("COMMIT")

    reader = WriteAfterFirstRead(connection.cursor(), replace_cover_and_delete_story)
    selection = ExportSelection(story_ids=("story-0",))
    package = read_export_package(reader, selection, CREATED_AT_MS)  # type: ignore[arg-type]
    assert package.ids("stories") == ["story-0"]
    merchant = package.characters[1]
    assert merchant.cover is not None and merchant.cover.data == PNG
    assert connection.execute("SELECT count(*) FROM blobs").fetchone() == (0,)  # the write did commit
    connection.close()


async def test_export_pulls_in_dependencies_unless_told_not_to(services: Services) -> None:
    await imported(services, package_zip())
    with_deps = await service.export_prepare(services, ExportPrepareParams(story_ids=[" story-0 ", "", "story-0"]))
    contents = with_deps.contents
    assert contents.stories.ids == ["story-0"] and contents.story_resources.ids == ["resource-0"]
    assert contents.characters.ids == ["guard", "merchant"] and contents.lorebooks.ids == ["harbor"]
    assert contents.schemas.ids == ["npc", "player-schema", "world-schema"]
    assert contents.presets.count == contents.player_profiles.count == 0
    alone = await service.export_prepare(
        services, ExportPrepareParams(story_ids=["story-0"], include_dependencies=False)
    )
    assert alone.contents.stories.ids == ["story-0"] and alone.contents.schemas.count == 0


async def test_export_of_nothing_or_of_a_missing_record_is_refused(services: Services) -> None:
    with pytest.raises(InvalidParams, match=r"^data package selection must not be empty$"):
        await service.export_prepare(services, ExportPrepareParams(schema_ids=["  ", ""]))
    with pytest.raises(NotFound, match=r"^story 'story-7' not found$"):
        await service.export_prepare(services, ExportPrepareParams(story_ids=["story-7"], schema_ids=["x"]))
    with pytest.raises(NotFound, match=r"^player profile 'nobody' not found$"):
        await service.export_prepare(services, ExportPrepareParams(player_profile_ids=["nobody"]))


async def test_records_pointing_at_stored_records_import_without_them(services: Services) -> None:
    await imported(services, package_zip())
    more = sample_package(
        presets=[],
        schemas=[],
        lorebooks=[],
        player_profiles=[],
        characters=[],
        story_resources=[resources_record(resource_id="resource-1")],
        stories=[story_record(story_id="story-1", resource_id="resource-1"), story_record(story_id="story-2")],
    )
    committed_id = await imported(services, write_data_package(more))
    assert committed_id == "package-import-1"
    assert (await table_counts(services))["stories"] == 3
