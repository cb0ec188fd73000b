"""Reading a compiled prompt the way PROTOCOL §11 renders it: which agent, and the facts auto mode needs.

Each built-in output contract opens with a fixed line (`Output contract for the Director:` …)
and each Architect mode injects an entry opening with `… output shape:`. Each context value
comes under its entry's title (`Reply Limit:`, `Current Section:`, `World State Schema Seed:`);
other facts are found by their form: character list items (`- id | name | personality=…` or
`role=…`), `"id":"…"` inside the graph summary JSON, `name:\\nvalue` sections.
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any

import attrs

from runtime.model.apis import Agent

CONTRACT_LINES = {f"Output contract for the {agent.value.capitalize()}:": agent for agent in Agent}


class ArchitectMode(enum.Enum):
    GRAPH = "graph"
    DRAFT_INIT = "draft_init"
    DRAFT_CONTINUE = "draft_continue"


MODE_LINES = {
    "Graph mode output shape:": ArchitectMode.GRAPH,
    "Draft start output shape:": ArchitectMode.DRAFT_INIT,
    "Draft continuation output shape:": ArchitectMode.DRAFT_CONTINUE,
}

REPAIR_TARGETS: dict[str, tuple[Agent, ArchitectMode | None]] = {
    "response_plan": (Agent.DIRECTOR, None),
    "state_update": (Agent.KEEPER, None),
    "replies": (Agent.REPLYER, None),
    "full_graph": (Agent.ARCHITECT, ArchitectMode.GRAPH),
    "draft_init": (Agent.ARCHITECT, ArchitectMode.DRAFT_INIT),
    "draft_continue": (Agent.ARCHITECT, ArchitectMode.DRAFT_CONTINUE),
}
"""The `TARGET:` of a repair call (§9.5, §14.9) names the output being repaired."""

_CHARACTER_ITEM = re.compile(r"^- ([^|\n]+?) \| ([^|\n]+?) \| (?:personality|role)=", re.MULTILINE)
_GRAPH_ID = re.compile(r'"id":"((?:[^"\\]|\\.)*)"')
_INTEGER = re.compile(r"\d{1,3}")
REPLY_LIMIT_TITLE = "Reply Limit"
CURRENT_SECTION_TITLE = "Current Section"
WORLD_SCHEMA_TITLES = ("World State Schema Seed", "World State Schema")
PLAYER_SCHEMA_TITLES = ("Player State Schema Seed", "Player State Schema")


@attrs.frozen
class CharacterItem:
    character_id: str
    name: str


@attrs.frozen
class PromptView:
    """The system and user message of one request."""

    system: str
    user: str

    def agent(self) -> Agent | None:
        """The agent whose output contract the prompt carries (a repair call's target first)."""
        repair = self.repair_target()
        if repair is not None:
            return REPAIR_TARGETS[repair][0]
        return next((CONTRACT_LINES[line] for line in self._lines() if line in CONTRACT_LINES), None)

    def architect_mode(self) -> ArchitectMode:
        repair = self.repair_target()
        repaired_mode = REPAIR_TARGETS[repair][1] if repair is not None else None
        if repaired_mode is not None:
            return repaired_mode
        modes = (MODE_LINES[line] for line in self._lines() if line in MODE_LINES)
        return next(modes, ArchitectMode.GRAPH)

    def repair_target(self) -> str | None:
        target = self.section_value("TARGET")
        return target if target in REPAIR_TARGETS and self.section_value("RAW_OUTPUT") is not None else None

    def section_value(self, name: str) -> str | None:
        """The text after a line that is exactly `{name}:`, up to the next blank line."""
        for text in (self.user, self.system):
            lines = text.splitlines()
            for index, line in enumerate(lines):
                if line.strip() == f"{name}:":
                    value: list[str] = []
                    for following in lines[index + 1 :]:
                        if not following.strip():
                            break
                        value.append(following)
                    return "\n".join(value).strip()
        return None

    def raw_output(self) -> str:
        """Everything after `RAW_OUTPUT:` (a repair call's failed output)."""
        _, _, rest = self.user.partition("RAW_OUTPUT:")
        return rest.strip()

    def characters(self) -> list[CharacterItem]:
        """Character list items, first occurrence of each id, in prompt order."""
        found: dict[str, CharacterItem] = {}
        for match in _CHARACTER_ITEM.finditer(self.user + "\n" + self.system):
            character_id = match.group(1).strip()
            found.setdefault(character_id, CharacterItem(character_id, match.group(2).strip()))
        return list(found.values())

    def reply_limit(self, default: int) -> int:
        """The Replyer's `reply_limit`: the value titled `Reply Limit`, else the first paragraph
        that is only an integer (a preset that renamed the entry)."""
        titled = self.section_value(REPLY_LIMIT_TITLE)
        if titled is not None and _INTEGER.fullmatch(titled):
            return int(titled)
        for paragraph in self.paragraphs():
            if _INTEGER.fullmatch(paragraph):
                return int(paragraph)
        return default

    def graph_node_ids(self) -> list[str]:
        """Node ids named in the graph summary and recent detail JSON, first occurrence first."""
        return list(dict.fromkeys(match.group(1) for match in _GRAPH_ID.finditer(self.user)))

    def schema(self, titles: tuple[str, ...]) -> dict[str, Any] | None:
        """The schema object `{"fields":{…}}` shown under the first of `titles` present."""
        for title in titles:
            text = self.section_value(title)
            if text is None or not text.startswith('{"fields"'):
                continue
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict) and isinstance(value.get("fields"), dict):
                return value
        return None

    def current_section(self) -> str:
        """The Architect's current outline section: the value titled `Current Section`."""
        return self.section_value(CURRENT_SECTION_TITLE) or ""

    def progression_hints(self) -> list[dict[str, str]]:
        """Keeper hint items as field maps: `target_node`, `condition`, `likely_state_scope`, …"""
        hints = []
        for line in self._lines():
            if not line.startswith("- target_node="):
                continue
            fields = dict(part.strip().split("=", 1) for part in line[2:].split(" | ") if "=" in part)
            hints.append(fields)
        return hints

    def paragraphs(self) -> list[str]:
        return [part.strip() for part in self.user.split("\n\n") if part.strip()]

    def _lines(self) -> list[str]:
        return [line.strip() for line in (self.system + "\n" + self.user).splitlines()]
