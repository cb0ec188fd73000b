"""Builders for session tests: a playable story bound to the LLM stub, scripted turn answers,
and a reader of the SSE turn stream."""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx

from tests.support.fixtures import create_schema
from tests.support.generation import API_GROUP_ID, PRESET_ID, bind_engine_to_stub, create_resource
from tests.support.llm_stub import RunningStub
from tests.support.server import RpcClient

WORLD_SCHEMA_ID = "schema-world"
PLAYER_SCHEMA_ID = "schema-player"
PROFILE_ID = "courier"


def story_graph() -> dict[str, Any]:
    """dock (merchant) → market (merchant, guard) when `gate_open` eq true → end."""
    return {
        "start_node": "dock",
        "nodes": [
            {
                "id": "dock",
                "title": "Dock",
                "scene": "A flooded dock.",
                "goal": "Get to the market.",
                "characters": ["merchant"],
                "transitions": [
                    {"to": "market", "condition": {"key": "gate_open", "op": "eq", "value": True, "scope": "global"}}
                ],
                "on_enter_updates": [{"type": "SetState", "key": "tide", "value": "high"}],
            },
            {
                "id": "market",
                "title": "Market",
                "scene": "A crowded market.",
                "goal": "Find the guard.",
                "characters": ["merchant", "guard"],
                "transitions": [{"to": "end", "condition": None}],
                "on_enter_updates": [{"type": "SetState", "key": "visited_market", "value": True}],
            },
            {"id": "end", "title": "End", "scene": "The end.", "goal": "Rest.", "characters": [], "transitions": []},
        ],
    }


async def create_story(rpc: RpcClient, stub: RunningStub, graph: dict[str, Any] | None = None) -> str:
    """Engine on the stub, cast (merchant, guard; `trust` defaults to 0), world schema
    (`gate_open` false), player schema (`coins` 5), a profile and a story; returns the story id."""
    await bind_engine_to_stub(rpc, stub)
    resource_id = await create_resource(rpc)
    await create_schema(
        rpc, WORLD_SCHEMA_ID, {"gate_open": {"value_type": "bool", "default": False, "description": None}}
    )
    await create_schema(
        rpc,
        PLAYER_SCHEMA_ID,
        {
            "coins": {"value_type": "int", "default": 5, "description": None},
            "title": {"value_type": "string", "default": None, "description": None},
        },
    )
    await rpc.result(
        "player_profile.create",
        {"player_profile_id": PROFILE_ID, "display_name": "Mira", "description": "A cautious courier."},
    )
    story = await rpc.result(
        "story.create",
        {
            "resource_id": resource_id,
            "display_name": "Flooded Harbor",
            "graph": graph or story_graph(),
            "world_schema_id": WORLD_SCHEMA_ID,
            "player_schema_id": PLAYER_SCHEMA_ID,
            "introduction": "You arrive at the dock.",
        },
    )
    return story["story_id"]


async def start_session(rpc: RpcClient, story_id: str, **params: Any) -> str:
    envelope = await rpc.call(
        "story.start_session",
        {
            "story_id": story_id,
            "player_profile_id": PROFILE_ID,
            "api_group_id": API_GROUP_ID,
            "preset_id": PRESET_ID,
            **params,
        },
    )
    assert "error" not in envelope, envelope
    return envelope["session_id"]


async def playable_session(rpc: RpcClient, stub: RunningStub) -> str:
    return await start_session(rpc, await create_story(rpc, stub))


# -- scripted answers --------------------------------------------------------------------

NARRATION = "The dock groans under the rising tide."
THOUGHT = "Can I trust this one?"
ACTION = "The merchant waves a wet ledger."
DIALOGUE = "Welcome, traveller! Mind the water."


def ops(*op_list: dict[str, Any]) -> dict[str, Any]:
    return {"text": json.dumps({"ops": list(op_list)})}


def plan(*beats: dict[str, Any], role_actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"text": json.dumps({"role_actions": role_actions or [], "beats": list(beats)})}


def narrator_beat(purpose: str = "DescribeScene") -> dict[str, Any]:
    return {"type": "Narrator", "purpose": purpose}


def actor_beat(speaker_id: str = "merchant", purpose: str = "ReactToPlayer") -> dict[str, Any]:
    return {"type": "Actor", "speaker_id": speaker_id, "purpose": purpose}


def narration(text: str = NARRATION, **step: Any) -> dict[str, Any]:
    return {"text": text, "chunk_size": 7, **step}


def performance(thought: str = THOUGHT, action: str = ACTION, dialogue: str = DIALOGUE, **step: Any) -> dict[str, Any]:
    return {
        "text": f"<thought>{thought}</thought><action>{action}</action><dialogue>{dialogue}</dialogue>",
        "chunk_size": 9,
        **step,
    }


def turn_script(
    *,
    first_keeper: dict[str, Any] | None = None,
    second_keeper: dict[str, Any] | None = None,
    director: dict[str, Any] | None = None,
    beats: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The answers of one turn in call order: Keeper, Director, each beat, Keeper."""
    return [
        first_keeper or ops(),
        director or plan(narrator_beat(), actor_beat()),
        *(beats if beats is not None else [narration(), performance()]),
        second_keeper or ops(),
    ]


# -- the stream --------------------------------------------------------------------------


@attrs.frozen
class SseEvent:
    name: str
    data: dict[str, Any]


@attrs.define
class TurnReply:
    """What `session.run_turn` answered: a JSON envelope, or the raw stream and its events."""

    status: int
    content_type: str
    raw: bytes
    envelope: dict[str, Any] | None = None
    events: list[SseEvent] = attrs.field(factory=list)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [event.data for event in self.events if event.name == "message"]

    @property
    def frames(self) -> list[dict[str, Any]]:
        return [message["frame"] for message in self.messages]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [frame["body"] for frame in self.frames if frame["type"] == "event"]

    @property
    def last_frame(self) -> dict[str, Any]:
        return self.frames[-1]


def parse_sse(raw: bytes) -> list[SseEvent]:
    """Split on blank lines (LF only, like the reference web client) into named events."""
    text = raw.decode()
    assert "\r" not in text
    events = []
    for block in text.split("\n\n"):
        if not block:
            continue
        lines = block.split("\n")
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: "), block
        events.append(SseEvent(lines[0].removeprefix("event: "), json.loads(lines[1].removeprefix("data: "))))
    return events


def turn_envelope(session_id: str | None, player_input: str, request_id: str = "req-turn") -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "session.run_turn",
        "params": {"player_input": player_input},
    }
    if session_id is not None:
        envelope["session_id"] = session_id
    return envelope


async def run_turn(
    http: httpx.AsyncClient,
    session_id: str | None,
    player_input: str = "Ask about the dock.",
    request_id: str = "req-turn",
) -> TurnReply:
    """POST `session.run_turn` and read the whole answer."""
    response = await http.post("/rpc", json=turn_envelope(session_id, player_input, request_id))
    content_type = response.headers["content-type"]
    reply = TurnReply(response.status_code, content_type, response.content)
    if content_type.startswith("application/json"):
        reply.envelope = response.json()
    else:
        reply.events = parse_sse(response.content)
    return reply


async def stored_state(rpc: RpcClient, session_id: str) -> dict[str, Any]:
    """Everything a turn may change, as stored: session detail, messages, session characters."""
    return {
        "session": await rpc.result("session.get", session_id=session_id),
        "messages": await rpc.result("session_message.list", session_id=session_id),
        "characters": await rpc.result("session_character.list", session_id=session_id),
    }
