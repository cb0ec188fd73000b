"""DraftActors: one DraftActor per story draft, under a Supervisor (ARCHITECTURE §1).

A DraftActor owns one draft: `continue`, `update_graph`, `finalize` and `delete` of that draft
run one at a time, in arrival order, so two `continue` calls can never build the same section.
It keeps the draft record it last stored and replaces it whole after each operation; a crash
restarts it empty, and it reloads the draft from the store on its next message.
`DraftActors` is the `DraftOwner` the runtime's draft methods hand their work to.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Final, Union

import attrs
import trio

from actors.supervisor import ActorCrashed, ActorGaveUp, Supervisor
from runtime.errors import BackendError
from runtime.model.graph import StoryGraph
from runtime.model.stories import Story, StoryDraft, StoryDraftDeleted, StoryDraftRecord
from runtime.services import Services, drafts

DRAFT_ACTOR_IDLE_S: Final = 300.0
"""An actor with no message for this long stops; the next message starts a fresh one."""


@attrs.frozen
class ContinueDraft:
    pass


@attrs.frozen
class UpdateDraftGraph:
    graph: StoryGraph


@attrs.frozen
class FinalizeDraft:
    pass


@attrs.frozen
class DeleteDraft:
    pass


DraftMessage = Union[ContinueDraft, UpdateDraftGraph, FinalizeDraft, DeleteDraft]


class DraftActor:
    """The owner of one draft. Domain errors reach the asker; anything else is a crash."""

    def __init__(self, services: Services, draft_id: str) -> None:
        self._services = services
        self._draft_id = draft_id
        self._draft: StoryDraftRecord | None = None  # as last stored; None until loaded

    async def handle(self, message: DraftMessage) -> StoryDraft | Story | StoryDraftDeleted:
        if isinstance(message, DeleteDraft):
            self._draft = None
            return await drafts.delete_draft(self._services, self._draft_id)
        draft = await self._current()
        if isinstance(message, ContinueDraft):
            change = await drafts.continue_draft(self._services, draft)
        elif isinstance(message, UpdateDraftGraph):
            change = await drafts.update_draft_graph(self._services, draft, message.graph)
        else:
            finalized = await drafts.finalize_draft(self._services, draft)
            self._draft = finalized.record
            return finalized.story
        self._draft = change.record
        return change.payload

    async def _current(self) -> StoryDraftRecord:
        # Only a draft that exists is kept: one created later under this id must be seen.
        if self._draft is None:
            self._draft = await drafts.load_draft(self._services, self._draft_id)
        return self._draft


class DraftActors:
    """`DraftOwner` over a Supervisor keyed by draft id."""

    def __init__(self, nursery: trio.Nursery, services: Services, *, idle_timeout_s: float = DRAFT_ACTOR_IDLE_S):
        self._supervisor: Supervisor[str] = Supervisor(
            nursery, lambda draft_id: DraftActor(services, draft_id), idle_timeout_s=idle_timeout_s
        )

    @property
    def supervisor(self) -> Supervisor[str]:
        return self._supervisor

    async def continue_draft(self, draft_id: str) -> StoryDraft:
        return await self._ask(draft_id, ContinueDraft())

    async def update_draft_graph(self, draft_id: str, graph: StoryGraph) -> StoryDraft:
        return await self._ask(draft_id, UpdateDraftGraph(graph))

    async def finalize_draft(self, draft_id: str) -> Story:
        return await self._ask(draft_id, FinalizeDraft())

    async def delete_draft(self, draft_id: str) -> StoryDraftDeleted:
        return await self._ask(draft_id, DeleteDraft())

    async def _ask(self, draft_id: str, message: DraftMessage) -> Any:
        try:
            return await self._supervisor.ask(draft_id, message)
        except ActorCrashed as crashed:
            raise BackendError(f"story draft '{draft_id}' failed: {crashed.__cause__!r}") from crashed
        except ActorGaveUp as gave_up:
            raise BackendError(f"story draft '{draft_id}' is unavailable: {gave_up}") from gave_up


@contextlib.asynccontextmanager
async def open_draft_actors(
    services: Services, *, idle_timeout_s: float = DRAFT_ACTOR_IDLE_S
) -> AsyncIterator[DraftActors]:
    """Run draft actors for the duration of the block; leaving it stops them all."""
    async with trio.open_nursery() as nursery:
        try:
            yield DraftActors(nursery, services, idle_timeout_s=idle_timeout_s)
        finally:
            nursery.cancel_scope.cancel()
