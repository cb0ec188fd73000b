"""`preset.delete` refuses while a story draft or a session names the preset (PROTOCOL §6.5).

Drafts and sessions are written as raw rows with only the columns the reference query reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runtime.codec import CODEC
from runtime.errors import Conflict, NotFound
from runtime.model.presets import PresetCreateParams, PresetIdParams
from runtime.services import Services
from runtime.services.presets import create_preset, delete_preset, get_preset
from runtime.store import Cursor, open_store

AGENTS = {
    agent: {"modules": []} for agent in ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")
}
DRAFT_ROW = (
    "INSERT INTO story_drafts (draft_id, resource_id, api_group_id, preset_id, doc)"
    " VALUES ('draft-0', 'resource-0', 'g', ?, '{}')"
)
SESSION_ROW = (
    "INSERT INTO sessions (session_id, story_id, player_schema_id, api_group_id, preset_id, turn_index,"
    " doc) VALUES ('session-0', 'story-0', 's', 'g', ?, 0, '{}')"
)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_store(tmp_path) as store:
        yield Services(store)


async def insert(services: Services, sql: str, preset_id: str) -> None:
    def run(cursor: Cursor) -> None:
        cursor.execute(sql, [preset_id])

    await services.store.write(run)


@pytest.mark.parametrize("sql", [DRAFT_ROW, SESSION_ROW])
async def test_referenced_preset_is_not_deleted(services: Services, sql: str) -> None:
    params = CODEC.structure({"preset_id": "p", "display_name": "P", "agents": AGENTS}, PresetCreateParams)
    await create_preset(services, params)
    await insert(services, sql, "p")
    with pytest.raises(Conflict) as raised:
        await delete_preset(services, PresetIdParams(" p "))
    assert raised.value.message == "preset 'p' is still referenced by draft or session"
    assert (await get_preset(services, PresetIdParams("p"))).preset_id == "p"


async def test_reference_is_checked_before_existence(services: Services) -> None:
    await insert(services, SESSION_ROW, "missing")
    with pytest.raises(Conflict, match="preset 'missing' is still referenced by draft or session"):
        await delete_preset(services, PresetIdParams("missing"))
    with pytest.raises(NotFound, match="preset 'other' not found"):
        await delete_preset(services, PresetIdParams("other"))
