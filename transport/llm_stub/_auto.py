"""Auto mode: a plausible answer of the right shape for whichever agent sent the prompt.

Deterministic: the same prompt always gets the same answer (the random choices are seeded
with a hash of the prompt), so tests that run against auto mode are stable.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable

from runtime.model.apis import Agent
from transport.llm_stub import _auto_story, _auto_turn
from transport.llm_stub._prompt import PromptView

PLAIN_ANSWER = "This is the Dramaturg LLM stub. It did not recognise the prompt, so it answers plainly."

_ANSWERS: dict[Agent, Callable[[PromptView, random.Random], str]] = {
    Agent.PLANNER: _auto_story.planner_brief,
    Agent.ARCHITECT: _auto_story.architect_bundle,
    Agent.DIRECTOR: _auto_turn.director_plan,
    Agent.ACTOR: _auto_turn.actor_segments,
    Agent.NARRATOR: _auto_turn.narration,
    Agent.KEEPER: _auto_turn.keeper_update,
    Agent.REPLYER: _auto_turn.replies,
}


def auto_answer(system: str, user: str, *, json_mode: bool = False) -> str:
    """The answer text for one request."""
    prompt = PromptView(system, user)
    agent = prompt.agent()
    if agent is None:
        return json.dumps({"answer": PLAIN_ANSWER}) if json_mode else PLAIN_ANSWER
    return _ANSWERS[agent](prompt, prompt_rng(system, user))


def prompt_rng(system: str, user: str) -> random.Random:
    digest = hashlib.sha256(f"{system}\x00{user}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
