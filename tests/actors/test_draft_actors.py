"""DraftActors: a crash is reported as a backend error and the actor restarts from the stored draft."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from actors.drafts import DraftActors
from runtime.errors import BackendError, NotFound
from runtime.model.graph import NarrativeNode, StoryGraph
from runtime.services import Services, drafts
from runtime.store import Cursor, open_store
from runtime.store.stories import STORY_DRAFTS
from tests.runtime.test_generation_previews import seed

GRAPH = StoryGraph("pier", [NarrativeNode("pier", "Pier", "Fog.", "Wait.", [], [])])


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_store(tmp_path) as store:
        await store.write(seed)
        yield Services(store=store)


@pytest.fixture
def actors(services: Services, nursery: trio.Nursery) -> DraftActors:
    return DraftActors(nursery, services)


def rename_behind_the_actor(cursor: Cursor) -> None:
    draft = STORY_DRAFTS.require(cursor, "draft-0")
    STORY_DRAFTS.update(cursor, "draft-0", attrs.evolve(draft, display_name="Renamed in storage"))


async def test_a_crash_restarts_the_actor_from_the_stored_draft(
    actors: DraftActors, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await actors.update_draft_graph("draft-0", GRAPH)
    assert first.partial_graph == GRAPH and first.display_name == "D"
    await services.store.write(rename_behind_the_actor)

    async def crash(*args: Any) -> Any:
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patched:
        patched.setattr(drafts, "update_draft_graph", crash)
        with pytest.raises(BackendError, match=r"^story draft 'draft-0' failed: RuntimeError\('disk on fire'\)$"):
            await actors.update_draft_graph("draft-0", GRAPH)

    again = await actors.update_draft_graph("draft-0", GRAPH)
    assert again.display_name == "Renamed in storage"  # reloaded, not the record held before the crash
    assert actors.supervisor.statistics().restarted == 1


async def test_domain_errors_reach_the_caller_without_a_restart(actors: DraftActors) -> None:
    with pytest.raises(NotFound, match=r"^story draft 'draft-7' not found$"):
        await actors.finalize_draft("draft-7")
    assert actors.supervisor.statistics().restarted == 0
