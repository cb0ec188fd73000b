"""The graph benchmark: story-graph validation and R11 warnings on random graphs, in process.

For each size (1k and 10k nodes by default) it builds a random story graph, three transitions
per node (some conditional, back edges and cycles included, a few terminal nodes), and times
`validate_story_graph` and `graph_warnings`, keeping the best of a few repeats. The target is
"well under a second" for 10k nodes. `measure_graph_validation` prints a table and returns
the numbers; the harness decides where they go.
"""

from __future__ import annotations

import functools
import gc
import random
import time
from collections.abc import Callable, Sequence
from typing import Final

from runtime.graph import graph_warnings, validate_story_graph
from runtime.model.graph import Condition, ConditionOp, ConditionScope, NarrativeNode, StoryGraph, Transition
from runtime.model.state import SetState

NAME: Final = "graph"
DEFAULT_SIZES: Final = (1_000, 10_000)
TRANSITIONS_PER_NODE: Final = 3
TERMINAL_SHARE: Final = 0.02
CAST: Final = ("merchant", "guard", "courier")
WORLD_FIELDS: Final = frozenset({"gate_open", "alarm", "coins"})


def build_random_graph(node_count: int, rng: random.Random) -> StoryGraph:
    """A valid story graph of `node_count` nodes: every node reachable from node 0 along a
    chain, plus random forward and back edges; about 2% of the nodes are terminal."""
    ids = [f"node_{index}" for index in range(node_count)]
    nodes = []
    for index, node_id in enumerate(ids):
        is_last = index == node_count - 1
        terminal = is_last or (index > 0 and rng.random() < TERMINAL_SHARE)
        transitions = [] if terminal else _random_transitions(ids, index, rng)
        nodes.append(
            NarrativeNode(
                id=node_id,
                title=f"Scene {index}",
                scene="A short scene.",
                goal="Move the story on.",
                characters=rng.sample(CAST, k=rng.randint(0, len(CAST))),
                transitions=transitions,
                on_enter_updates=[SetState(key="visited", value=index)],
            )
        )
    return StoryGraph(start_node=ids[0], nodes=nodes)


def _random_transitions(ids: Sequence[str], index: int, rng: random.Random) -> list[Transition]:
    # The chain edge keeps every node reachable; the others land anywhere, so cycles appear.
    transitions = [Transition(to=ids[index + 1], condition=None)] if index + 1 < len(ids) else []
    while len(transitions) < TRANSITIONS_PER_NODE:
        key = rng.choice([*WORLD_FIELDS, "unbound_key"])
        condition = Condition(key=key, op=ConditionOp.EQ, value=True, scope=ConditionScope.GLOBAL)
        transitions.append(Transition(to=rng.choice(ids), condition=condition))
    return transitions


def _best_seconds(action: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def measure_graph_validation(
    sizes: Sequence[int] = DEFAULT_SIZES, *, repeats: int = 3, seed: int = 7
) -> dict[str, float]:
    """Time validation and warnings for random graphs of each size; print a table and return
    `{"validate_<n>_ms": …, "warnings_<n>_ms": …, "edges_<n>": …}` (best of `repeats`)."""
    rng = random.Random(seed)
    results: dict[str, float] = {}
    print(f"{'nodes':>8} {'edges':>8} {'validate ms':>12} {'warnings ms':>12}")
    for size in sizes:
        graph = build_random_graph(size, rng)
        edges = sum(len(node.transitions) for node in graph.nodes)
        gc.collect()
        validate_s = _best_seconds(functools.partial(validate_story_graph, graph, CAST), repeats)
        warnings_s = _best_seconds(functools.partial(graph_warnings, graph, WORLD_FIELDS, frozenset(), {}), repeats)
        results[f"edges_{size}"] = float(edges)
        results[f"validate_{size}_ms"] = validate_s * 1000
        results[f"warnings_{size}_ms"] = warnings_s * 1000
        print(f"{size:>8} {edges:>8} {validate_s * 1000:>12.1f} {warnings_s * 1000:>12.1f}")
    return results


if __name__ == "__main__":
    measure_graph_validation()
