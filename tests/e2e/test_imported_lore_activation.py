"""An imported book's entries activate as the source tool's settings say: books written as
SillyTavern and CCv3 write them are imported over HTTP, then `lorebook.dry_run` (alone, and over
a session that played a turn) shows each entry's fate in its trace."""

from __future__ import annotations

import json
from typing import Any

from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient
from tests.support.session_world import create_story, run_turn, start_session, turn_script


def st_entry(uid: int, keys: list[str], content: str = "", **fields: Any) -> dict[str, Any]:
    """A World Info entry as SillyTavern writes it: every field, with its defaults."""
    entry = {
        "uid": uid,
        "key": keys,
        "keysecondary": [],
        "comment": f"Entry {uid}",
        "content": content or f"About entry {uid}.",
        "constant": False,
        "vectorized": False,
        "selective": True,
        "selectiveLogic": 0,
        "addMemo": True,
        "order": 100,
        "position": 0,
        "disable": False,
        "excludeRecursion": False,
        "preventRecursion": False,
        "delayUntilRecursion": False,
        "probability": 100,
        "useProbability": True,
        "depth": 4,
        "group": "",
        "groupOverride": False,
        "groupWeight": 100,
        "scanDepth": None,
        "caseSensitive": None,
        "matchWholeWords": None,
        "useGroupScoring": None,
        "automationId": "",
        "role": 0,
        "sticky": None,
        "cooldown": None,
        "delay": None,
        "displayIndex": uid,
    }
    return {**entry, **fields}


def world_info(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"entries": {str(entry["uid"]): entry for entry in entries}}


async def import_book(rpc: RpcClient, book: dict[str, Any], lorebook_id: str) -> None:
    response = await rpc.http.post(
        f"/upload/lorebook_import%3A{lorebook_id}/book", content=json.dumps(book).encode(), headers={"x-file-name": "b"}
    )
    assert response.status_code == 200, response.text


def rows(trace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["entry_id"]: row for row in trace["entries"]}


async def dry_run(rpc: RpcClient, params: dict[str, Any], session_id: str | None = None) -> dict[str, dict[str, Any]]:
    result = await rpc.result("lorebook.dry_run", {"seed": 1, **params}, session_id=session_id)
    return rows(result["trace"])


async def test_sillytavern_settings_decide_which_entries_activate(rpc: RpcClient) -> None:
    book = world_info(
        st_entry(0, ["storm"], keysecondary=["night", "fog"], selectiveLogic=3),  # AND ALL: fog is missing
        st_entry(1, ["storm"], keysecondary=["calm"], selectiveLogic=2),  # NOT ANY: calm is absent
        st_entry(2, ["/light(house|ship)/i"]),  # a regex key
        st_entry(3, ["cat"], matchWholeWords=True),  # only inside "concatenated"
        st_entry(4, ["storm"], probability=0),
        st_entry(5, ["storm"], probability=0, useProbability=False),  # the probability is off
        st_entry(6, ["sailor"], group="crew"),
        st_entry(7, ["sailor"], group="crew", groupOverride=True),
        st_entry(8, [], constant=True),
        st_entry(9, ["storm"], disable=True),
        st_entry(10, ["storm"], delay=2),  # needs two turns played first
        st_entry(11, ["storm"], "@@dont_activate\nNever."),
        st_entry(12, ["Rome"], caseSensitive=True),
    )
    await import_book(rpc, book, "coast")

    trace = await dry_run(
        rpc, {"lorebook_ids": ["coast"], "text": "A storm at night over the LIGHTHOUSE; a concatenated sailor, rome."}
    )

    reasons = {entry_id: row["reason"] for entry_id, row in trace.items()}
    assert reasons == {
        "0": "secondary_logic",
        "1": "keyword",
        "2": "keyword",
        "3": "no_keyword_match",
        "4": "probability",
        "5": "keyword",
        "6": "group",
        "7": "keyword",
        "8": "constant",
        "9": "disabled",
        "10": "delay",
        "11": "disabled",
        "12": "no_keyword_match",
    }
    assert trace["0"]["secondary"] == {"logic": "and_all", "matched": ["night"], "passed": False}
    assert trace["2"]["key"]["keyword"] == "/light(house|ship)/i"
    assert trace["4"]["probability"]["chance"] == 0
    assert trace["7"]["groups"] == [{"group": "crew", "winner": "coast/7", "decided_by": "override"}]


async def test_card_book_recursion_flags_are_followed(rpc: RpcClient) -> None:
    def entry(entry_id: str, keys: list[str], content: str, **extensions: Any) -> dict[str, Any]:
        return {
            "id": entry_id,
            "keys": keys,
            "content": content,
            "enabled": True,
            "insertion_order": 100,
            "extensions": extensions,
        }

    book = {
        "spec": "lorebook_v3",
        "data": {
            "name": "Chain",
            "recursive_scanning": True,
            "extensions": {},
            "entries": [
                entry("a", ["alpha"], "Alpha speaks of beta and gamma."),
                entry("b", ["beta"], "Beta."),
                entry("c", ["beta"], "Not from recursion.", exclude_recursion=True),
                entry("d", ["alpha"], "Delta mentions epsilon.", prevent_recursion=True),
                entry("e", ["epsilon"], "Never reached."),
                entry("f", ["gamma"], "Only from recursion.", delay_until_recursion=True),
                entry("g", ["omega"], "Not at step 0.", delay_until_recursion=True),
            ],
        },
    }
    await import_book(rpc, book, "chain")

    trace = await dry_run(rpc, {"lorebook_ids": ["chain"], "text": "alpha omega"})

    fired = {entry_id: row.get("recursion_level") for entry_id, row in trace.items() if row["activated"]}
    # g's key is in the scanned text, but it waits for the first recursion step (which, as in
    # SillyTavern, scans that text again along with the content that recursed)
    assert fired == {"a": 0, "d": 0, "b": 1, "f": 1, "g": 1}
    assert not trace["c"]["activated"] and not trace["e"]["activated"]
    alone = await dry_run(rpc, {"lorebook_ids": ["chain"], "text": "omega"})  # a step is taken for it alone
    assert (alone["g"]["reason"], alone["g"]["recursion_level"]) == ("keyword", 1)


async def test_ccv3_decorators_and_secondary_keys_are_followed(rpc: RpcClient) -> None:
    entries = [
        {"keys": ["tide"], "content": "@@exclude_keys calm\nRough water.", "enabled": True, "insertion_order": 1},
        {"keys": ["tide"], "content": "@@additional_keys moon\nSpring tide.", "enabled": True, "insertion_order": 2},
        {"keys": ["tide"], "content": "@@activate_only_after 3\nLate tide.", "enabled": True, "insertion_order": 3},
        {"keys": ["reef"], "content": "@@activate\nAlways the reef.", "enabled": True, "insertion_order": 4},
        {"keys": ["t[i]de"], "content": "A regex.", "enabled": True, "insertion_order": 5, "use_regex": True},
    ]
    await import_book(rpc, {"spec": "lorebook_v3", "data": {"name": "Sea", "entries": entries}}, "sea")

    trace = await dry_run(rpc, {"lorebook_ids": ["sea"], "text": "The tide is calm", "history": ["tide"]})

    reasons = {entry_id: row["reason"] for entry_id, row in trace.items()}
    assert reasons == {"0": "secondary_logic", "1": "secondary_logic", "2": "delay", "3": "constant", "4": "keyword"}
    activated = await dry_run(rpc, {"lorebook_ids": ["sea"], "text": "a tide under the moon"})
    assert activated["0"]["reason"] == activated["1"]["reason"] == "keyword"


async def test_timed_effects_carry_over_turns_as_sillytavern_sets_them(rpc: RpcClient, llm_stub: RunningStub) -> None:
    book = world_info(st_entry(0, ["lantern"], sticky=2), st_entry(1, ["lantern"], cooldown=3))
    await import_book(rpc, book, "lamps")
    story_id = await create_story(rpc, llm_stub)
    resource_id = (await rpc.result("story.get", {"story_id": story_id}))["resource_id"]
    await rpc.result("story_resources.update", {"resource_id": resource_id, "lorebook_ids": ["lamps"]})
    session_id = await start_session(rpc, story_id)
    await llm_stub.control.script(*turn_script())
    reply = await run_turn(rpc.http, session_id, "I light the lantern.")
    assert reply.last_frame["type"] == "completed", reply.last_frame

    trace = await dry_run(rpc, {"text": "I light the lantern again."}, session_id=session_id)

    assert (trace["0"]["reason"], trace["0"]["timers"]) == ("sticky", {"sticky_until": 3})
    assert (trace["1"]["reason"], trace["1"]["timers"]) == ("cooldown", {"cooldown_until": 4})
