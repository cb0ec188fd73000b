"""`lorebook.dry_run` (a Dramaturg addition, README "Lorebook activation"): which entries a
prompt would get, and why, without playing a turn. Changes nothing.

Sources: lorebooks by id, a story's lorebooks, or a session (the envelope `session_id`), which
adds its current node, its history and its timed effects, as its next turn would see them.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import trio

from runtime.errors import InvalidParams
from runtime.lore import Activation, LoreMoment, LoreScan, activate, render_lore_entries, trace_activation
from runtime.model.lore import LoreDryRun, LoreDryRunParams
from runtime.services._services import Services
from runtime.services.session_turns import load_turn_setup
from runtime.services.sessions import load_session
from runtime.store import Cursor
from runtime.store.lorebooks import read_story_lore
from runtime.store.stories import STORIES
from runtime.store.story_resources import STORY_RESOURCES
from runtime.turns import session_lore_activation

SOURCES = "lorebook_ids, story_id or the envelope session_id"


async def dry_run_lore(services: Services, params: LoreDryRunParams, session_id: str | None) -> LoreDryRun:
    """The activation of the source's lore over `params.text` (and `params.history`, or the
    session's), with `params.seed` or a new seed, and its trace.

    Raises InvalidParams when not exactly one source is given, or `history` comes with a
    session; NotFound for a missing lorebook, story, story resources or session (and, for a
    session, the setup errors of PROTOCOL §8.1, as a runtime preview).
    """
    given = [name for name, value in _sources(params, session_id) if value is not None]
    if len(given) != 1:
        raise InvalidParams(f"lorebook.dry_run needs exactly one of {SOURCES}, got {_listed(given)}")
    seed = services.seeds.next_seed() if params.seed is None else params.seed
    if session_id is not None:
        activation = await _session_activation(services, session_id, params, seed)
    else:
        activation = await _text_activation(services, params, seed)
    return await trio.to_thread.run_sync(_dry_run_payload, activation)


def _dry_run_payload(activation: Activation) -> LoreDryRun:
    """The trace of a large lorebook takes tens of milliseconds: built off the event loop."""
    matches = activation.matches()
    return LoreDryRun(
        trace=trace_activation(activation),
        lorebook_base=render_lore_entries(matches.base),
        lorebook_matched=render_lore_entries(matches.matched),
    )


def _sources(params: LoreDryRunParams, session_id: str | None) -> list[tuple[str, object]]:
    return [("lorebook_ids", params.lorebook_ids), ("story_id", params.story_id), ("session_id", session_id)]


def _listed(names: Sequence[str]) -> str:
    return " and ".join(names) if names else "none"


async def _session_activation(services: Services, session_id: str, params: LoreDryRunParams, seed: int) -> Activation:
    if params.history is not None:
        raise InvalidParams("params.history: not allowed with a session (the session's own history is scanned)")
    session = await load_session(services, session_id)
    setup = await load_turn_setup(services, session, client_agents=())
    return await trio.to_thread.run_sync(session_lore_activation, attrs.evolve(setup, lore_seed=seed), params.text)


async def _text_activation(services: Services, params: LoreDryRunParams, seed: int) -> Activation:
    def read(cursor: Cursor) -> list[str]:
        if params.lorebook_ids is not None:
            return params.lorebook_ids
        assert params.story_id is not None
        story = STORIES.require(cursor, params.story_id)
        return STORY_RESOURCES.require(cursor, story.resource_id).lorebook_ids

    scan = LoreScan(history=tuple(params.history or ()), trailing=(params.text or "",))
    return await services.store.read(
        lambda cursor: activate(read_story_lore(cursor, read(cursor)), scan, LoreMoment(seed=seed))
    )
