"""`data_package.*` and the package slots over HTTP against real servers (PROTOCOL §6.19, §5.4,
§16.2, §16.3): the round trip into a fresh server, hostile archives, conflicts, slots, and an
import killed in the middle of its commit."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import trio

from runtime.archives import PackagedCharacter, PackagedCover
from runtime.model.characters import CharacterCardContent, CoverMimeType
from tests.support.packages import (
    CHARACTERS,
    LOREBOOK,
    PLAYER_PROFILE,
    PNG,
    PRESET,
    RESOURCES,
    SCHEMAS,
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
from tests.support.processes import ServerProcess
from tests.support.server import RpcClient, start_server

PKG_MIME = "application/x-sillystage-data-package+zip"
MIB = 1024 * 1024
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
LISTS = {  # method → the key of its list, for "nothing was written"
    "preset.list": "presets",
    "schema.list": "schemas",
    "lorebook.list": "lorebooks",
    "player_profile.list": "player_profiles",
    "character.list": "characters",
    "story_resources.list": "resources",
    "story.list": "stories",
}


async def upload(rpc: RpcClient, import_id: str, data: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return await rpc.http.post(f"/upload/package_import%3A{import_id}/archive", content=data, headers=headers or {})


async def prepare_and_upload(rpc: RpcClient, data: bytes) -> str:
    import_id = (await rpc.result("data_package.import_prepare"))["import_id"]
    response = await upload(rpc, import_id, data)
    assert response.status_code == 200, response.text
    return import_id


async def import_package(rpc: RpcClient, data: bytes) -> dict[str, Any]:
    import_id = await prepare_and_upload(rpc, data)
    return await rpc.result("data_package.import_commit", {"import_id": import_id})


async def import_refusal(rpc: RpcClient, data: bytes) -> dict[str, Any]:
    import_id = await prepare_and_upload(rpc, data)
    return await rpc.error("data_package.import_commit", {"import_id": import_id})


async def export_package(rpc: RpcClient, selection: dict[str, Any]) -> bytes:
    prepared = await rpc.result("data_package.export_prepare", selection)
    response = await rpc.http.get(f"/download/package_export%3A{prepared['export_id']}/archive")
    assert response.status_code == 200, response.text
    return response.content


async def cover_of(rpc: RpcClient, character_id: str) -> bytes:
    response = await rpc.http.get(f"/download/character%3A{character_id}/cover")
    assert response.status_code == 200, response.text
    return response.content


async def everything(rpc: RpcClient) -> dict[str, Any]:
    """Every list a client can read, presets expanded, so two installations can be compared."""
    lists = {method: (await rpc.result(method))[key] for method, key in LISTS.items()}
    lists["presets"] = [await rpc.result("preset.get", {"preset_id": p["preset_id"]}) for p in lists["preset.list"]]
    lists["characters"] = [
        await rpc.result("character.get", {"character_id": c["character_id"]}) for c in lists["character.list"]
    ]
    lists["stories"] = [await rpc.result("story.get", {"story_id": s["story_id"]}) for s in lists["story.list"]]
    return lists


async def assert_nothing_written(rpc: RpcClient) -> None:
    for method, key in LISTS.items():
        assert (await rpc.result(method))[key] == [], method


async def build_installation(rpc: RpcClient) -> None:
    """Every kind of record, made the way a client makes them."""
    for schema in SCHEMAS:
        await rpc.result("schema.create", schema)
    await rpc.result("preset.create", PRESET)
    await rpc.result("lorebook.create", LOREBOOK)
    await rpc.result("player_profile.create", PLAYER_PROFILE)
    for content in CHARACTERS:
        await rpc.result("character.create", {"content": content})
    response = await rpc.http.post(
        "/upload/character%3Amerchant/cover",
        content=JPEG,
        headers={"Content-Type": "image/jpeg", "x-file-name": "portrait.jpeg"},
    )
    assert response.status_code == 200, response.text
    resources = {key: value for key, value in RESOURCES.items() if key != "resource_id"}
    assert (await rpc.result("story_resources.create", resources))["resource_id"] == "resource-0"
    await rpc.result("player_profile.create", {**PLAYER_PROFILE, "player_profile_id": "left-out"})
    story = {
        key: STORY[key]
        for key in (
            "resource_id",
            "display_name",
            "graph",
            "world_schema_id",
            "player_schema_id",
            "introduction",
            "common_variables",
        )
    }
    assert (await rpc.result("story.create", story))["story_id"] == "story-0"


def without_created_at(manifest: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in manifest.items() if key != "created_at_ms"}


# -- the round trip ----------------------------------------------------------------------


async def test_export_then_import_into_a_fresh_server_gives_identical_records(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    source = await start_server(nursery, tmp_path / "source")
    target = await start_server(nursery, tmp_path / "target")
    try:
        await build_installation(source.client)
        selection = {"story_ids": ["story-0"], "preset_ids": ["tuned"], "player_profile_ids": ["hero"]}
        archive = await export_package(source.client, selection)

        committed = await import_package(target.client, archive)

        assert committed["contents"] == manifest_of(archive)["contents"]
        assert committed["contents"]["schemas"] == {"ids": ["npc", "player-schema", "world-schema"], "count": 3}
        assert committed["contents"]["player_profiles"] == {"ids": ["hero"], "count": 1}
        expected = await everything(source.client)
        expected["player_profile.list"] = [
            profile for profile in expected["player_profile.list"] if profile["player_profile_id"] == "hero"
        ]
        assert await everything(target.client) == expected
        assert await cover_of(target.client, "merchant") == JPEG
        again = await export_package(target.client, selection)  # stories, timestamps included, byte for byte
        assert without_created_at(manifest_of(again)) == without_created_at(manifest_of(archive))
        assert zip_entries(again)[1:] == zip_entries(archive)[1:]
        story = json.loads(dict(zip_entries(again))["stories/story-0.json"])
        assert story["graph"] == STORY["graph"] and type(story["created_at_ms"]) is int
    finally:
        for server in (source, target):
            await server.client.http.aclose()
            await server.stop()


async def test_the_export_download_is_a_package_with_its_file_name(rpc: RpcClient) -> None:
    await import_package(rpc, package_zip())
    prepared = await rpc.result("data_package.export_prepare", {"character_ids": ["merchant"]})
    export_id = prepared["export_id"]
    assert prepared == {
        "type": "data_package_export_prepared",
        "export_id": "package-export-0",
        "archive": {"resource_id": "package_export:package-export-0", "file_id": "archive"},
        "contents": {
            kind: {"ids": ids, "count": len(ids)}
            for kind, ids in {
                "presets": [],
                "schemas": ["npc"],
                "lorebooks": [],
                "player_profiles": [],
                "characters": ["merchant"],
                "story_resources": [],
                "stories": [],
            }.items()
        },
    }
    response = await rpc.http.get(f"/download/package_export%3A{export_id}/archive")
    assert response.headers["content-type"] == PKG_MIME
    assert response.headers["content-disposition"] == (
        'attachment; filename="sillystage-data-package-package-export-0.zip"'
    )
    assert dict(zip_entries(response.content))["characters/merchant/cover.bin"] == PNG


async def test_an_import_answers_with_what_it_wrote_and_uses_the_slot_up(rpc: RpcClient) -> None:
    prepared = await rpc.result("data_package.import_prepare")
    assert prepared == {
        "type": "data_package_import_prepared",
        "import_id": "package-import-0",
        "archive": {"resource_id": "package_import:package-import-0", "file_id": "archive"},
    }
    data = package_zip()
    response = await upload(
        rpc, "package-import-0", data, {"Content-Type": "application/zip", "x-file-name": "mine.zip"}
    )
    assert response.json() == {
        "resource_id": "package_import:package-import-0",
        "file_id": "archive",
        "file_name": "mine.zip",
        "content_type": PKG_MIME,
        "size_bytes": len(data),
    }
    committed = await rpc.result("data_package.import_commit", {"import_id": "package-import-0"})
    assert committed["type"] == "data_package_import_committed" and committed["import_id"] == "package-import-0"
    assert committed["contents"]["stories"] == {"ids": ["story-0"], "count": 1}
    assert (await rpc.result("story_resources.get", {"resource_id": "resource-0"}))["display_name"] == "Harbor"
    again = await rpc.error("data_package.import_commit", {"import_id": "package-import-0"})
    assert again == {"code": 40404, "message": "data package import 'package-import-0' not found"}
    created = await rpc.result("story_resources.create", {"story_concept": "x", "character_ids": ["guard"]})
    assert created["resource_id"] == "resource-1"  # R1: the imported id is stepped over


async def test_a_later_upload_replaces_the_earlier_one(rpc: RpcClient) -> None:
    import_id = await prepare_and_upload(rpc, b"not a zip at all")
    assert (await upload(rpc, import_id, package_zip())).status_code == 200
    await rpc.result("data_package.import_commit", {"import_id": import_id})


# -- slots -------------------------------------------------------------------------------


async def test_unknown_slots_are_not_found(rpc: RpcClient) -> None:
    response = await upload(rpc, "package-import-7", package_zip())
    assert (response.status_code, response.json()) == (
        404,
        {"code": 40404, "message": "data package import 'package-import-7' not found"},
    )
    response = await rpc.http.get("/download/package_export%3Apackage-export-7/archive")
    assert (response.status_code, response.json()) == (
        404,
        {"code": 40404, "message": "data package export 'package-export-7' not found"},
    )
    error = await rpc.error("data_package.import_commit", {"import_id": "package-import-7"})
    assert error == {"code": 40404, "message": "data package import 'package-import-7' not found"}


async def test_an_empty_upload_or_a_commit_before_any_upload_is_refused(rpc: RpcClient) -> None:
    import_id = (await rpc.result("data_package.import_prepare"))["import_id"]
    response = await upload(rpc, import_id, b"")
    assert response.status_code == 400 and response.json()["code"] == -32602
    error = await rpc.error("data_package.import_commit", {"import_id": import_id})
    assert error == {
        "code": -32602,
        "message": (f"invalid data package: no archive has been uploaded to data package import '{import_id}'"),
    }


async def test_the_wrong_direction_of_a_slot_is_an_invalid_reference(rpc: RpcClient) -> None:
    response = await rpc.http.get("/download/package_import%3Apackage-import-0/archive")
    assert response.status_code == 400
    assert response.json()["message"] == "invalid resource file reference 'package_import:package-import-0/archive'"
    response = await rpc.http.post("/upload/package_export%3Apackage-export-0/archive", content=b"x")
    assert response.status_code == 400
    assert response.json()["message"] == "invalid resource file reference 'package_export:package-export-0/archive'"


async def test_export_needs_a_selection_of_existing_records(rpc: RpcClient) -> None:
    error = await rpc.error("data_package.export_prepare", {"story_ids": [" "], "preset_ids": []})
    assert error == {"code": -32602, "message": "data package selection must not be empty"}
    error = await rpc.error("data_package.export_prepare", {"lorebook_ids": ["nowhere"]})
    assert error == {"code": 40404, "message": "lorebook 'nowhere' not found"}
    envelope = await rpc.call("data_package.export_prepare", {"story_ids": "story-0"}, expect_status=400)
    assert envelope["error"]["message"] == "params.story_ids: expected array, got string"


# -- conflicts ---------------------------------------------------------------------------


async def test_reimporting_conflicts_on_the_first_existing_id_and_writes_nothing(rpc: RpcClient) -> None:
    await import_package(rpc, package_zip())
    assert await import_refusal(rpc, package_zip()) == {"code": 40909, "message": "preset 'tuned' already exists"}

    renamed = sample_package(presets=[attrs.evolve(sample_package().presets[0], preset_id="fresh")])
    assert await import_refusal(rpc, package_zip(renamed)) == {"code": 40909, "message": "schema 'npc' already exists"}
    only_story = sample_package(
        presets=[],
        schemas=[],
        lorebooks=[],
        player_profiles=[],
        characters=[],
        story_resources=[],
        stories=[story_record(story_id="story-1"), story_record()],
    )
    refusal = await import_refusal(rpc, package_zip(only_story))
    assert refusal == {"code": 40909, "message": "story 'story-0' already exists"}
    assert [p["preset_id"] for p in (await rpc.result("preset.list"))["presets"]] == ["tuned"]


# -- hostile and invalid archives ----------------------------------------------------------


def zeros_bomb(name: str, size_bytes: int) -> bytes:
    """A good package plus one deflated entry of zeros that inflates to `size_bytes`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for entry, body in zip_entries(package_zip()):
            archive.writestr(entry, body)
        with archive.open(name, "w") as stream:
            chunk = bytes(MIB)
            for _ in range(size_bytes // MIB):
                stream.write(chunk)
    return buffer.getvalue()


def many_entries(count: int) -> bytes:
    return build_zip([*zip_entries(package_zip()), *((f"notes/{index}.txt", b"") for index in range(count))])


def changed_manifest(change: Callable[[dict[str, Any]], None]) -> bytes:
    data = package_zip()
    manifest = manifest_of(data)
    change(manifest)
    return with_manifest(data, manifest)


def character(character_id: str, schema_id: str) -> PackagedCharacter:
    return PackagedCharacter(CharacterCardContent(character_id, "N", "p", "s", schema_id, "sp"))


def node(node_id: str, **changes: Any) -> dict[str, Any]:
    return {"id": node_id, "title": "T", "scene": "S", "goal": "G", "characters": [], "transitions": [], **changes}


def with_graph(*nodes: dict[str, Any], start: str = "dock") -> bytes:
    return package_zip(
        sample_package(stories=[story_record(graph={"start_node": start, "nodes": list(nodes)}, common_variables=[])])
    )


HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    ("not a zip", lambda: b"PK but not really a zip archive", "invalid data package: not a ZIP archive"),
    ("truncated", lambda: package_zip()[:-200], "invalid data package: "),  # the end of the archive is gone
    ("cut inside", lambda: package_zip()[:300] + package_zip()[600:], "invalid data package: damaged or truncated"),
    (
        "bomb",
        lambda: zeros_bomb("stories/extra.json", 65 * MIB),
        f"invalid data package: entry 'stories/extra.json' is larger than {64 * MIB} bytes once decompressed",
    ),
    ("too many entries", lambda: many_entries(10_000), "invalid data package: more than 10000 entries"),
    (
        "dot-dot",
        lambda: with_entry(package_zip(), "stories/../../escape.json", b"{}"),
        "invalid data package: entry name 'stories/../../escape.json' contains a '..' segment",
    ),
    (
        "absolute",
        lambda: with_entry(package_zip(), "/etc/cron.d/job", b"x"),
        "invalid data package: entry name '/etc/cron.d/job' is an absolute path",
    ),
    (
        "backslash",
        lambda: with_entry(package_zip(), "schemas\\npc.json", b"{}"),
        "invalid data package: entry name 'schemas\\npc.json' contains a backslash",
    ),
    (
        "duplicate",
        lambda: build_zip([*zip_entries(package_zip()), ("schemas/npc.json", b"{}")]),
        "invalid data package: entry 'schemas/npc.json' appears more than once",
    ),
    (
        "count",
        lambda: changed_manifest(lambda m: m["contents"]["stories"].update(count=2)),
        "invalid data package: contents.stories.count is 2, but contents.stories.ids holds 1",
    ),
    (
        "listed without a file",
        lambda: changed_manifest(lambda m: m["contents"]["stories"].update(ids=["story-0", "story-1"], count=2)),
        "missing data package archive entry: stories/story-1.json",
    ),
    (
        "file without a listing",
        lambda: with_entry(package_zip(), "stories/story-1.json", json_entry(STORY)),
        "invalid data package: entry 'stories/story-1.json' is not listed in the manifest",
    ),
    (
        "id differs from file",
        lambda: with_entry(package_zip(), "stories/story-0.json", json_entry({**STORY, "story_id": "story-5"})),
        "invalid data package: stories/story-0.json holds story_id 'story-5', expected 'story-0'",
    ),
    (
        "invalid json",
        lambda: with_entry(package_zip(), "lorebooks/harbor.json", b'{"lorebook_id": '),
        "invalid data package: lorebooks/harbor.json is not valid JSON",
    ),
    (
        "wrong shape",
        lambda: with_entry(
            package_zip(), "player_profiles/hero.json", json_entry({**PLAYER_PROFILE, "description": 7})
        ),
        "invalid data package: player_profiles/hero.json.description: expected string, got int",
    ),
    (
        "empty",
        lambda: package_zip(
            sample_package(
                presets=[], schemas=[], lorebooks=[], player_profiles=[], characters=[], story_resources=[], stories=[]
            )
        ),
        "archive does not contain any resources",
    ),
    (
        "character without schema",
        lambda: package_zip(sample_package(characters=[*sample_package().characters, character("ghost", "haunted")])),
        "invalid data package: character 'ghost' references missing schema 'haunted'",
    ),
    (
        "resources without character",
        lambda: package_zip(sample_package(story_resources=[resources_record(character_ids=["merchant", "stranger"])])),
        "invalid data package: story resources 'resource-0' references missing character 'stranger'",
    ),
    (
        "resources without lorebook",
        lambda: package_zip(sample_package(lorebooks=[])),
        "invalid data package: story resources 'resource-0' references missing lorebook 'harbor'",
    ),
    (
        "story without schema",
        lambda: package_zip(sample_package(stories=[story_record(world_schema_id="gone", common_variables=[])])),
        "invalid data package: story 'story-0' references missing world schema 'gone'",
    ),
    (
        "story without resources",
        lambda: package_zip(sample_package(story_resources=[])),
        "invalid data package: story 'story-0' references missing story resources 'resource-0'",
    ),
    (
        "resources without any character",
        lambda: package_zip(
            sample_package(
                story_resources=[resources_record(character_ids=[])],
                stories=[story_record(graph={"start_node": "a", "nodes": [node("a")]}, common_variables=[])],
            )
        ),
        "invalid data package: story resources 'resource-0' character_ids cannot be empty",
    ),
    (
        "dangling transition",
        lambda: with_graph(node("dock", transitions=[{"to": "nowhere", "condition": None}])),
        "invalid data package: story graph of story 'story-0': transition from 'dock' points to missing node 'nowhere'",
    ),
    (
        "missing start",
        lambda: with_graph(node("pier"), start="dock"),
        "invalid data package: story graph of story 'story-0': start node 'dock' does not exist",
    ),
    (
        "foreign character",
        lambda: with_graph(node("dock", characters=["stranger"])),
        "invalid data package: story graph of story 'story-0': node 'dock' references character 'stranger' "
        "that is not part of the story cast",
    ),
    (
        "set current node on enter",
        lambda: with_graph(node("dock", on_enter_updates=[{"type": "SetCurrentNode", "node_id": "dock"}])),
        "invalid data package: story graph of story 'story-0': node 'dock' on_enter_updates must not contain "
        "SetCurrentNode",
    ),
    (
        "common variable",
        lambda: package_zip(
            sample_package(
                stories=[
                    story_record(common_variables=[{"scope": "world", "key": "moon_phase", "display_name": "Moon"}])
                ]
            )
        ),
        "invalid data package: story 'story-0': invalid common variable: world variable 'moon_phase' does not "
        "exist in the bound schema",
    ),
    (
        "bad schema field",
        lambda: with_entry(
            package_zip(),
            "schemas/npc.json",
            json_entry(
                {**SCHEMAS[0], "fields": {"trust": {"value_type": "int", "default": "high", "description": None}}}
            ),
        ),
        "invalid data package: schema 'npc': invalid schema: field 'trust' default must match value_type 'int'",
    ),
    (
        "bad preset",
        lambda: with_entry(
            package_zip(),
            "presets/tuned.json",
            json_entry({**PRESET, "agents": {**PRESET["agents"], "keeper": {"modules": [{"module_id": " "}]}}}),
        ),
        "invalid data package: preset 'tuned': invalid preset: ",
    ),
]


@pytest.mark.parametrize(("case", "archive", "message"), HOSTILE, ids=[case for case, _, _ in HOSTILE])
async def test_a_hostile_or_invalid_archive_is_refused_and_nothing_is_written(
    rpc: RpcClient, case: str, archive: Callable[[], bytes], message: str
) -> None:
    data = await trio.to_thread.run_sync(archive)
    error = await import_refusal(rpc, data)
    assert error["code"] == -32602 and error["message"].startswith(message), error
    await assert_nothing_written(rpc)


async def test_a_refused_commit_keeps_its_slot_for_another_upload(rpc: RpcClient) -> None:
    import_id = await prepare_and_upload(rpc, b"garbage")
    assert (await rpc.error("data_package.import_commit", {"import_id": import_id}))["code"] == -32602
    assert (await upload(rpc, import_id, package_zip())).status_code == 200
    await rpc.result("data_package.import_commit", {"import_id": import_id})


# -- a commit killed midway --------------------------------------------------------------


def bulky_package(prefix: str, character_count: int, cover_bytes: int) -> bytes:
    """Many characters with incompressible covers: a commit that takes a while to write."""
    package = sample_package(
        presets=[],
        lorebooks=[],
        player_profiles=[],
        story_resources=[],
        stories=[],
        schemas=[attrs.evolve(sample_package().schemas[0], schema_id=f"{prefix}-npc")],
        characters=[
            PackagedCharacter(
                CharacterCardContent(f"{prefix}-{index:04d}", "N", "p", "s", f"{prefix}-npc", "sp"),
                PackagedCover("cover.png", CoverMimeType.PNG, os.urandom(cover_bytes)),
            )
            for index in range(character_count)
        ],
    )
    return package_zip(package)


async def character_ids_with(rpc: RpcClient, prefix: str) -> list[str]:
    listed = (await rpc.result("character.list"))["characters"]
    return [c["character_id"] for c in listed if c["character_id"].startswith(f"{prefix}-")]


async def started_server(data_dir: Path) -> ServerProcess:
    server = ServerProcess(data_dir)
    await server.start()
    return server


async def timed_commit(server: ServerProcess, data: bytes) -> float:
    """Seconds one commit of `data` takes, upload not included."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        rpc = RpcClient(http)
        import_id = await prepare_and_upload(rpc, data)
        started = trio.current_time()
        await rpc.result("data_package.import_commit", {"import_id": import_id})
        return trio.current_time() - started


async def kill_during_commit(server: ServerProcess, data: bytes, after_s: float) -> bool:
    """Upload `data`, start its commit, SIGKILL the server `after_s` later.
    True when the commit had not answered by then."""
    answered = trio.Event()
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        rpc = RpcClient(http)
        import_id = await prepare_and_upload(rpc, data)

        async def commit() -> None:
            try:
                await rpc.call("data_package.import_commit", {"import_id": import_id})
                answered.set()
            except httpx.TransportError:
                pass  # the server died under the request

        async with trio.open_nursery() as nursery:
            nursery.start_soon(commit)
            await trio.sleep(after_s)  # a point inside the commit, from the timed one; nothing is asserted on time
            in_flight = not answered.is_set()
            await server.kill()
    return in_flight


KILL_POINTS = (0.6, 0.3, 0.15)  # fractions of a measured commit; the next only when a kill came too late
BULKY_CHARACTERS, BULKY_COVER_BYTES = 300, 40 * 1024


async def test_an_import_killed_in_the_middle_of_its_commit_leaves_all_or_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = await started_server(data_dir)
    try:
        warm_up = await trio.to_thread.run_sync(bulky_package, "warm", BULKY_CHARACTERS, BULKY_COVER_BYTES)
        commit_s = await timed_commit(server, warm_up)
        killed_midway = False
        for attempt, fraction in enumerate(KILL_POINTS):
            prefix = f"cut{attempt}"
            data = await trio.to_thread.run_sync(bulky_package, prefix, BULKY_CHARACTERS, BULKY_COVER_BYTES)
            killed_midway = await kill_during_commit(server, data, commit_s * fraction)
            server = await started_server(data_dir)
            await assert_all_or_nothing(server, prefix)
            if killed_midway:
                break
        assert killed_midway, "every kill came after the commit had answered"
    finally:
        await stop(server)


async def assert_all_or_nothing(server: ServerProcess, prefix: str) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        rpc = RpcClient(http)
        found = await character_ids_with(rpc, prefix)
        assert len(found) in (0, BULKY_CHARACTERS), len(found)
        schema_ids = [s["schema_id"] for s in (await rpc.result("schema.list"))["schemas"]]
        assert (f"{prefix}-npc" in schema_ids) == bool(found)
        if found:
            assert len(await cover_of(rpc, found[-1])) == BULKY_COVER_BYTES
        assert len(await character_ids_with(rpc, "warm")) == BULKY_CHARACTERS


async def stop(server: ServerProcess) -> None:
    """SIGKILL unless it already exited: a failed test must not leave a server behind."""
    if server.process is not None and server.process.returncode is None:
        await server.kill()
