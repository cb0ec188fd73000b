"""The binary routes for characters: covers and `.chr` archives over HTTP (PROTOCOL §5, §16.1, §16.3)."""

from __future__ import annotations

import io
import json
import stat
import warnings
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from tests.e2e.test_characters import CONTENT, PNG, WEBP, card, create_schema, stored_blob_ids, upload_cover
from tests.support.server import RpcClient, RunningServer, start_server

CHR_MIME = "application/x-sillystage-character-card"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(200))
MIB = 1024 * 1024


async def post(
    http: httpx.AsyncClient, path: str, data: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    response = await http.post(path, content=data, headers=headers or {})
    assert response.headers["content-type"].startswith("application/json")
    return response


async def merchant(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": CONTENT})


async def export(rpc: RpcClient, character_id: str = "merchant") -> bytes:
    response = await rpc.http.get(f"/download/character%3A{character_id}/archive")
    assert response.status_code == 200, response.text
    return response.content


def zip_bytes(entries: list[tuple[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns when asked to write a duplicate name
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, value in entries:
                archive.writestr(zipfile.ZipInfo(name), json.dumps(value) if isinstance(value, dict) else value)
    return buffer.getvalue()


MANIFEST = {
    "format": "sillystage_character_card",
    "version": 1,
    "character_id": "merchant",
    "content_path": "content.json",
    "cover_path": "cover.png",
    "cover_mime_type": "image/png",
}


def chr_with(
    cover_name: str = "cover.png", extra: list[tuple[str, Any]] | None = None, content: dict[str, Any] | None = None
) -> bytes:
    return zip_bytes(
        [
            ("manifest.json", {**MANIFEST, "cover_path": cover_name}),
            ("content.json", content or CONTENT),
            (cover_name, PNG),
            *(extra or []),
        ]
    )


def zip_bomb() -> bytes:
    """One entry of 300 MiB of zeros (about 1.3 MB deflated), streamed so the test never holds it whole."""
    buffer = io.BytesIO()
    chunk = bytes(MIB)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("manifest.json", json.dumps(MANIFEST))
        archive.writestr("content.json", json.dumps(CONTENT))
        with archive.open("cover.png", "w") as entry:
            for _ in range(300):
                entry.write(chunk)
    return buffer.getvalue()


# -- covers ------------------------------------------------------------------------------


async def test_cover_upload_strips_parameters_and_keeps_the_given_file_name(rpc: RpcClient) -> None:
    await merchant(rpc)
    response = await post(
        rpc.http,
        "/upload/character%3Amerchant/cover",
        PNG,
        {"Content-Type": "image/png; charset=binary", "x-file-name": "portrait.png"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "resource_id": "character:merchant",
        "file_id": "cover",
        "file_name": "portrait.png",
        "content_type": "image/png",
        "size_bytes": len(PNG),
    }
    got = await rpc.result("character.get", {"character_id": "merchant"})
    assert (got["cover_file_name"], got["cover_mime_type"]) == ("portrait.png", "image/png")


async def test_cover_is_downloaded_with_its_type_and_file_name(rpc: RpcClient) -> None:
    await merchant(rpc)
    await post(
        rpc.http,
        "/upload/character%3Amerchant/cover",
        JPEG,
        {"Content-Type": "image/jpeg", "x-file-name": 'my "best"\\face.jpg'},
    )
    response = await rpc.http.get("/download/character%3Amerchant/cover")
    assert response.status_code == 200 and response.content == JPEG
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == 'attachment; filename="my _best__face.jpg"'


@pytest.mark.parametrize(
    ("data", "sent", "content_type", "file_name"),
    [
        (PNG, "image/png", "image/png", "cover.png"),
        (JPEG, "image/jpeg", "image/jpeg", "cover.jpg"),
        (WEBP, "image/webp ;q=1", "image/webp", "cover.webp"),
    ],
)
async def test_cover_file_name_defaults_from_the_type(
    rpc: RpcClient, data: bytes, sent: str, content_type: str, file_name: str
) -> None:
    await merchant(rpc)
    response = await post(rpc.http, "/upload/character%3Amerchant/cover", data, {"Content-Type": sent})
    assert (response.json()["file_name"], response.json()["content_type"]) == (file_name, content_type)


async def test_replacing_a_cover_serves_the_new_one_and_deletes_the_old_blob(server: RunningServer) -> None:
    rpc = server.client
    await merchant(rpc)
    await upload_cover(rpc, "merchant", PNG)
    await upload_cover(rpc, "merchant", JPEG, "image/jpeg")
    response = await rpc.http.get("/download/character%3Amerchant/cover")
    assert (response.content, response.headers["content-type"]) == (JPEG, "image/jpeg")
    assert await stored_blob_ids(server) == ["blob-1"]


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ({"Content-Type": "image/gif"}, PNG, "invalid character cover payload: unsupported content type 'image/gif'"),
        ({}, PNG, "invalid character cover payload: unsupported content type 'application/octet-stream'"),
        ({"Content-Type": "image/png"}, b"", "invalid character cover payload: cover bytes must not be empty"),
        (
            {"Content-Type": "image/png"},
            b"hello, this is not a picture at all\n",
            "invalid character cover payload: the bytes are not a PNG, JPEG or WebP image"
            " (found text starting 'hello, this is not a pic')",
        ),
        (
            {"Content-Type": "image/webp"},
            b"GIF89a" + bytes(20),
            "invalid character cover payload: the bytes are not a PNG, JPEG or WebP image (found a GIF image)",
        ),
        (
            {"Content-Type": "image/jpeg"},
            bytes([0, 1, 2, 250, 251, 252, 253, 254, 255]),
            "invalid character cover payload: the bytes are not a PNG, JPEG or WebP image"
            " (found bytes starting 00 01 02 fa fb fc fd fe)",
        ),
    ],
)
async def test_bad_cover_uploads_are_refused_and_change_nothing(
    rpc: RpcClient, headers: dict[str, str], body: bytes, message: str
) -> None:
    await merchant(rpc)
    response = await post(rpc.http, "/upload/character%3Amerchant/cover", body, headers)
    assert (response.status_code, response.json()) == (400, {"code": -32602, "message": message})
    assert (await rpc.result("character.get", {"character_id": "merchant"}))["cover_file_name"] is None


async def test_a_cover_is_stored_as_the_type_its_bytes_are(rpc: RpcClient) -> None:
    await merchant(rpc)
    response = await post(rpc.http, "/upload/character%3Amerchant/cover", JPEG, {"Content-Type": "image/png"})
    assert (response.json()["content_type"], response.json()["file_name"]) == ("image/jpeg", "cover.jpg")
    download = await rpc.http.get("/download/character%3Amerchant/cover")
    assert (download.content, download.headers["content-type"]) == (JPEG, "image/jpeg")


async def test_content_type_is_checked_before_the_body_and_the_character(rpc: RpcClient) -> None:
    response = await post(rpc.http, "/upload/character%3Aghost/cover", b"", {"Content-Type": "text/plain"})
    assert response.json()["message"] == "invalid character cover payload: unsupported content type 'text/plain'"
    response = await post(rpc.http, "/upload/character%3Aghost/cover", b"", {"Content-Type": "image/png"})
    assert response.json()["message"] == "invalid character cover payload: cover bytes must not be empty"


async def test_cover_of_an_unknown_character(rpc: RpcClient) -> None:
    response = await post(rpc.http, "/upload/character%3Aghost/cover", PNG, {"Content-Type": "image/png"})
    assert (response.status_code, response.json()) == (404, {"code": 40404, "message": "character 'ghost' not found"})
    response = await rpc.http.get("/download/character%3Aghost/cover")
    assert (response.status_code, response.json()) == (404, {"code": 40404, "message": "character 'ghost' not found"})


async def test_downloads_without_a_cover_conflict(rpc: RpcClient) -> None:
    await merchant(rpc)
    for file_id in ("cover", "archive"):
        response = await rpc.http.get(f"/download/character%3Amerchant/{file_id}")
        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {"code": 40909, "message": "character 'merchant' does not have a cover yet"}


async def test_both_path_segments_are_percent_decoded(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": card(id="guild/merchant")})
    response = await post(rpc.http, "/upload/character%3Aguild%2Fmerchant/%63over", PNG, {"Content-Type": "image/png"})
    assert response.status_code == 200 and response.json()["resource_id"] == "character:guild/merchant"
    assert (await rpc.http.get("/download/character:guild%2Fmerchant/cover")).content == PNG


# -- invalid slots and size limit --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reference"),
    [
        ("/upload/character%3Amerchant/portrait", "character:merchant/portrait"),
        ("/upload/character%3Amerchant/%20", "character:merchant/<empty>"),
        ("/upload/character%3Amerchant/", "character:merchant/<empty>"),
        ("/upload/merchant/cover", "merchant/cover"),
        ("/upload/package_export%3Ax/archive", "package_export:x/archive"),
    ],
)
async def test_unknown_upload_slots_are_invalid_references(rpc: RpcClient, path: str, reference: str) -> None:
    response = await post(rpc.http, path, PNG, {"Content-Type": "image/png"})
    assert (response.status_code, response.json()) == (
        400,
        {"code": -32602, "message": f"invalid resource file reference '{reference}'"},
    )


async def test_unknown_download_slots_are_invalid_references(rpc: RpcClient) -> None:
    for path, reference in (
        ("/download/package_import%3Ax/archive", "package_import:x/archive"),
        ("/download/character%3Amerchant/thumb", "character:merchant/thumb"),
    ):
        response = await rpc.http.get(path)
        assert (response.status_code, response.json()) == (
            400,
            {"code": -32602, "message": f"invalid resource file reference '{reference}'"},
        )


async def test_oversized_bodies_get_413_bare_on_uploads_and_enveloped_on_rpc(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    small = await start_server(nursery, tmp_path / "small", max_upload_bytes=1000)
    try:
        message = "request body exceeds the limit of 1000 bytes"
        response = await small.client.http.post(
            "/upload/character%3Amerchant/cover", content=bytes(5000), headers={"Content-Type": "image/png"}
        )
        assert (response.status_code, response.json()) == (413, {"code": -32600, "message": message})
        assert response.headers["connection"] == "close"
        assert response.headers["content-type"].startswith("application/json")
        response = await small.client.http.post(
            "/rpc", content=b'{"pad":"' + b"x" * 2000 + b'"}', headers={"Content-Type": "application/json"}
        )
        assert (response.status_code, response.json()) == (
            413,
            {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}},
        )
        assert response.headers["connection"] == "close"
    finally:
        await small.client.http.aclose()
        await small.stop()


# -- .chr export -------------------------------------------------------------------------


async def test_export_names_the_cover_from_its_type_whatever_it_was_uploaded_as(rpc: RpcClient) -> None:
    await merchant(rpc)
    await post(
        rpc.http,
        "/upload/character%3Amerchant/cover",
        JPEG,
        {"Content-Type": "image/jpeg", "x-file-name": "portrait.jpeg"},
    )
    response = await rpc.http.get("/download/character%3Amerchant/archive")
    assert response.status_code == 200
    assert response.headers["content-type"] == CHR_MIME
    assert response.headers["content-disposition"] == 'attachment; filename="merchant.chr"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["manifest.json", "content.json", "cover.jpg"]
    assert json.loads(archive.read("manifest.json")) == {
        **MANIFEST,
        "cover_path": "cover.jpg",
        "cover_mime_type": "image/jpeg",
    }
    assert json.loads(archive.read("content.json")) == CONTENT
    assert archive.read("cover.jpg") == JPEG
    assert all(
        info.compress_type == zipfile.ZIP_DEFLATED and stat.S_IMODE(info.external_attr >> 16) == 0o644
        for info in archive.infolist()
    )


async def test_export_of_an_unknown_character_is_not_found(rpc: RpcClient) -> None:
    response = await rpc.http.get("/download/character%3Aghost/archive")
    assert (response.status_code, response.json()) == (404, {"code": 40404, "message": "character 'ghost' not found"})


# -- .chr import -------------------------------------------------------------------------


async def test_exported_card_imports_elsewhere_with_the_same_content_and_cover(
    rpc: RpcClient, nursery: trio.Nursery, tmp_path: Path
) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": card(tags=["a", "b"], folder="x/y")})
    await upload_cover(rpc, "merchant", JPEG, "image/jpeg")
    archive = await export(rpc)
    original = await rpc.result("character.get", {"character_id": "merchant"})

    other = await start_server(nursery, tmp_path / "other")
    try:
        await create_schema(other.client)
        response = await post(
            other.client.http,
            "/upload/character%3Amerchant/archive",
            archive,
            {"Content-Type": "application/octet-stream"},
        )
        assert response.json() == {
            "resource_id": "character:merchant",
            "file_id": "archive",
            "file_name": "merchant.chr",
            "content_type": CHR_MIME,
            "size_bytes": len(archive),
        }
        imported = await other.client.result("character.get", {"character_id": "merchant"})
        assert imported == original
        assert imported["content"] == card(tags=["a", "b"], folder="x/y")
        cover = await other.client.http.get("/download/character%3Amerchant/cover")
        assert (cover.content, cover.headers["content-type"]) == (JPEG, "image/jpeg")
        assert cover.headers["content-disposition"] == 'attachment; filename="cover.jpg"'
        reexported = zipfile.ZipFile(io.BytesIO(await export(other.client)))
        assert reexported.read("cover.jpg") == JPEG
    finally:
        await other.client.http.aclose()
        await other.stop()


async def test_import_uses_the_manifest_cover_path_and_the_given_file_name(rpc: RpcClient) -> None:
    await create_schema(rpc)
    response = await post(
        rpc.http,
        "/upload/character%3Amerchant/archive",
        chr_with("cover.portrait.png"),
        {"Content-Type": "image/png", "x-file-name": "Merchant card.chr"},
    )
    assert response.status_code == 200 and response.json()["file_name"] == "Merchant card.chr"
    got = await rpc.result("character.get", {"character_id": "merchant"})
    assert (got["cover_file_name"], got["cover_mime_type"]) == ("cover.portrait.png", "image/png")


async def test_import_normalizes_tags_and_folder(rpc: RpcClient) -> None:
    await create_schema(rpc)
    archive = chr_with(content=card(tags=[" a", "a", ""], folder="/f/"))
    assert (await post(rpc.http, "/upload/character%3Amerchant/archive", archive)).status_code == 200
    got = await rpc.result("character.get", {"character_id": "merchant"})
    assert (got["content"]["tags"], got["content"]["folder"]) == (["a"], "f")


async def test_import_refuses_an_id_other_than_the_slot(rpc: RpcClient) -> None:
    await create_schema(rpc)
    response = await post(rpc.http, "/upload/character%3Athief/archive", chr_with())
    assert (response.status_code, response.json()) == (
        400,
        {"code": -32602, "message": "character_id 'thief' does not match content.id 'merchant'"},
    )


async def test_import_of_an_existing_character_conflicts_and_keeps_it(rpc: RpcClient) -> None:
    await create_schema(rpc)
    await rpc.result("character.create", {"content": card(name="Original")})
    response = await post(rpc.http, "/upload/character%3Amerchant/archive", chr_with())
    assert (response.status_code, response.json()) == (
        409,
        {"code": 40909, "message": "character 'merchant' already exists"},
    )
    got = await rpc.result("character.get", {"character_id": "merchant"})
    assert got["content"]["name"] == "Original" and got["cover_file_name"] is None


async def test_import_requires_the_schema(server: RunningServer) -> None:
    response = await post(server.client.http, "/upload/character%3Amerchant/archive", chr_with())
    assert (response.status_code, response.json()) == (404, {"code": 40404, "message": "schema 's' not found"})
    assert await stored_blob_ids(server) == []


HOSTILE_ARCHIVES = {
    "not a zip": (b"definitely not a zip", "invalid character archive: not a ZIP archive"),
    "empty body": (b"", "invalid character archive: not a ZIP archive"),
    "truncated": (chr_with()[:-30], "invalid character archive: not a ZIP archive"),
    "parent segment": (
        chr_with("cover/../../x.png"),
        "invalid character archive: entry name 'cover/../../x.png' contains a '..' segment",
    ),
    "absolute name": (
        chr_with(extra=[("/etc/cron.d/evil", b"x")]),
        "invalid character archive: entry name '/etc/cron.d/evil' is an absolute path",
    ),
    "backslash": (
        chr_with(extra=[("..\\evil.txt", b"x")]),
        "invalid character archive: entry name '..\\evil.txt' contains a backslash",
    ),
    "duplicate": (
        chr_with(extra=[("content.json", card(name="Second"))]),
        "invalid character archive: entry 'content.json' appears more than once",
    ),
    "unexpected entry": (
        chr_with(extra=[("readme.txt", b"hi")]),
        "invalid character archive: unexpected entry 'readme.txt'",
    ),
    "missing manifest": (
        zip_bytes([("content.json", CONTENT), ("cover.png", PNG)]),
        "missing character archive entry: manifest.json",
    ),
    "missing cover": (
        zip_bytes([("manifest.json", MANIFEST), ("content.json", CONTENT)]),
        "missing character archive entry: cover.png",
    ),
    "manifest id mismatch": (
        chr_with(content=card(id="thief")),
        "character id mismatch between manifest (merchant) and content (thief)",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_ARCHIVES))
async def test_hostile_archives_are_refused_and_nothing_is_written(server: RunningServer, case: str) -> None:
    data, message = HOSTILE_ARCHIVES[case]
    await create_schema(server.client)
    response = await post(server.client.http, "/upload/character%3Amerchant/archive", data)
    assert (response.status_code, response.json()) == (400, {"code": -32602, "message": message})
    assert (await server.client.error("character.get", {"character_id": "merchant"}))["code"] == 40404
    assert await stored_blob_ids(server) == []


async def test_archive_damaged_in_the_middle_is_refused(server: RunningServer) -> None:
    whole = chr_with()
    await create_schema(server.client)
    response = await post(server.client.http, "/upload/character%3Amerchant/archive", whole[:150] + whole[300:])
    assert response.status_code == 400
    assert response.json()["message"].startswith("invalid character archive: damaged or truncated ZIP archive (")
    assert await stored_blob_ids(server) == []


async def test_zip_bomb_is_refused_while_decompressing(server: RunningServer) -> None:
    bomb = zip_bomb()
    assert len(bomb) < 2 * MIB
    await create_schema(server.client)
    response = await post(server.client.http, "/upload/character%3Amerchant/archive", bomb)
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": -32602,
            "message": (
                f"invalid character archive: entry 'cover.png' is larger than {64 * MIB} bytes once decompressed"
            ),
        },
    )
    assert (await server.client.error("character.get", {"character_id": "merchant"}))["code"] == 40404
    assert await stored_blob_ids(server) == []
