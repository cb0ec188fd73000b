"""Deletes of schemas, lorebooks and player profiles refuse while another record points at them.

The referring families (characters, story resources, stories, sessions) are written here as raw
rows, with only the columns the reference queries read, so each reference is tested on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runtime.errors import Conflict, NotFound
from runtime.model.lorebooks import LorebookCreateParams, LorebookIdParams
from runtime.model.player_profiles import PlayerProfileCreateParams, PlayerProfileIdParams
from runtime.model.schemas import SchemaCreateParams, SchemaIdParams
from runtime.services import Services
from runtime.services.lorebooks import create_lorebook, delete_lorebook, get_lorebook
from runtime.services.player_profiles import create_player_profile, delete_player_profile, get_player_profile
from runtime.services.schemas import create_schema, delete_schema, get_schema
from runtime.store import Cursor, open_store


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_store(tmp_path) as store:
        yield Services(store)


async def insert(services: Services, sql: str, *values: object) -> None:
    def run(cursor: Cursor) -> None:
        cursor.execute(sql, list(values))

    await services.store.write(run)


CHARACTER_ROW = "INSERT INTO characters (character_id, schema_id, doc) VALUES ('c', ?, '{}')"
RESOURCES_ROW = (
    "INSERT INTO story_resources (resource_id, character_ids, lorebook_ids, world_schema_id_seed,"
    " player_schema_id_seed, doc) VALUES ('resource-0', [], ?, ?, ?, '{}')"
)
STORY_ROW = (
    "INSERT INTO stories (story_id, resource_id, world_schema_id, player_schema_id, doc)"
    " VALUES ('story-0', 'resource-0', ?, ?, '{}')"
)
SESSION_ROW = (
    "INSERT INTO sessions (session_id, story_id, player_profile_id, player_schema_id, api_group_id, preset_id,"
    " turn_index, doc) VALUES ('session-0', 'story-0', ?, ?, 'g', 'p', 0, '{}')"
)

SCHEMA_REFERENCES = [
    (CHARACTER_ROW, ["s"]),
    (RESOURCES_ROW, [[], "s", None]),
    (RESOURCES_ROW, [[], None, "s"]),
    (STORY_ROW, ["s", "other"]),
    (STORY_ROW, ["other", "s"]),
    (SESSION_ROW, [None, "s"]),
]


@pytest.mark.parametrize(("sql", "values"), SCHEMA_REFERENCES)
async def test_referenced_schema_is_not_deleted(services: Services, sql: str, values: list[object]) -> None:
    await create_schema(services, SchemaCreateParams("s", "S", {}))
    await insert(services, sql, *values)
    with pytest.raises(Conflict) as raised:
        await delete_schema(services, SchemaIdParams("s"))
    assert raised.value.message == "schema 's' is still referenced"
    assert (await get_schema(services, SchemaIdParams("s"))).schema_id == "s"


async def test_schema_reference_is_checked_before_existence(services: Services) -> None:
    await insert(services, CHARACTER_ROW, "missing")
    with pytest.raises(Conflict, match="schema 'missing' is still referenced"):
        await delete_schema(services, SchemaIdParams("missing"))
    with pytest.raises(NotFound, match="schema 'other' not found"):
        await delete_schema(services, SchemaIdParams("other"))


async def test_lorebook_listed_by_story_resources_is_not_deleted(services: Services) -> None:
    await create_lorebook(services, LorebookCreateParams("lore", "Lore"))
    await insert(services, RESOURCES_ROW, ["x", "lore"], None, None)
    with pytest.raises(Conflict) as raised:
        await delete_lorebook(services, LorebookIdParams("lore"))
    assert raised.value.message == "lorebook 'lore' is still referenced by story resources"
    assert (await get_lorebook(services, LorebookIdParams("lore"))).lorebook_id == "lore"
    with pytest.raises(Conflict, match="lorebook 'x' is still referenced by story resources"):
        await delete_lorebook(services, LorebookIdParams("x"))


async def test_player_profile_used_by_a_session_is_not_deleted(services: Services) -> None:
    await create_player_profile(services, PlayerProfileCreateParams("mira", "Mira", "A courier."))
    await insert(services, SESSION_ROW, "mira", "s")
    with pytest.raises(Conflict) as raised:
        await delete_player_profile(services, PlayerProfileIdParams("mira"))
    assert raised.value.message == "player profile 'mira' is still referenced by a session"
    assert (await get_player_profile(services, PlayerProfileIdParams("mira"))).display_name == "Mira"


async def test_unreferenced_records_are_deleted(services: Services) -> None:
    await insert(services, SESSION_ROW, "someone-else", "other")
    await create_schema(services, SchemaCreateParams("s", "S", {}))
    await create_player_profile(services, PlayerProfileCreateParams("mira", "Mira", ""))
    await delete_schema(services, SchemaIdParams("s"))
    await delete_player_profile(services, PlayerProfileIdParams("mira"))
    with pytest.raises(NotFound):
        await get_schema(services, SchemaIdParams("s"))
    with pytest.raises(NotFound):
        await get_player_profile(services, PlayerProfileIdParams("mira"))
