"""What the Architect writes (PROTOCOL §14.8), decoded and checked (§14.3 step 4, §14.4, R11).

Each `decode_*` turns the parsed JSON object into a checked bundle, after the deterministic
repairs of `_architect_mending` (each reported as a warning), or raises InvalidParams naming
the first problem left; the caller (`call_json_agent`) then makes the repair call. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Final

import attrs

from runtime.agents._architect_mending import (
    declare_used_variables,
    keep_declared_updates,
    mend_nodes,
    mend_schema,
    mend_start_node,
)
from runtime.agents._json_agent import Decoded
from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.graph import DRAFT_GRAPH_ERROR_PREFIX, validate_draft_graph
from runtime.model.graph import NarrativeNode, StoryGraph, Transition
from runtime.model.schemas import StateFieldSchema, StateSchema
from runtime.state import DeclaredFields

EMPTY_SCHEMA: Final = StateSchema(fields={})
CharacterFields = Mapping[str, Mapping[str, StateFieldSchema]]
"""Each story character's own schema fields."""


# -- what the Architect writes (§14.8) ---------------------------------------------------


@attrs.frozen
class NodeTransitionPatch:
    """Transitions to append to a node that exists (or, at draft start, that is returned too)."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    node_id: str
    add_transitions: list[Transition]


@attrs.frozen
class _DraftOutput:
    """Either draft bundle as written; which keys must (not) be there is checked per mode."""

    codec_ignores_unknown_keys: ClassVar[bool] = True

    nodes: list[NarrativeNode] = attrs.field(factory=list)
    transition_patches: list[NodeTransitionPatch] = attrs.field(factory=list)
    section_summary: str | None = None
    start_node: str | None = None
    world_state_schema: StateSchema | None = None
    player_state_schema: StateSchema | None = None
    introduction: str | None = None


@attrs.frozen
class _GraphOutput:
    codec_ignores_unknown_keys: ClassVar[bool] = True

    graph: StoryGraph
    world_state_schema: StateSchema | None = None
    player_state_schema: StateSchema | None = None
    introduction: str | None = None


@attrs.frozen
class DraftStart:
    """A checked `draft_init` bundle. `nodes` already carry the bundle's patches."""

    nodes: list[NarrativeNode]
    start_node: str
    section_summary: str
    world_state_schema: StateSchema
    player_state_schema: StateSchema  # empty when the Architect left it out
    introduction: str

    @property
    def graph(self) -> StoryGraph:
        return StoryGraph(self.start_node, self.nodes)


@attrs.frozen
class DraftContinuation:
    """A checked `draft_continue` bundle: new nodes, patches on existing (or new) nodes."""

    nodes: list[NarrativeNode]
    transition_patches: list[NodeTransitionPatch]
    section_summary: str

    def merged_into(self, graph: StoryGraph) -> StoryGraph:
        """`graph` with the new nodes appended and the patches applied (§14.4 merge)."""
        return StoryGraph(graph.start_node, apply_patches([*graph.nodes, *self.nodes], self.transition_patches))


@attrs.frozen
class GraphBundle:
    """A checked `graph` bundle."""

    graph: StoryGraph
    world_state_schema: StateSchema
    player_state_schema: StateSchema
    introduction: str


def apply_patches(nodes: Sequence[NarrativeNode], patches: Sequence[NodeTransitionPatch]) -> list[NarrativeNode]:
    """The nodes with each patch's transitions appended to its node, in patch order.

    Raises InvalidParams (`invalid story draft: …`) for a patch on a node that is not there.
    """
    patched = list(nodes)
    positions: dict[str, int] = {}
    for index, node in enumerate(patched):
        positions.setdefault(node.id, index)
    for patch in patches:
        position = positions.get(patch.node_id)
        if position is None:
            raise InvalidParams(f"{DRAFT_GRAPH_ERROR_PREFIX}transition patch names missing node '{patch.node_id}'")
        node = patched[position]
        patched[position] = attrs.evolve(node, transitions=[*node.transitions, *patch.add_transitions])
    return patched


# -- decoding and the checks of §14.3 step 4 and §14.4 ------------------------------------


def decode_draft_start(
    value: dict[str, Any], cast_ids: Collection[str], characters: CharacterFields | None = None
) -> Decoded[DraftStart]:
    """The `draft_init` bundle, mended (`_architect_mending`) and checked. Raises InvalidParams
    naming the first problem that no deterministic repair fixes.

    The variables its conditions and updates use are declared in its schemas when missing, and
    entry updates that still break them (or `characters`, the cast's schemas, when given) are dropped.
    """
    output = CODEC.structure(value, _DraftOutput, path="output")
    warnings: list[str] = []
    nodes = apply_patches(*_mended_patches(output, (), cast_ids, warnings))
    world = mend_schema(output.world_state_schema, "world_state_schema", warnings)
    player = mend_schema(output.player_state_schema, "player_state_schema", warnings)
    if world is not None:
        world, player = declare_used_variables(nodes, world, player or EMPTY_SCHEMA, warnings)
        declared = DeclaredFields(world.fields, player.fields, characters or {})
        nodes = keep_declared_updates(nodes, declared, warnings, check_characters=characters is not None)
    output = attrs.evolve(
        output,
        nodes=nodes,
        transition_patches=[],
        start_node=mend_start_node(output.start_node, nodes, warnings),
        world_state_schema=world,
        player_state_schema=player,
    )
    _raise_first(_draft_start_problems(output, cast_ids))
    assert output.start_node is not None and output.world_state_schema is not None  # checked above
    start = DraftStart(
        nodes=output.nodes,
        start_node=output.start_node,
        section_summary=output.section_summary or "",
        world_state_schema=output.world_state_schema,
        player_state_schema=output.player_state_schema or EMPTY_SCHEMA,
        introduction=output.introduction or "",
    )
    return Decoded(start, tuple(warnings))


def decode_draft_continuation(
    value: dict[str, Any],
    existing_ids: Collection[str],
    cast_ids: Collection[str],
    declared: DeclaredFields | None = None,
) -> Decoded[DraftContinuation]:
    """The `draft_continue` bundle, mended and checked against the ids already in the draft;
    with the draft's `declared` variables, entry updates that break them are dropped."""
    output = CODEC.structure(value, _DraftOutput, path="output")
    warnings: list[str] = []
    nodes, patches = _mended_patches(output, existing_ids, cast_ids, warnings)
    if declared is not None:
        nodes = keep_declared_updates(nodes, declared, warnings)
    output = attrs.evolve(output, nodes=nodes, transition_patches=patches)
    _raise_first(_continuation_problems(output, frozenset(existing_ids), cast_ids))
    return Decoded(
        DraftContinuation(output.nodes, output.transition_patches, output.section_summary or ""), tuple(warnings)
    )


def decode_graph_bundle(value: dict[str, Any], cast_ids: Collection[str]) -> Decoded[GraphBundle]:
    """The `graph` bundle, mended and checked with the draft graph rules (R11 included)."""
    output = CODEC.structure(value, _GraphOutput, path="output")
    mended = mend_nodes(output.graph.nodes, (), cast_ids)
    warnings = mended.warnings
    start = mend_start_node(output.graph.start_node, mended.nodes, warnings) or output.graph.start_node
    output = attrs.evolve(
        output,
        graph=StoryGraph(start, mended.nodes),
        world_state_schema=mend_schema(output.world_state_schema, "world_state_schema", warnings),
        player_state_schema=mend_schema(output.player_state_schema, "player_state_schema", warnings),
    )
    problems = [*validate_draft_graph(output.graph, cast_ids)]
    if output.world_state_schema is None:
        problems.append("graph output is missing world_state_schema")
    if _blank(output.introduction):
        problems.append("graph output is missing introduction")
    _raise_first(iter(problems))
    assert output.world_state_schema is not None
    bundle = GraphBundle(
        output.graph, output.world_state_schema, output.player_state_schema or EMPTY_SCHEMA, output.introduction or ""
    )
    return Decoded(bundle, tuple(warnings))


def _mended_patches(
    output: _DraftOutput, existing_ids: Collection[str], cast_ids: Collection[str], warnings: list[str]
) -> tuple[list[NarrativeNode], list[NodeTransitionPatch]]:
    """The bundle's nodes mended, and its patches without those on missing nodes or to missing targets."""
    mended = mend_nodes(output.nodes, existing_ids, cast_ids)
    warnings.extend(mended.warnings)
    known = {*existing_ids, *(node.id for node in mended.nodes)}
    patches = []
    for patch in output.transition_patches:
        if patch.node_id not in known:
            warnings.append(f"dropped transition patch on missing node '{patch.node_id}'")
            continue
        kept = [transition for transition in patch.add_transitions if transition.to in known]
        warnings.extend(
            f"dropped transition from '{patch.node_id}' to missing node '{transition.to}'"
            for transition in patch.add_transitions
            if transition.to not in known
        )
        if kept:
            patches.append(attrs.evolve(patch, add_transitions=kept))
    return mended.nodes, patches


def _draft_start_problems(output: _DraftOutput, cast_ids: Collection[str]) -> Iterator[str]:
    if not output.nodes:
        yield "draft_init output must contain at least one node"
        return
    returned = {node.id for node in output.nodes}
    if output.start_node is None:
        yield "draft_init output is missing start_node"
    elif output.start_node not in returned:
        yield f"start_node '{output.start_node}' is not one of the returned nodes"
    if output.world_state_schema is None:
        yield "draft_init output is missing world_state_schema"
    if _blank(output.introduction):
        yield "draft_init output is missing introduction"
    if _blank(output.section_summary):
        yield "draft_init output is missing section_summary"
    yield from _repeated_ids(output.nodes)
    yield from _target_problems(output, returned, "a node returned in this response")
    yield from _r11_problems(output.nodes, cast_ids)


def _continuation_problems(
    output: _DraftOutput, existing_ids: frozenset[str], cast_ids: Collection[str]
) -> Iterator[str]:
    if not output.nodes:
        yield "draft_continue output must contain at least one node"
        return
    if _blank(output.section_summary):
        yield "draft_continue output is missing section_summary"
    for key in ("start_node", "world_state_schema", "player_state_schema", "introduction"):
        if getattr(output, key) is not None:
            yield f"draft_continue output must not contain {key}"
    for node in output.nodes:
        if node.id in existing_ids:
            yield f"node id '{node.id}' already exists in the story graph"
    yield from _repeated_ids(output.nodes)
    known = existing_ids | {node.id for node in output.nodes}
    yield from _target_problems(output, known, "an existing or a new node")
    yield from _r11_problems(output.nodes, cast_ids)


def _repeated_ids(nodes: Sequence[NarrativeNode]) -> Iterator[str]:
    seen: set[str] = set()
    for node in nodes:
        if node.id in seen:
            yield f"node id '{node.id}' is returned more than once"
        seen.add(node.id)


def _target_problems(output: _DraftOutput, known: Collection[str], allowed: str) -> Iterator[str]:
    for node in output.nodes:
        for transition in node.transitions:
            if transition.to not in known:
                yield f"transition from '{node.id}' points to '{transition.to}', which is not {allowed}"
    for patch in output.transition_patches:
        if patch.node_id not in known:
            yield f"transition patch names node '{patch.node_id}', which is not {allowed}"
        for transition in patch.add_transitions:
            if transition.to not in known:
                yield f"transition patch on '{patch.node_id}' points to '{transition.to}', which is not {allowed}"


def _r11_problems(nodes: Sequence[NarrativeNode], cast_ids: Collection[str]) -> list[str]:
    """The R11 findings of the returned nodes alone (characters, SetCurrentNode), worded as
    the graph rules word them. With transitions set aside and the first node as start, the
    draft rules can find nothing else but repeated ids, which are reported before this."""
    bare = [attrs.evolve(node, transitions=[]) for node in nodes]
    return validate_draft_graph(StoryGraph(bare[0].id, bare), cast_ids)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _raise_first(problems: Iterator[str]) -> None:
    first = next(problems, None)
    if first is not None:
        raise InvalidParams(first)
