"""A playable story whose resources carry one lorebook, for the lore tests over HTTP."""

from __future__ import annotations

from typing import Any

from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient
from tests.support.session_world import create_story, start_session


def lore_entry(entry_id: str, keywords: list[str], *, always: bool = False, **activation: Any) -> dict[str, Any]:
    """An entry titled after its id whose content is `About {id}.`; extra arguments are its activation."""
    shape: dict[str, Any] = {
        "entry_id": entry_id,
        "title": entry_id.title(),
        "content": f"About {entry_id}.",
        "keywords": keywords,
        "enabled": True,
        "always_include": always,
    }
    if activation:
        shape["activation"] = activation
    return shape


def harbor_lore(**settings: Any) -> dict[str, Any]:
    """`world` always; `dock` (the start node's title); `lantern` (sticky for 2 turns) and `oil`
    on the keyword "lantern"; `rumor` on "tavern", half the time."""
    book: dict[str, Any] = {
        "lorebook_id": "harbor",
        "display_name": "Harbor",
        "entries": [
            lore_entry("world", [], always=True),
            lore_entry("dock", ["dock"]),
            lore_entry("lantern", ["lantern"], sticky=2),
            lore_entry("oil", ["lantern"]),
            lore_entry("rumor", ["tavern"], probability=50),
        ],
    }
    if settings:
        book["settings"] = settings
    return book


async def story_with_lore(rpc: RpcClient, stub: RunningStub, lorebook: dict[str, Any]) -> str:
    """The session world's story, its resources pointing at `lorebook` (created here); its id."""
    await rpc.result("lorebook.create", lorebook)
    story_id = await create_story(rpc, stub)
    resource_id = (await rpc.result("story.get", {"story_id": story_id}))["resource_id"]
    await rpc.result("story_resources.update", {"resource_id": resource_id, "lorebook_ids": [lorebook["lorebook_id"]]})
    return story_id


async def session_with_lore(rpc: RpcClient, stub: RunningStub, lorebook: dict[str, Any]) -> str:
    return await start_session(rpc, await story_with_lore(rpc, stub, lorebook))
