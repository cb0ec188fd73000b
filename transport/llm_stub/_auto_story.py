"""Auto answers of the story-building agents: the Planner's brief and the Architect's bundles (§14.8).

Every answer is valid for the checks of PROTOCOL §14.3/§14.4: unique snake_case node ids,
only listed character ids, targets among the returned (or, when continuing, existing) nodes,
variable ops only in `on_enter_updates`.
"""

from __future__ import annotations

import json
import random
from typing import Any

import attrs

from runtime.codec import CODEC
from runtime.model._fields import omittable
from runtime.model.graph import Condition, ConditionOp, ConditionScope, NarrativeNode, StoryGraph, Transition
from runtime.model.state import SetState
from transport.llm_stub._prompt import PLAYER_SCHEMA_TITLES, WORLD_SCHEMA_TITLES, ArchitectMode, PromptView

PLACES = ["harbor", "market", "archive", "lighthouse", "garden", "cellar", "bridge", "tower", "orchard", "station"]
MOODS = ["tense", "hopeful", "quiet", "stormy", "curious", "wary"]
CLUE_KEY, PROGRESS_KEY, ALERT_KEY, COURAGE_KEY = "clue_found", "progress", "alert_level", "courage"


@attrs.frozen
class SchemaField:
    value_type: str
    default: Any
    description: str
    enum_values: list[Any] | None = omittable()


@attrs.frozen
class Schema:
    fields: dict[str, SchemaField]


@attrs.frozen
class TransitionPatch:
    node_id: str
    add_transitions: list[Transition]


@attrs.frozen
class DraftInitBundle:
    nodes: list[NarrativeNode]
    transition_patches: list[TransitionPatch]
    section_summary: str
    start_node: str
    world_state_schema: Schema
    player_state_schema: Schema
    introduction: str


@attrs.frozen
class DraftContinueBundle:
    nodes: list[NarrativeNode]
    transition_patches: list[TransitionPatch]
    section_summary: str


@attrs.frozen
class GraphBundle:
    graph: StoryGraph
    world_state_schema: Schema
    player_state_schema: Schema
    introduction: str


# -- Planner -----------------------------------------------------------------------------


def planner_brief(prompt: PromptView, rng: random.Random) -> str:
    """Four to six plain paragraphs, none ending with a colon."""
    names = [item.name for item in prompt.characters()] or ["a lone traveller"]
    places = rng.sample(PLACES, 5)
    paragraphs = [
        f"The story follows the player alongside {_joined(names)} in a {rng.choice(MOODS)} tale. "
        f"The goal is to uncover what went wrong at the {places[0]}, and the core conflict is "
        f"whom to trust while the clock runs down."
    ]
    for index, place in enumerate(places[1 : 1 + rng.randint(3, 5)], start=1):
        who = names[index % len(names)]
        paragraphs.append(
            f"Stage {index} takes place at the {place}, where {who} shares what they know. "
            f"The player can press for details or move on, and finding a clue leads onward."
        )
    return "\n\n".join(paragraphs)


# -- Architect ---------------------------------------------------------------------------


def architect_bundle(prompt: PromptView, rng: random.Random) -> str:
    mode = prompt.architect_mode()
    if prompt.repair_target() is not None:
        repaired = _json_of(prompt.raw_output())
        if repaired is not None:
            return repaired
    if mode is ArchitectMode.DRAFT_INIT:
        return CODEC.dumps(draft_init(prompt, rng))
    if mode is ArchitectMode.DRAFT_CONTINUE:
        return CODEC.dumps(draft_continue(prompt, rng))
    return CODEC.dumps(graph_bundle(prompt, rng))


def draft_init(prompt: PromptView, rng: random.Random) -> DraftInitBundle:
    world, player = _schemas(prompt)
    nodes = _chain(prompt, rng, rng.randint(3, 4), taken=set(), condition_key=CLUE_KEY, progress_key=PROGRESS_KEY)
    section = _short(prompt.current_section()) or "the opening of the story"
    return DraftInitBundle(
        nodes=nodes,
        transition_patches=[],
        section_summary=f"The story opens: {section}",
        start_node=nodes[0].id,
        world_state_schema=world,
        player_state_schema=player,
        introduction=f"You arrive at the {nodes[0].title.lower()} as the light fades. Something here is not as it should be.",
    )


def draft_continue(prompt: PromptView, rng: random.Random) -> DraftContinueBundle:
    existing = prompt.graph_node_ids()
    world_keys = _world_schema_keys(prompt)
    # The schemas are fixed once the draft has started: use only keys they already have.
    nodes = _chain(
        prompt,
        rng,
        rng.randint(2, 3),
        taken=set(existing),
        condition_key=CLUE_KEY if CLUE_KEY in world_keys else None,
        progress_key=PROGRESS_KEY if PROGRESS_KEY in world_keys else None,
    )
    patches = []
    if existing:
        patches.append(TransitionPatch(existing[-1], [Transition(nodes[0].id, None)]))
    section = _short(prompt.current_section()) or "the next part of the story"
    return DraftContinueBundle(nodes, patches, f"The story continues: {section}")


def graph_bundle(prompt: PromptView, rng: random.Random) -> GraphBundle:
    world, player = _schemas(prompt)
    nodes = _chain(prompt, rng, rng.randint(3, 4), taken=set(), condition_key=CLUE_KEY, progress_key=PROGRESS_KEY)
    return GraphBundle(
        graph=StoryGraph(nodes[0].id, nodes),
        world_state_schema=world,
        player_state_schema=player,
        introduction=f"You step into the {nodes[0].title.lower()}. The story begins here.",
    )


def _chain(
    prompt: PromptView,
    rng: random.Random,
    count: int,
    *,
    taken: set[str],
    condition_key: str | None,
    progress_key: str | None,
) -> list[NarrativeNode]:
    """`count` new nodes in a line: the first link conditional on a bool world key, the rest unconditional."""
    ids = _fresh_ids(rng, count, taken)
    cast = [item.character_id for item in prompt.characters()]
    nodes = []
    for index, node_id in enumerate(ids):
        place = node_id.rsplit("_", 1)[0].replace("_", " ")
        transitions = []
        if index + 1 < len(ids):
            condition = (
                Condition(key=condition_key, op=ConditionOp.EQ, value=True, scope=ConditionScope.GLOBAL)
                if index == 0 and condition_key is not None
                else None
            )
            transitions.append(Transition(ids[index + 1], condition))
        nodes.append(
            NarrativeNode(
                id=node_id,
                title=place.title(),
                scene=f"The {place} lies {rng.choice(MOODS)} under a low sky; voices carry from somewhere close.",
                goal=f"Learn what happened at the {place} and decide where to go next.",
                characters=sorted(rng.sample(cast, min(len(cast), rng.randint(1, 2)))) if cast else [],
                transitions=transitions,
                on_enter_updates=[SetState(progress_key, index)] if progress_key is not None else [],
            )
        )
    return nodes


def _fresh_ids(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    ids: list[str] = []
    for place in rng.sample(PLACES, count):
        number = 1
        while f"{place}_{number}" in taken or f"{place}_{number}" in ids:
            number += 1
        ids.append(f"{place}_{number}")
    return ids


def _schemas(prompt: PromptView) -> tuple[Schema, Schema]:
    """Our world and player fields, plus those of the schema seeds when the prompt shows them."""
    seeds = [prompt.schema(WORLD_SCHEMA_TITLES), prompt.schema(PLAYER_SCHEMA_TITLES)]
    world = {
        CLUE_KEY: SchemaField("bool", False, "whether the player found the decisive clue"),
        PROGRESS_KEY: SchemaField("int", 0, "how far the story has come"),
        ALERT_KEY: SchemaField("string", "calm", "how alert the watch is", ["calm", "alert"]),
    }
    player = {COURAGE_KEY: SchemaField("int", 1, "how bold the player feels")}
    for seed, fields in zip(seeds, (world, player), strict=True):
        for key, field in (seed or {"fields": {}})["fields"].items():
            fields.setdefault(key, _seed_field(field))
    return Schema(world), Schema(player)


def _seed_field(field: dict[str, Any]) -> SchemaField:
    return SchemaField(
        value_type=str(field.get("value_type", "string")),
        default=field.get("default"),
        description="kept from the seed",
        enum_values=field.get("enum_values") or None,
    )


def _world_schema_keys(prompt: PromptView) -> set[str]:
    schema = prompt.schema(WORLD_SCHEMA_TITLES)
    return set(schema["fields"]) if schema else set()


def _json_of(text: str) -> str | None:
    """The JSON inside a failed output, fences removed, if it parses."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        return json.dumps(json.loads(body), separators=(",", ":"))
    except ValueError:
        return None


def _short(text: str) -> str:
    words = text.split()
    return " ".join(words[:20]).rstrip(":")


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
