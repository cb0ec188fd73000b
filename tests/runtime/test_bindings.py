"""Binding resolution and the global config (PROTOCOL §6.17), on a real store with raw rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runtime.errors import Conflict, InvalidParams, NotFound
from runtime.model.overview import EngineBinding, GlobalConfig
from runtime.services import Services
from runtime.services.bindings import global_binding, resolve_binding
from runtime.services.overview import get_global_config
from runtime.store import Cursor, open_store


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_store(tmp_path) as store:
        yield Services(store)


async def add_rows(services: Services, api_group_ids: list[str], preset_ids: list[str]) -> None:
    def insert(cursor: Cursor) -> None:
        for group_id in api_group_ids:
            cursor.execute("INSERT INTO api_groups VALUES (?, [], '{}')", [group_id])
        for preset_id in preset_ids:
            cursor.execute("INSERT INTO presets VALUES (?, '{}')", [preset_id])

    await services.store.write(insert)


async def resolve(services: Services, api_group_id: str | None, preset_id: str | None) -> EngineBinding:
    return await services.store.read(lambda cursor: resolve_binding(cursor, api_group_id, preset_id))


async def test_global_config_is_the_first_of_each_by_plain_string_order(services: Services) -> None:
    await add_rows(services, ["g-2", "g-10", "z"], ["p-b", "p-a"])
    assert await get_global_config(services) == GlobalConfig("g-10", "p-a")
    assert await services.store.read(global_binding) == EngineBinding("g-10", "p-a")


@pytest.mark.parametrize(("groups", "presets"), [([], []), (["g"], []), ([], ["p"])])
async def test_global_config_needs_both(services: Services, groups: list[str], presets: list[str]) -> None:
    await add_rows(services, groups, presets)
    assert await get_global_config(services) == GlobalConfig()
    assert await services.store.read(global_binding) is None


async def test_given_ids_are_used_and_trimmed(services: Services) -> None:
    await add_rows(services, ["a", "b"], ["p", "q"])
    assert await resolve(services, " b ", "q\t") == EngineBinding("b", "q")


async def test_missing_ids_default_to_the_first(services: Services) -> None:
    await add_rows(services, ["a", "b"], ["p", "q"])
    assert await resolve(services, "b", None) == EngineBinding("b", "p")
    assert await resolve(services, None, "q") == EngineBinding("a", "q")
    assert await resolve(services, None, None) == EngineBinding("a", "p")


async def test_unknown_given_ids_are_not_found(services: Services) -> None:
    await add_rows(services, ["a"], ["p"])
    with pytest.raises(NotFound, match=r"^api group 'ghost' not found$"):
        await resolve(services, "ghost", "p")
    with pytest.raises(NotFound, match=r"^preset 'ghost' not found$"):
        await resolve(services, "a", "ghost")
    with pytest.raises(NotFound, match=r"^preset 'ghost' not found$"):
        await resolve(services, None, "ghost")


async def test_blank_given_ids_are_refused(services: Services) -> None:
    await add_rows(services, ["a"], ["p"])
    with pytest.raises(InvalidParams, match=r"^api_group_id must not be empty$"):
        await resolve(services, " ", None)
    with pytest.raises(InvalidParams, match=r"^preset_id must not be empty$"):
        await resolve(services, None, "")


@pytest.mark.parametrize(
    ("groups", "presets", "api_group_id", "preset_id"),
    [
        ([], [], None, None),
        (["g"], [], None, None),
        ([], ["p"], None, None),
        (["g"], [], "g", None),
        ([], ["p"], None, "p"),
    ],
)
async def test_nothing_to_default_to_is_a_conflict(
    services: Services, groups: list[str], presets: list[str], api_group_id: str | None, preset_id: str | None
) -> None:
    await add_rows(services, groups, presets)
    with pytest.raises(Conflict, match=r"^llm engine config is not initialized$"):
        await resolve(services, api_group_id, preset_id)
