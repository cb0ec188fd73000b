"""`player_profile.*` over HTTP against a real server."""

from __future__ import annotations

from typing import Any

from tests.support.server import RpcClient


def profile(profile_id: str = "mira", **overrides: Any) -> dict[str, Any]:
    return {"player_profile_id": profile_id, "display_name": "Mira", "description": "A cautious courier.", **overrides}


async def test_round_trip(rpc: RpcClient) -> None:
    created = await rpc.result("player_profile.create", profile())
    assert created == {"type": "player_profile", **profile()}
    assert await rpc.result("player_profile.get", {"player_profile_id": "mira"}) == created
    assert await rpc.result("player_profile.list") == {"type": "player_profiles_listed", "player_profiles": [profile()]}

    renamed = await rpc.result("player_profile.update", {"player_profile_id": "mira", "display_name": "Mi"})
    assert renamed == {"type": "player_profile", **profile(display_name="Mi")}
    described = await rpc.result("player_profile.update", {"player_profile_id": "mira", "description": ""})
    assert described == {"type": "player_profile", **profile(display_name="Mi", description="")}
    assert await rpc.result("player_profile.update", {"player_profile_id": "mira"}) == described
    assert await rpc.result("player_profile.get", {"player_profile_id": "mira"}) == described

    deleted = await rpc.result("player_profile.delete", {"player_profile_id": "mira"})
    assert deleted == {"type": "player_profile_deleted", "player_profile_id": "mira"}
    assert (await rpc.result("player_profile.list"))["player_profiles"] == []


async def test_list_is_sorted_by_id(rpc: RpcClient) -> None:
    for profile_id in ("p-2", "p-10", "a"):
        await rpc.result("player_profile.create", profile(profile_id))
    listed = await rpc.result("player_profile.list")
    assert [item["player_profile_id"] for item in listed["player_profiles"]] == ["a", "p-10", "p-2"]


async def test_id_is_trimmed_on_create_only(rpc: RpcClient) -> None:
    created = await rpc.result("player_profile.create", profile("  mira\n"))
    assert created["player_profile_id"] == "mira"
    assert await rpc.error("player_profile.get", {"player_profile_id": "mira "}) == {
        "code": 40404,
        "message": "player profile 'mira ' not found",
    }


async def test_blank_id_is_refused(rpc: RpcClient) -> None:
    error = await rpc.error("player_profile.create", profile(" "), expect_status=200)
    assert error == {"code": -32602, "message": "player_profile_id must not be empty"}
    assert (await rpc.result("player_profile.list"))["player_profiles"] == []


async def test_duplicate_conflicts_and_keeps_the_first(rpc: RpcClient) -> None:
    await rpc.result("player_profile.create", profile())
    error = await rpc.error("player_profile.create", profile(display_name="Other"))
    assert error == {"code": 40909, "message": "player profile 'mira' already exists"}
    assert (await rpc.result("player_profile.get", {"player_profile_id": "mira"}))["display_name"] == "Mira"


async def test_description_is_required_on_create(rpc: RpcClient) -> None:
    params = profile()
    del params["description"]
    envelope = await rpc.call("player_profile.create", params, expect_status=400)
    assert envelope["error"] == {"code": -32602, "message": "params.description: missing required field"}
    envelope = await rpc.call(
        "player_profile.update", {"player_profile_id": "mira", "display_name": 3}, expect_status=400
    )
    assert envelope["error"] == {"code": -32602, "message": "params.display_name: expected string, got int"}


async def test_unknown_profile_is_not_found(rpc: RpcClient) -> None:
    for method in ("player_profile.get", "player_profile.update", "player_profile.delete"):
        error = await rpc.error(method, {"player_profile_id": "ghost"})
        assert error == {"code": 40404, "message": "player profile 'ghost' not found"}
