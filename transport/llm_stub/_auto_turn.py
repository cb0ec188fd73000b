"""Auto answers of the turn agents: Director plan, Actor segments, narration, Keeper ops, replies (§9.2)."""

from __future__ import annotations

import json
import random
from typing import Any

import attrs

from runtime.codec import CODEC
from runtime.model._fields import omittable
from runtime.model.state import SetPlayerState, SetState, StateOp, StateUpdate
from transport.llm_stub._prompt import PromptView

NARRATOR_PURPOSES = ["DescribeScene", "DescribeResult"]
ACTOR_PURPOSES = ["AdvanceGoal", "ReactToPlayer", "CommentOnScene"]
DEFAULT_REPLY_LIMIT = 3
MAX_REPLY_LIMIT = 10
REPLY_TEXTS = [
    "I ask quietly what happened here.",
    "I step forward and demand the truth.",
    "I look around for anything out of place.",
    "I offer to help, if they trust me.",
    "I keep my distance and listen.",
    "I make a joke to ease the tension.",
    "I point at the door and suggest we leave.",
    "I share what I found earlier.",
    "I promise to come back later.",
    "I ask who else knows about this.",
]
GESTURES = ["glances at the door", "folds their arms", "leans closer", "taps the table", "looks away"]
LINES = [
    "We don't have much time, so listen carefully.",
    "I've seen this before, and it never ends well.",
    "You're asking the right questions, at least.",
    "If you want my help, you'll have to earn it.",
    "Something changed here last night. I can feel it.",
]
THOUGHTS = ["Can I trust this one?", "They know more than they say.", "Stay calm, stay useful.", "Not yet."]


@attrs.frozen
class PlanBeat:
    type: str
    purpose: str
    speaker_id: str | None = omittable()


@attrs.frozen
class ResponsePlan:
    role_actions: list[Any]
    beats: list[PlanBeat]


@attrs.frozen
class Reply:
    id: str
    text: str


@attrs.frozen
class Replies:
    replies: list[Reply]


def director_plan(prompt: PromptView, rng: random.Random) -> str:
    """A Narrator beat, then an Actor beat for a listed cast id when there is one."""
    beats = [PlanBeat("Narrator", rng.choice(NARRATOR_PURPOSES))]
    cast = [item.character_id for item in prompt.characters()]
    if cast and prompt.repair_target() is None:
        beats.append(PlanBeat("Actor", rng.choice(ACTOR_PURPOSES), speaker_id=rng.choice(cast)))
    return CODEC.dumps(ResponsePlan(role_actions=[], beats=beats))


def actor_segments(prompt: PromptView, rng: random.Random) -> str:
    name = prompt.section_value("CHARACTER_NAME") or "The stranger"
    return (
        f"<thought>{rng.choice(THOUGHTS)}</thought>"
        f"<action>{name} {rng.choice(GESTURES)}.</action>"
        f"<dialogue>{rng.choice(LINES)}</dialogue>"
    )


def narration(prompt: PromptView, rng: random.Random) -> str:
    title = prompt.section_value("title")
    place = f"the {title.lower()}" if title else "the room"
    return (
        f"The air in {place} feels {rng.choice(['heavy', 'still', 'restless', 'cold'])}. "
        f"Somewhere nearby, a {rng.choice(['door creaks', 'bell rings', 'dog barks', 'kettle hisses'])}, "
        f"and you sense that what happens next matters."
    )


def keeper_update(prompt: PromptView, rng: random.Random) -> str:
    """Empty ops, or one Set op: towards a progression hint, or restating a known world value."""
    ops: list[StateOp] = []
    if prompt.repair_target() is None and rng.random() < 0.5:
        op = _hinted_op(prompt) or _restated_op(prompt)
        if op is not None:
            ops.append(op)
    return CODEC.dumps(StateUpdate(ops))


def _hinted_op(prompt: PromptView) -> StateOp | None:
    for hint in prompt.progression_hints():
        subject, _, rest = hint.get("condition", "").partition(" eq ")
        scope, _, key = subject.partition(".")
        value = _json_value(rest)
        if not rest or value is _NOT_JSON:
            continue
        if scope == "global":
            return SetState(key, value)
        if scope == "player":
            return SetPlayerState(key, value)
    return None


def _restated_op(prompt: PromptView) -> StateOp | None:
    world = prompt.section_value("world_state")
    for line in (world or "").splitlines():
        key, _, raw = line.partition("=")
        value = _json_value(raw)
        if key and value is not _NOT_JSON:
            return SetState(key.strip(), value)
    return None


_NOT_JSON = object()


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def replies(prompt: PromptView, rng: random.Random) -> str:
    """Exactly `reply_limit` distinct replies."""
    limit = max(1, min(prompt.reply_limit(DEFAULT_REPLY_LIMIT), MAX_REPLY_LIMIT))
    texts = rng.sample(REPLY_TEXTS, limit)
    return CODEC.dumps(Replies([Reply(f"reply_{index + 1}", text) for index, text in enumerate(texts)]))
