"""Results of reads kept in memory, valid only while no write has committed since they were read.

A generation counter works like a seqlock: the writer makes it odd when a transaction starts and
even again when it has ended (committed or rolled back), and empties the cache both times. A read
result is kept only when the generation was even when the read started and is still the same
when it ended, so no write ran meanwhile and the value is exactly what DuckDB holds. While a write
is running nothing is served or kept, so a cached answer is never older than what an uncached read
would see. Used from the trio thread only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import attrs

D = TypeVar("D")

MAX_CACHED_READS = 256  # entries (a few are large: lists, expanded presets); least recently used goes first

MISSING: Any = object()
"""What `get` answers when nothing usable is kept for a key."""


@attrs.define
class _Entry:
    value: Any
    derived: dict[Hashable, Any] = attrs.Factory(dict)  # values computed from `value`, by name


class ReadCache:
    """Bounded LRU of read results, emptied whenever a write starts or ends."""

    def __init__(self, max_entries: int = MAX_CACHED_READS) -> None:
        self._max_entries = max_entries
        self._generation = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._by_identity: dict[int, _Entry] = {}  # id(value) → entry, for `derived`

    @property
    def generation(self) -> int:
        return self._generation

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Any:
        """The kept value, or MISSING."""
        entry = self._entries.get(key)
        if entry is None:
            return MISSING
        self._entries.move_to_end(key)
        return entry.value

    def start_read(self) -> int | None:
        """A token for `keep`, or None while a write is running (then nothing may be kept)."""
        generation = self._generation
        return None if generation % 2 else generation

    def keep(self, token: int | None, key: Hashable, value: object) -> None:
        """Keep `value` under `key` if no write started since `start_read` gave `token`."""
        if token is None or token != self._generation:
            return
        self._drop(key)
        entry = _Entry(value)
        self._entries[key] = entry
        self._by_identity[id(value)] = entry
        while len(self._entries) > self._max_entries:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def derived(self, value: object, name: Hashable, compute: Callable[[], D]) -> D:
        """`compute()`, kept with `value` while `value` itself is a kept entry (the same object)."""
        entry = self._by_identity.get(id(value))
        if entry is None or entry.value is not value:
            return compute()
        if name not in entry.derived:
            entry.derived[name] = compute()
        return entry.derived[name]

    def write_started(self) -> None:
        self._generation += 1
        self._clear()

    def write_ended(self) -> None:
        self._generation += 1
        self._clear()

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None and self._by_identity.get(id(entry.value)) is entry:
            del self._by_identity[id(entry.value)]

    def _clear(self) -> None:
        self._entries.clear()
        self._by_identity.clear()
