"""`story_resources.*` over HTTP: server ids, effective names, reference checks."""

from __future__ import annotations

from tests.support.fixtures import create_cast, create_lorebook, create_schema
from tests.support.server import RpcClient


async def test_create_get_list_update_delete(rpc: RpcClient) -> None:
    await create_cast(rpc, "merchant", "guard")
    created = await rpc.result(
        "story_resources.create",
        {"story_concept": "  A flooded harbor  ", "character_ids": ["merchant"], "planned_story": "   "},
    )
    assert created == {
        "type": "story_resources_created",
        "resource_id": "resource-0",
        "display_name": "A flooded harbor",
        "story_concept": "  A flooded harbor  ",
        "character_ids": ["merchant"],
        "player_schema_id_seed": None,
        "world_schema_id_seed": None,
        "lorebook_ids": [],
        "planned_story": None,
    }
    second = await rpc.result(
        "story_resources.create", {"display_name": "Second", "story_concept": "c", "character_ids": ["guard"]}
    )
    assert second["resource_id"] == "resource-1" and second["display_name"] == "Second"
    updated = await rpc.result(
        "story_resources.update",
        {"resource_id": "resource-0", "planned_story": "Plan", "character_ids": ["merchant", "guard"]},
    )
    assert updated["type"] == "story_resources_updated"
    assert updated["planned_story"] == "Plan" and updated["character_ids"] == ["merchant", "guard"]
    assert updated["story_concept"] == "  A flooded harbor  "
    listed = await rpc.result("story_resources.list")
    assert [item["resource_id"] for item in listed["resources"]] == ["resource-0", "resource-1"]
    assert await rpc.result("story_resources.delete", {"resource_id": "resource-1"}) == {
        "type": "story_resources_deleted",
        "resource_id": "resource-1",
    }
    third = await rpc.result("story_resources.create", {"story_concept": "c", "character_ids": ["guard"]})
    assert third["resource_id"] == "resource-2"  # ids are never reused (R1)


async def test_empty_cast_and_missing_references_are_refused_and_nothing_is_written(rpc: RpcClient) -> None:
    await create_cast(rpc, "merchant")
    assert await rpc.error("story_resources.create", {"story_concept": "c", "character_ids": []}) == {
        "code": -32602,
        "message": "character_ids cannot be empty",
    }
    assert await rpc.error("story_resources.create", {"story_concept": "c", "character_ids": ["ghost"]}) == {
        "code": 40404,
        "message": "character 'ghost' not found",
    }
    missing_seed = await rpc.error(
        "story_resources.create", {"story_concept": "c", "character_ids": ["merchant"], "world_schema_id_seed": "nope"}
    )
    assert missing_seed == {"code": 40404, "message": "schema 'nope' not found"}
    missing_lorebook = await rpc.error(
        "story_resources.create", {"story_concept": "c", "character_ids": ["merchant"], "lorebook_ids": ["lb"]}
    )
    assert missing_lorebook == {"code": 40404, "message": "lorebook 'lb' not found"}
    assert (await rpc.result("story_resources.list"))["resources"] == []


async def test_seeds_are_kept_when_omitted_and_references_block_deletes(rpc: RpcClient) -> None:
    await create_cast(rpc, "merchant")
    await create_schema(rpc, "world-seed")
    await create_lorebook(rpc, "harbor")
    await rpc.result(
        "story_resources.create",
        {
            "story_concept": "c",
            "character_ids": ["merchant"],
            "world_schema_id_seed": "world-seed",
            "lorebook_ids": ["harbor"],
        },
    )
    kept = await rpc.result("story_resources.update", {"resource_id": "resource-0", "story_concept": "d"})
    assert kept["world_schema_id_seed"] == "world-seed" and kept["lorebook_ids"] == ["harbor"]
    assert (await rpc.error("character.delete", {"character_id": "merchant"}))["code"] == 40909
    assert await rpc.error("lorebook.delete", {"lorebook_id": "harbor"}) == {
        "code": 40909,
        "message": "lorebook 'harbor' is still referenced by story resources",
    }
    assert await rpc.error("schema.delete", {"schema_id": "world-seed"}) == {
        "code": 40909,
        "message": "schema 'world-seed' is still referenced",
    }


async def test_unknown_resource_is_not_found(rpc: RpcClient) -> None:
    for method in ("story_resources.get", "story_resources.delete", "story_resources.update"):
        assert await rpc.error(method, {"resource_id": "resource-9"}) == {
            "code": 40404,
            "message": "story resources 'resource-9' not found",
        }
