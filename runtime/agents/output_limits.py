"""How long each agent's answer may be: the built-in `max_tokens` of every call (a preset's
`max_tokens` still wins).

Every call is bounded, so a model that does not stop costs a known time instead of running into
the call timeout (and, on a one-request-at-a-time local server, holding up the next call too).
Each limit is sized to its output contract with room to spare, at about four characters a token:

* Keeper: at most 6 ops of ~40 tokens each.
* Director: up to 4 beats (~20 tokens each) and one role action whose five strings are bounded
  to ~500 characters together.
* Replyer: up to 5 replies of at most 240 characters.
* Actor, Narrator: a few sentences to three short paragraphs.
* Planner: 4 to 7 paragraphs of two to five sentences (~500 words).
* Architect: up to 6 nodes of ~300 tokens (scene, goal, 3 transitions, updates), plus the
  schemas and the introduction when a draft starts; a whole graph in `graph` mode.

Pure data.
"""

from __future__ import annotations

from typing import Final

from runtime.model.apis import Agent
from runtime.model.presets import ArchitectMode

DEFAULT_MAX_TOKENS: Final[dict[Agent, int]] = {
    Agent.PLANNER: 768,
    Agent.DIRECTOR: 384,
    Agent.ACTOR: 384,
    Agent.NARRATOR: 384,
    Agent.KEEPER: 384,
    Agent.REPLYER: 512,
}

ARCHITECT_MAX_TOKENS: Final[dict[ArchitectMode, int]] = {
    ArchitectMode.GRAPH: 4096,
    ArchitectMode.DRAFT_INIT: 3072,
    ArchitectMode.DRAFT_CONTINUE: 2560,
}
