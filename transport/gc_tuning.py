"""How a long-running process sets Python's cyclic garbage collector once it has started.

Under load most objects a server holds belong to work in flight: the await chains, HTTP
exchanges and buffers of every running turn. They live for seconds, so they survive the young
collections and are promoted to the oldest generation, and CPython runs a full collection once
ten middle-generation collections have passed and the promoted objects exceed a quarter of the
old ones. With 1,000 sessions playing that was every 2–5 s, and each full collection walked some
500,000 objects, stopping the event loop for 250–450 ms: a tenth of the wall time, with every
session's next step late. (Measured with `gc.callbacks` in the server of the `realistic` case of
`python -m benchmarks.bench_sessions`.)

The busy paths leave no reference cycles (see `runtime.llm._http`), so those collections found
almost nothing to free. Full collections now wait for ten times as many middle-generation ones,
which still bounds the cyclic garbage of libraries (hypercorn leaves a few kilobytes per closed
connection) to tens of megabytes; and the objects built while starting — modules, the preset
catalogue, the app — are moved out of the collector's sight, since they live as long as the process.
"""

from __future__ import annotations

import gc
from typing import Final

FULL_COLLECTION_AFTER: Final = 100
"""Middle-generation collections between two full ones (CPython's default is 10)."""


def settle_after_start() -> None:
    """Collect what starting left behind, exempt the rest from future scans, space out full collections."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
