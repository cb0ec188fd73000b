"""`analytics.snapshot` and `dramaturg snapshot`: a copy any DuckDB client opens while the server
keeps running and writing, consistent across tables, without secrets."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import trio

from runtime.analytics import SNAPSHOT_TABLES
from tests.support.analytics_world import PRICES, play_a_story
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient, RunningServer
from tests.support.session_world import run_turn
from transport.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_NAME = re.compile(r"dramaturg-\d{8}T\d{6}\.\d{3}Z(-\d+)?\.duckdb")


async def keep_writing(rpc: RpcClient, session_id: str, completed: trio.MemorySendChannel[int]) -> None:
    """Create player profiles and play auto-answered turns, telling `completed` of each completed
    turn, until cancelled."""
    for number in range(10_000):
        await rpc.result(
            "player_profile.create", {"player_profile_id": f"writer-{number}", "display_name": "W", "description": ""}
        )
        if (await run_turn(rpc.http, session_id, "Go on.")).last_frame["type"] == "completed":
            completed.send_nowait(number)


async def wait_for_turns(completed: trio.MemoryReceiveChannel[int], count: int) -> None:
    for _ in range(count):
        await completed.receive()


async def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Run `sql` on the snapshot file in a worker thread: the server in this process keeps running."""

    def run() -> list[tuple[Any, ...]]:
        with duckdb.connect(path, read_only=True) as snapshot:
            return snapshot.execute(sql).fetchall()

    return await trio.to_thread.run_sync(run)


async def value(path: Path, sql: str) -> Any:
    """The first column of the first row of `sql` on the snapshot file."""
    return (await query(path, sql))[0][0]


async def test_a_snapshot_taken_mid_play_is_consistent_and_opens_while_the_server_writes(
    server: RunningServer, llm_stub: RunningStub
) -> None:
    rpc = server.client
    played = await play_a_story(rpc, llm_stub)
    completed_send, completed = trio.open_memory_channel[int](math.inf)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(keep_writing, rpc, played.played_session_id, completed_send)
        await wait_for_turns(completed, 2)  # turns commit before and while the snapshot is taken
        written = await rpc.result("analytics.snapshot")
        path = Path(written["path"])
        assert path.parent == (server.data_dir / "snapshots").resolve() and SNAPSHOT_NAME.fullmatch(path.name)
        assert written["file_name"] == path.name and written["size_bytes"] == (await trio.Path(path).stat()).st_size

        # opened with plain DuckDB while the server goes on writing
        counts = dict(
            await query(path, " UNION ALL ".join(f"SELECT '{t.name}', count(*) FROM {t.name}" for t in SNAPSHOT_TABLES))
        )
        assert [(table["table"], table["rows"]) for table in written["tables"]] == list(counts.items())
        sessions = await query(
            path,
            """SELECT session.turn_index, max(CAST(message.doc->>'$.turn_index' AS BIGINT)),
                      (SELECT count(*) FROM turns WHERE turns.session_id = session.session_id AND outcome = 'completed')
               FROM sessions AS session LEFT JOIN session_messages AS message USING (session_id)
               WHERE session.session_id = ? GROUP BY ALL""".replace("?", f"'{played.played_session_id}'"),
        )
        (turn_index, last_message_turn, completed_turns) = sessions[0]
        assert turn_index == last_message_turn == completed_turns >= 2 + 2  # each turn's rows came whole
        turns_in_snapshot = turn_index - 2  # beside the two of the played story
        # every call of a turn in the snapshot is there too (calls are written before their turn ends)
        per_turn = await query(
            path,
            """SELECT turns.turn_index, sum(turns.llm_calls),
                      (SELECT count(*) FROM llm_calls AS call
                       WHERE call.session_id = turns.session_id AND call.turn_index = turns.turn_index)
               FROM turns GROUP BY turns.session_id, turns.turn_index ORDER BY turns.turn_index""",
        )
        assert len(per_turn) == turns_in_snapshot + 2
        assert all(recorded == counted for _, recorded, counted in per_turn), per_turn
        await wait_for_turns(completed, turns_in_snapshot + 1 - 2)  # the server keeps playing after the snapshot
        nursery.cancel_scope.cancel()
    live_profiles = len((await rpc.result("player_profile.list"))["player_profiles"])
    assert counts["player_profiles"] < live_profiles
    assert [entry.name for entry in await trio.Path(path.parent).iterdir()] == [path.name]  # nothing half-written left


async def test_a_snapshot_holds_no_key_no_file_bytes_and_describes_its_columns(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await play_a_story(rpc, llm_stub)
    path = Path((await rpc.result("analytics.snapshot"))["path"])
    docs = await query(path, "SELECT doc FROM apis")
    assert docs and all("sk-test" not in doc and "api_key" not in doc for (doc,) in docs)
    assert await value(path, "SELECT doc->'$.prices' FROM apis") is not None
    assert [
        name for (name,) in await query(path, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'blobs'")
    ] == [
        "blob_id",
        "file_name",
        "content_type",
        "size_bytes",
        "created_at_ms",
    ]
    comments = dict(await query(path, "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'turns'"))
    assert comments["failed_stage"].startswith("the stage a failed turn stopped at")
    table_comment = await value(path, "SELECT comment FROM duckdb_tables() WHERE table_name = 'llm_calls'")
    assert table_comment.startswith("One row per LLM call")
    price = await value(path, "SELECT CAST(doc->>'$.prices.input_per_million_tokens' AS DOUBLE) FROM apis")
    assert price == PRICES["input_per_million_tokens"]


async def test_dramaturg_snapshot_asks_the_running_server_and_prints_the_path(
    server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    await server.client.result("analytics.snapshot")
    status = await trio.to_thread.run_sync(main, ["snapshot", "--server", server.url])
    out, err = capsys.readouterr()
    assert status == 0
    path = Path(out.strip())
    assert await trio.Path(path).is_file() and path.parent == (server.data_dir / "snapshots").resolve()
    assert len(list(await trio.Path(path.parent).glob("*.duckdb"))) == 2  # each snapshot is a file of its own
    assert "rows: llm_calls 0, turns 0" in err


async def test_dramaturg_snapshot_without_a_server_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with trio.socket.socket() as unused:
        await unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    status = await trio.to_thread.run_sync(main, ["snapshot", "--server", url])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith(f"dramaturg snapshot: no answer from {url}") and err.count("\n") == 1


async def test_the_example_queries_of_the_documentation_run_on_a_snapshot(
    rpc: RpcClient, llm_stub: RunningStub
) -> None:
    await play_a_story(rpc, llm_stub)
    path = Path((await rpc.result("analytics.snapshot"))["path"])
    doc = await trio.Path(REPO_ROOT / "docs" / "analytics.md").read_text()
    examples = re.findall(r"```sql\n(.*?)```", doc, flags=re.DOTALL)
    assert len(examples) >= 5
    results = [await query(path, sql) for sql in examples]
    assert all(results), "every example finds something in a played history"
