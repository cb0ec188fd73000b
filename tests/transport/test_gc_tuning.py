"""The collector settings a served process takes once it has started (run in a fresh interpreter each)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from transport.gc_tuning import FULL_COLLECTION_AFTER

SETTLE_AND_REPORT = """
import gc, json, weakref
from transport.gc_tuning import settle_after_start

class Node:
    pass

left, right = Node(), Node()
left.other, right.other = right, left  # a cycle that starting left behind as garbage
gone = weakref.ref(left)
del left, right
kept = [Node() for _ in range(1000)]
before = gc.get_threshold()
settle_after_start()
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                  "garbage_freed": gone() is None}))
"""


def settled() -> dict[str, object]:
    finished = subprocess.run(
        [sys.executable, "-c", SETTLE_AND_REPORT],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    return json.loads(finished.stdout)


def test_full_collections_are_spaced_out_and_the_young_ones_keep_their_defaults() -> None:
    report = settled()
    young, middle, full = report["after"]
    assert [young, middle] == report["before"][:2]
    assert full == FULL_COLLECTION_AFTER > report["before"][2]


def test_what_starting_left_is_collected_first_and_the_rest_frozen() -> None:
    report = settled()
    assert report["garbage_freed"] is True
    assert report["frozen"] > 1000  # at least the kept nodes, besides everything imported
