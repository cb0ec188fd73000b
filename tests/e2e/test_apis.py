"""`api.*` and `api_group.*` over HTTP against a real server."""

from __future__ import annotations

from tests.support.server import RpcClient

API = {
    "api_id": "main",
    "display_name": "Main",
    "provider": "open_ai",
    "base_url": "https://example.invalid/v1",
    "api_key": "sk-abcdefgh1234",
    "model": "gpt-4o-mini",
}


def bindings(api_id: str = "main") -> dict[str, str]:
    agents = ["planner", "architect", "director", "actor", "narrator", "keeper", "replyer"]
    return {f"{agent}_api_id": api_id for agent in agents}


async def test_create_returns_masked_key_and_never_the_raw_key(rpc: RpcClient) -> None:
    result = await rpc.result("api.create", API)
    assert result == {
        "type": "api",
        "api_id": "main",
        "display_name": "Main",
        "provider": "open_ai",
        "base_url": "https://example.invalid/v1",
        "model": "gpt-4o-mini",
        "has_api_key": True,
        "api_key_masked": "sk-a...1234",
        "structured_output": "auto",
        "structured_output_in_use": "json_schema",
    }
    listed = await rpc.result("api.list")
    assert "sk-abcdefgh1234" not in str(listed)


async def test_short_and_empty_keys_are_masked_or_omitted(rpc: RpcClient) -> None:
    short = await rpc.result("api.create", {**API, "api_id": "short", "api_key": "abc"})
    assert short["api_key_masked"] == "***"
    empty = await rpc.result("api.create", {**API, "api_id": "empty", "api_key": ""})
    assert empty["has_api_key"] is False and "api_key_masked" not in empty


async def test_ids_are_trimmed_on_every_call(rpc: RpcClient) -> None:
    await rpc.result("api.create", {**API, "api_id": "  main  "})
    assert (await rpc.result("api.get", {"api_id": " main "}))["api_id"] == "main"


async def test_blank_id_is_refused(rpc: RpcClient) -> None:
    error = await rpc.error("api.create", {**API, "api_id": "   "}, expect_status=200)
    assert error == {"code": -32602, "message": "api_id must not be empty"}


async def test_duplicate_id_conflicts_and_keeps_the_first(rpc: RpcClient) -> None:
    await rpc.result("api.create", API)
    error = await rpc.error("api.create", {**API, "display_name": "Other"})
    assert error == {"code": 40909, "message": "api 'main' already exists"}
    assert (await rpc.result("api.get", {"api_id": "main"}))["display_name"] == "Main"


async def test_update_keeps_omitted_fields(rpc: RpcClient) -> None:
    await rpc.result("api.create", API)
    updated = await rpc.result("api.update", {"api_id": "main", "model": "m2", "provider": "anthropic"})
    assert updated["model"] == "m2" and updated["provider"] == "anthropic"
    assert updated["display_name"] == "Main" and updated["api_key_masked"] == "sk-a...1234"


async def test_unknown_api_is_not_found(rpc: RpcClient) -> None:
    for method in ("api.get", "api.delete", "api.update"):
        error = await rpc.error(method, {"api_id": "ghost"})
        assert error == {"code": 40404, "message": "api 'ghost' not found"}


async def test_bad_provider_is_a_decode_error(rpc: RpcClient) -> None:
    envelope = await rpc.call("api.create", {**API, "provider": "openai"}, expect_status=400)
    assert envelope["error"]["code"] == -32602
    assert envelope["error"]["message"] == 'params.provider: expected one of open_ai, anthropic, got "openai"'


async def test_list_is_sorted_by_id(rpc: RpcClient) -> None:
    for api_id in ("b", "a", "c"):
        await rpc.result("api.create", {**API, "api_id": api_id})
    listed = await rpc.result("api.list")
    assert [api["api_id"] for api in listed["apis"]] == ["a", "b", "c"]


async def test_api_group_round_trip(rpc: RpcClient) -> None:
    await rpc.result("api.create", API)
    created = await rpc.result("api_group.create", {"api_group_id": "g", "display_name": "G", "bindings": bindings()})
    assert created == {"type": "api_group", "api_group_id": "g", "display_name": "G", "bindings": bindings()}
    renamed = await rpc.result("api_group.update", {"api_group_id": "g", "display_name": "G2"})
    assert renamed["display_name"] == "G2" and renamed["bindings"] == bindings()
    listed = await rpc.result("api_group.list")
    assert listed["api_groups"] == [{key: value for key, value in renamed.items() if key != "type"}]
    deleted = await rpc.result("api_group.delete", {"api_group_id": "g"})
    assert deleted == {"type": "api_group_deleted", "api_group_id": "g"}


async def test_api_group_needs_existing_non_blank_apis(rpc: RpcClient) -> None:
    missing = await rpc.error("api_group.create", {"api_group_id": "g", "display_name": "G", "bindings": bindings()})
    assert missing == {"code": 40404, "message": "api 'main' not found"}
    blank = await rpc.error("api_group.create", {"api_group_id": "g", "display_name": "G", "bindings": bindings(" ")})
    assert blank == {"code": -32602, "message": "api_id must not be empty"}
    partial = dict(bindings())
    del partial["keeper_api_id"]
    envelope = await rpc.call(
        "api_group.create", {"api_group_id": "g", "display_name": "G", "bindings": partial}, expect_status=400
    )
    assert envelope["error"]["message"] == "params.bindings.keeper_api_id: missing required field"


async def test_api_used_by_a_group_cannot_be_deleted(rpc: RpcClient) -> None:
    await rpc.result("api.create", API)
    await rpc.result("api_group.create", {"api_group_id": "g", "display_name": "G", "bindings": bindings()})
    error = await rpc.error("api.delete", {"api_id": "main"})
    assert error == {"code": 40909, "message": "api 'main' is still referenced by api group"}
    await rpc.result("api_group.delete", {"api_group_id": "g"})
    await rpc.result("api.delete", {"api_id": "main"})
    assert (await rpc.result("api.list"))["apis"] == []


PRICES = {"input_per_million_tokens": 0.15, "output_per_million_tokens": 0.6, "currency": "EUR"}


async def test_prices_are_optional_and_kept_like_any_field(rpc: RpcClient) -> None:
    assert "prices" not in await rpc.result("api.create", API)
    priced = await rpc.result("api.create", {**API, "api_id": "priced", "prices": PRICES})
    assert priced["prices"] == PRICES
    assert (await rpc.result("api.get", {"api_id": "priced"}))["prices"] == PRICES
    renamed = await rpc.result("api.update", {"api_id": "priced", "display_name": "Renamed"})
    assert renamed["prices"] == PRICES


async def test_update_sets_and_null_removes_prices(rpc: RpcClient) -> None:
    await rpc.result("api.create", API)
    default_currency = {"input_per_million_tokens": 3, "output_per_million_tokens": 15}
    updated = await rpc.result("api.update", {"api_id": "main", "prices": default_currency})
    assert updated["prices"] == {**default_currency, "currency": "USD"}
    cleared = await rpc.result("api.update", {"api_id": "main", "prices": None})
    assert "prices" not in cleared and "prices" not in await rpc.result("api.get", {"api_id": "main"})


async def test_bad_prices_are_refused_by_field_and_change_nothing(rpc: RpcClient) -> None:
    await rpc.result("api.create", {**API, "prices": PRICES})
    cases = {
        "params.prices.input_per_million_tokens: expected a number >= 0, got -1": {
            **PRICES,
            "input_per_million_tokens": -1,
        },
        "params.prices.currency: expected a three-letter ISO 4217 code such as USD, got 'euro'": {
            **PRICES,
            "currency": "euro",
        },
    }
    for message, prices in cases.items():
        assert await rpc.error("api.update", {"api_id": "main", "prices": prices}) == {
            "code": -32602,
            "message": message,
        }
        assert await rpc.error("api.create", {**API, "api_id": "other", "prices": prices}) == {
            "code": -32602,
            "message": message,
        }
    decode = await rpc.call(
        "api.update", {"api_id": "main", "prices": {"input_per_million_tokens": "1"}}, expect_status=400
    )
    assert decode["error"]["message"] == (
        "params.prices.input_per_million_tokens: expected number, got string; "
        "params.prices.output_per_million_tokens: missing required field"
    )
    assert (await rpc.result("api.get", {"api_id": "main"}))["prices"] == PRICES
    assert (await rpc.error("api.get", {"api_id": "other"}))["code"] == 40404


# -- structured output (a Dramaturg extension) -------------------------------------------------------


async def test_structured_output_is_stored_shown_and_changed(rpc: RpcClient) -> None:
    created = await rpc.result("api.create", {**API, "structured_output": "json_object_schema"})
    assert (created["structured_output"], created["structured_output_in_use"]) == (
        "json_object_schema",
        "json_object_schema",
    )
    updated = await rpc.result("api.update", {"api_id": "main", "structured_output": "none"})
    assert updated["structured_output"] == "none"
    [listed] = (await rpc.result("api.list"))["apis"]
    assert (listed["structured_output"], listed["structured_output_in_use"]) == ("none", "none")
    kept = await rpc.result("api.update", {"api_id": "main", "model": "m2"})
    assert kept["structured_output"] == "none"


async def test_an_anthropic_api_uses_its_tool_under_auto(rpc: RpcClient) -> None:
    created = await rpc.result("api.create", {**API, "provider": "anthropic"})
    assert (created["structured_output"], created["structured_output_in_use"]) == ("auto", "json_schema")


async def test_a_mode_the_provider_cannot_use_is_refused_and_nothing_changes(rpc: RpcClient) -> None:
    error = await rpc.error(
        "api.create", {**API, "provider": "anthropic", "structured_output": "json_object"}, expect_status=200
    )
    assert error == {
        "code": -32602,
        "message": "params.structured_output: 'json_object' is not available for provider anthropic"
        " (expected one of auto, json_schema, none)",
    }
    await rpc.result("api.create", {**API, "structured_output": "json_object_schema"})
    error = await rpc.error("api.update", {"api_id": "main", "provider": "anthropic"}, expect_status=200)
    assert error["message"].startswith("params.structured_output: 'json_object_schema' is not available")
    assert (await rpc.result("api.get", {"api_id": "main"}))["provider"] == "open_ai"


async def test_an_unknown_mode_is_a_decode_error(rpc: RpcClient) -> None:
    envelope = await rpc.call("api.create", {**API, "structured_output": "grammar"}, expect_status=400)
    assert envelope["error"]["message"].startswith("params.structured_output: expected one of auto, json_schema")
