"""Lore in played turns over HTTP: timed effects carried in the snapshot across turns and a
restart, committed with the turn or not at all, and each turn's activations in DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import trio

from runtime.store import DATABASE_FILE_NAME
from tests.support.llm_stub import RunningStub
from tests.support.lore_world import harbor_lore, session_with_lore
from tests.support.server import RpcClient, start_server
from tests.support.session_world import (
    actor_beat,
    narration,
    narrator_beat,
    ops,
    performance,
    plan,
    run_turn,
    turn_script,
)

LANTERN_LINE = "- lantern | Lantern | keywords=lantern | About lantern."
OIL_LINE = "- oil | Oil | keywords=lantern | About oil."

# "Which entries fire most, which never fire": the query of the README, kept verbatim here.
FIRING_QUERY = """
WITH entries AS (
    SELECT lorebook_id, unnest(json_extract_string(doc, '$.entries[*].entry_id')) AS entry_id FROM lorebooks
)
SELECT e.lorebook_id, e.entry_id, count(a.entry_id) AS turns_fired
FROM entries e LEFT JOIN lore_activations a USING (lorebook_id, entry_id)
GROUP BY ALL ORDER BY turns_fired DESC, e.lorebook_id, e.entry_id
"""


async def play(rpc: RpcClient, stub: RunningStub, session_id: str, player_input: str) -> list[str]:
    """Play a turn (scripted answers); return each prompt the turn sent (its messages joined)."""
    await stub.control.reset()
    await stub.control.script(*turn_script())
    reply = await run_turn(rpc.http, session_id, player_input)
    assert reply.last_frame["type"] == "completed", reply.last_frame
    requests = await stub.control.requests()
    return ["\n".join(message["content"] for message in request["body"]["messages"]) for request in requests]


def prompts_with(prompts: list[str], line: str) -> int:
    return sum(1 for prompt in prompts if line in prompt)


async def timers(rpc: RpcClient, session_id: str) -> Any:
    return (await rpc.result("session.get", session_id=session_id))["snapshot"].get("lore_timers")


async def lore_session(nursery: trio.Nursery, data_dir: Path, stub: RunningStub, **settings: Any) -> tuple[Any, str]:
    """A server on `data_dir` and a session whose story has the harbor lorebook."""
    server = await start_server(nursery, data_dir)
    return server, await session_with_lore(server.client, stub, harbor_lore(**settings))


async def stop(server: Any) -> None:
    await server.client.http.aclose()
    await server.stop()


def database_rows(data_dir: Path, query: str, params: list[Any] | None = None) -> list[Any]:
    with duckdb.connect(str(data_dir / DATABASE_FILE_NAME), read_only=True) as database:
        return database.execute(query, params or []).fetchall()


async def test_a_sticky_entry_stays_across_turns_and_a_restart(
    nursery: trio.Nursery, tmp_path: Path, llm_stub: RunningStub
) -> None:
    server, session_id = await lore_session(nursery, tmp_path / "data", llm_stub, scan_depth=0)
    rpc = server.client
    first = await play(rpc, llm_stub, session_id, "I light a lantern.")
    assert prompts_with(first, LANTERN_LINE) == prompts_with(first, OIL_LINE) == 5  # keeper ×2, director, beats
    assert await timers(rpc, session_id) == [{"lorebook_id": "harbor", "entry_id": "lantern", "sticky_until": 3}]

    second = await play(rpc, llm_stub, session_id, "I wait.")
    assert prompts_with(second, LANTERN_LINE) > 0 and prompts_with(second, OIL_LINE) == 0
    await stop(server)

    server = await start_server(nursery, tmp_path / "data")
    rpc = server.client
    assert await timers(rpc, session_id) == [{"lorebook_id": "harbor", "entry_id": "lantern", "sticky_until": 3}]
    dry = (await rpc.result("lorebook.dry_run", {}, session_id=session_id))["trace"]
    lantern = next(row for row in dry["entries"] if row["entry_id"] == "lantern")
    assert (dry["turn"], lantern["reason"], lantern["timers"]) == (3, "sticky", {"sticky_until": 3})
    third = await play(rpc, llm_stub, session_id, "I wait.")
    assert prompts_with(third, LANTERN_LINE) > 0 and prompts_with(third, OIL_LINE) == 0
    fourth = await play(rpc, llm_stub, session_id, "I wait.")
    assert prompts_with(fourth, LANTERN_LINE) == 0
    assert await timers(rpc, session_id) is None
    await stop(server)

    data_dir = tmp_path / "data"
    fired = database_rows(
        data_dir,
        "SELECT turn_index, entry_id, activation, recursion_level FROM lore_activations"
        " WHERE session_id = ? ORDER BY turn_index, entry_id",
        [session_id],
    )
    turns = database_rows(data_dir, "SELECT turn_index, seed, timers FROM lore_turns ORDER BY turn_index")
    firing = database_rows(data_dir, FIRING_QUERY)
    assert fired == [
        (1, "dock", "keyword", 0),
        (1, "lantern", "keyword", 0),
        (1, "oil", "keyword", 0),
        (1, "world", "constant", 0),
        (2, "dock", "keyword", 0),
        (2, "lantern", "sticky", 0),
        (2, "world", "constant", 0),
        (3, "dock", "keyword", 0),
        (3, "lantern", "sticky", 0),
        (3, "world", "constant", 0),
        (4, "dock", "keyword", 0),
        (4, "world", "constant", 0),
    ]
    assert [turn for turn, _, _ in turns] == [1, 2, 3, 4] and all(type(seed) is int for _, seed, _ in turns)
    assert [timer for _, _, timer in turns] == [
        None,
        '[{"lorebook_id":"harbor","entry_id":"lantern","sticky_until":3}]',
        '[{"lorebook_id":"harbor","entry_id":"lantern","sticky_until":3}]',
        None,
    ]
    assert firing == [
        ("harbor", "dock", 4),
        ("harbor", "world", 4),
        ("harbor", "lantern", 3),
        ("harbor", "oil", 1),
        ("harbor", "rumor", 0),
    ]


async def test_a_failed_turn_leaves_the_timers_and_the_record_as_they_were(
    nursery: trio.Nursery, tmp_path: Path, llm_stub: RunningStub
) -> None:
    server, session_id = await lore_session(nursery, tmp_path / "data", llm_stub, scan_depth=0)
    rpc = server.client
    await play(rpc, llm_stub, session_id, "I light a lantern.")
    before = await rpc.result("session.get", session_id=session_id)
    await llm_stub.control.reset()
    await llm_stub.control.script(
        ops(), plan(narrator_beat(), actor_beat()), narration(), performance(), {"status": 401}
    )
    reply = await run_turn(rpc.http, session_id, "I wait.")
    assert reply.last_frame["type"] == "failed"
    assert await rpc.result("session.get", session_id=session_id) == before
    await stop(server)
    assert database_rows(tmp_path / "data", "SELECT DISTINCT turn_index FROM lore_activations") == [(1,)]
    assert database_rows(tmp_path / "data", "SELECT count(*) FROM lore_turns") == [(1,)]


async def test_deleting_a_session_deletes_its_lore_record(
    nursery: trio.Nursery, tmp_path: Path, llm_stub: RunningStub
) -> None:
    server, session_id = await lore_session(nursery, tmp_path / "data", llm_stub)
    await play(server.client, llm_stub, session_id, "A lantern.")
    await server.client.result("session.delete", session_id=session_id)
    await stop(server)
    for table in ("lore_turns", "lore_activations"):
        assert database_rows(tmp_path / "data", f"SELECT count(*) FROM {table}") == [(0,)]
