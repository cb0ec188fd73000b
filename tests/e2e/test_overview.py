"""`config.get_global` and `dashboard.get` over HTTP against a real server."""

from __future__ import annotations

from tests.e2e.test_apis import API, bindings
from tests.support.server import RpcClient

EMPTY_COUNTS = {
    "characters_total": 0,
    "characters_with_cover": 0,
    "story_resources_total": 0,
    "stories_total": 0,
    "sessions_total": 0,
}


async def test_global_config_is_empty_on_a_fresh_store(rpc: RpcClient) -> None:
    assert await rpc.result("config.get_global") == {"type": "global_config"}


async def test_global_config_omits_both_keys_while_presets_are_missing(rpc: RpcClient) -> None:
    await rpc.result("api.create", API)
    await rpc.result("api_group.create", {"api_group_id": "g", "display_name": "G", "bindings": bindings()})
    assert await rpc.result("config.get_global") == {"type": "global_config"}


async def test_dashboard_works_on_an_empty_store(rpc: RpcClient) -> None:
    dashboard = await rpc.result("dashboard.get")
    assert dashboard == {
        "type": "dashboard",
        "health": {"status": "ok"},
        "counts": EMPTY_COUNTS,
        "global_config": {},
        "recent_stories": [],
        "recent_sessions": [],
    }


async def test_methods_without_params_refuse_params(rpc: RpcClient) -> None:
    for method in ("config.get_global", "dashboard.get"):
        envelope = await rpc.call(method, {"api_group_id": "g"}, expect_status=400)
        assert envelope["error"] == {"code": -32602, "message": "params.api_group_id: unknown field"}


async def test_dashboard_counts_created_characters(rpc: RpcClient) -> None:
    await rpc.result("schema.create", {"schema_id": "s", "display_name": "S", "fields": {}})
    for character_id in ("a", "b"):
        content = {
            "id": character_id,
            "name": character_id.upper(),
            "personality": "",
            "style": "",
            "schema_id": "s",
            "system_prompt": "",
        }
        await rpc.result("character.create", {"content": content})
    counts = (await rpc.result("dashboard.get"))["counts"]
    assert counts == {**EMPTY_COUNTS, "characters_total": 2}
