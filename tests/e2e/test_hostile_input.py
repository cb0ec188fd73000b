"""Hostile input on `/rpc` and the binary routes: always a JSON error naming the field, never a 500,
never stored, and never DuckDB's own text (issue 10, findings 3–5)."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path

import duckdb
import pytest
import trio

from tests.support.fixtures import create_schema
from tests.support.server import RpcClient, RunningServer, start_server

API = {
    "api_id": "main",
    "display_name": "Main",
    "provider": "open_ai",
    "base_url": "http://127.0.0.1:9/v1",
    "api_key": "sk-test-key-123",
    "model": "m",
}


async def post(rpc: RpcClient, body: bytes | str) -> tuple[int, dict]:
    response = await rpc.http.post("/rpc", content=body, headers={"Content-Type": "application/json"})
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    return response.status_code, response.json()


def envelope_text(method: str, params: str, request_id: str = '"r"') -> str:
    return f'{{"jsonrpc":"2.0","id":{request_id},"method":"{method}","params":{params}}}'


# -- finding 5: parser-level crashes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 10_000 + "]" * 10_000, "parse error: request body is not valid JSON (nested deeper than 128 levels)"),
        (
            '{"a":' * 10_000 + "1" + "}" * 10_000,
            "parse error: request body is not valid JSON (nested deeper than 128 levels)",
        ),
        (
            b'{"jsonrpc":"2.0","id":"\xed\xa0\x80","method":"api.list"}',
            "parse error: request body is not valid JSON (invalid UTF-8 at byte 23)",
        ),
        (
            b'{"jsonrpc":"2.0","id":"r","method":"api.list","params":{}}\xff',
            "parse error: request body is not valid JSON (invalid UTF-8 at byte 58)",
        ),
    ],
)
async def test_unparsable_bodies_are_parse_errors(rpc: RpcClient, body: str | bytes, message: str) -> None:
    status, answer = await post(rpc, body)
    assert status == 400
    assert answer == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": message}}


@pytest.mark.parametrize(
    ("body", "message", "echoed_id"),
    [
        ('{"jsonrpc":"2.0","id":"\\ud800","method":"api.list"}', 'id: string "\\ud800" holds a lone surrogate', None),
        (
            '{"jsonrpc":"2.0","id":"r","method":"api.li\\udfffst"}',
            'method: string "api.li\\udfffst" holds a lone surrogate',
            "r",
        ),
        (
            '{"jsonrpc":"2.0","id":"r","method":"api.list","session_id":"\\ud800"}',
            'session_id: string "\\ud800" holds a lone surrogate',
            "r",
        ),
        (
            '{"jsonrpc":"2.0","id":"r","method":"\\ud800","session_id":"\\udc00"}',
            'method: string "\\ud800" holds a lone surrogate',
            "r",
        ),
    ],
)
async def test_lone_surrogates_in_the_envelope_are_invalid_requests(
    rpc: RpcClient, body: str, message: str, echoed_id: str | None
) -> None:
    status, answer = await post(rpc, body)
    assert status == 400 and answer["id"] == echoed_id and "session_id" not in answer
    assert answer["error"] == {"code": -32600, "message": message}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ('{"\\ud800":1}', 'params: object key "\\ud800" holds a lone surrogate'),
        ('{"api_id":"\\ud800x"}', 'params.api_id: string "\\ud800x" holds a lone surrogate'),
        (
            '{"api_id":"a","display_name":["ok","\\udc00"]}',
            'params.display_name[1]: string "\\udc00" holds a lone surrogate',
        ),
        ('{"api_id":' + "[" * 200 + "]" * 200 + "}", "params.api_id" + "[0]" * 127 + ": nested deeper than 128 levels"),
        ('{"api_id":1e400}', "params.api_id: number out of range (not a finite double)"),
        ('{"api_id":-1e999}', "params.api_id: number out of range (not a finite double)"),
        ('{"api_id":' + str(2**64) + "}", "params.api_id: integer out of range (more than 64 bits)"),
    ],
)
async def test_hostile_values_in_params_are_named_by_path(rpc: RpcClient, params: str, message: str) -> None:
    status, answer = await post(rpc, envelope_text("api.get", params))
    assert status == 400 and answer["id"] == "r"
    assert answer["error"] == {"code": -32602, "message": message}


async def test_a_lone_surrogate_value_is_refused_before_the_store_sees_it(rpc: RpcClient) -> None:
    params = json.dumps({**API, "model": "MODEL"}).replace("MODEL", "m\\ud800")
    status, answer = await post(rpc, envelope_text("api.create", params))
    assert status == 400
    assert answer["error"] == {"code": -32602, "message": 'params.model: string "m\\ud800" holds a lone surrogate'}
    assert (await rpc.result("api.list"))["apis"] == []


# -- finding 4: non-finite numbers never reach the store ---------------------------------------


async def test_non_finite_numbers_are_refused_in_session_variables_and_preset_extra(rpc: RpcClient) -> None:
    update = '{"update":{"ops":[{"type":"SetState","key":"gold","value":1e400}]}}'
    status, answer = await post(rpc, envelope_text("session.update_variables", update))
    assert status == 400
    assert answer["error"]["message"] == "params.update.ops[0].value: number out of range (not a finite double)"
    preset = '{"preset_id":"p","display_name":"P","agents":{"planner":{"modules":[],"extra":{"top_k":1e400}}}}'
    status, answer = await post(rpc, envelope_text("preset.create", preset))
    assert status == 400
    assert answer["error"]["message"] == "params.agents.planner.extra.top_k: number out of range (not a finite double)"


async def test_infinity_stored_by_an_older_version_reads_back_as_null(nursery: trio.Nursery, tmp_path: Path) -> None:
    running = await start_server(nursery, tmp_path / "data")
    await create_schema(running.client, "world", {"gold": {"value_type": "int", "default": 0, "description": None}})
    await running.client.http.aclose()
    await running.stop()
    connection = duckdb.connect(str(tmp_path / "data" / "dramaturg.duckdb"))
    doc = connection.execute("SELECT doc FROM schemas WHERE schema_id = 'world'").fetchone()[0]
    connection.execute(
        "UPDATE schemas SET doc = ? WHERE schema_id = 'world'", [doc.replace('"default":0', '"default":Infinity')]
    )
    connection.close()
    restarted = await start_server(nursery, tmp_path / "data")
    try:
        response = await restarted.client.http.post(
            "/rpc", json={"jsonrpc": "2.0", "id": "r", "method": "schema.get", "params": {"schema_id": "world"}}
        )
        assert "Infinity" not in response.text
        assert response.json()["result"]["fields"]["gold"]["default"] is None
    finally:
        await restarted.client.http.aclose()
        await restarted.stop()


# -- finding 3: api keys, base URLs and models are checked when stored --------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"api_key": "sk-‘abc’"},
            "invalid configuration: api_key must be printable ASCII without spaces (character 4 is not)",
        ),
        (
            {"api_key": "sk-ab c"},
            "invalid configuration: api_key must be printable ASCII without spaces (character 6 is not)",
        ),
        (
            {"api_key": "sk-ab\r\nX-Evil: 1"},
            "invalid configuration: api_key must be printable ASCII without spaces (character 6 is not)",
        ),
        ({"base_url": "ftp://example.com"}, "invalid configuration: base_url must be an absolute http or https URL"),
        ({"base_url": "example.com/v1"}, "invalid configuration: base_url must be an absolute http or https URL"),
        ({"model": "gpt\n4"}, "invalid configuration: model must be printable text of at most 256 characters"),
    ],
)
async def test_unusable_connection_settings_are_refused_on_create_and_update(
    rpc: RpcClient, changes: dict[str, str], message: str
) -> None:
    error = await rpc.error("api.create", {**API, **changes})
    assert error == {"code": -32602, "message": message}
    await rpc.result("api.create", API)
    error = await rpc.error("api.update", {"api_id": "main", **changes})
    assert error == {"code": -32602, "message": message}
    assert (await rpc.result("api.get", {"api_id": "main"}))["api_key_masked"] == "sk-t...-123"


async def test_a_stored_key_that_cannot_be_sent_fails_before_any_request_and_is_never_logged(
    rpc: RpcClient, server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    await rpc.result("api.create", API)
    connection_key = "sk-‘secret-value’"
    await server.client.http.aclose()
    await server.stop()
    connection = duckdb.connect(str(server.data_dir / "dramaturg.duckdb"))
    doc = json.loads(connection.execute("SELECT doc FROM apis").fetchone()[0])
    connection.execute("UPDATE apis SET doc = ?", [json.dumps({**doc, "api_key": connection_key})])
    connection.close()
    async with trio.open_nursery() as nursery:
        restarted = await start_server(nursery, server.data_dir)
        try:
            with caplog.at_level(logging.DEBUG):
                error = await restarted.client.error(
                    "api.list_models", {"provider": "open_ai", "base_url": API["base_url"], "api_key": connection_key}
                )
            assert error["code"] == -32602 and error["message"].startswith("invalid configuration: api_key")
            assert all("secret-value" not in str(vars(record)) for record in caplog.records)
        finally:
            await restarted.client.http.aclose()
            await restarted.stop()


# -- uploads that carry JSON ---------------------------------------------------------------------


def chr_archive(manifest_text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", manifest_text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "manifest",
    [
        '{"format":"x","version":1e400}',
        '{"format":"\\ud800"}',
        "[" * 5000 + "]" * 5000,
    ],
)
async def test_archives_with_hostile_json_are_refused_as_invalid_params(rpc: RpcClient, manifest: str) -> None:
    character = await rpc.http.post("/upload/character%3Aanyone/archive", content=chr_archive(manifest))
    assert character.status_code == 400 and character.json()["code"] == -32602, character.text[:300]
    import_id = (await rpc.result("data_package.import_prepare"))["import_id"]
    stored = await rpc.http.post(f"/upload/package_import%3A{import_id}/archive", content=chr_archive(manifest))
    assert stored.status_code == 200
    error = await rpc.error("data_package.import_commit", {"import_id": import_id})
    assert error["code"] == -32602, error
