"""What a lorebook's and an entry's settings may hold: the ranges the codec cannot check, and
the normal form (an empty settings object is no settings). Pure."""

from __future__ import annotations

from typing import Final

import attrs

from runtime.errors import InvalidParams
from runtime.model.lorebooks import EntryActivation, Lorebook, LorebookEntry, LorebookSettings

_NO_LIMIT: Final = None

_ENTRY_RANGES: Final[dict[str, tuple[int, int | None]]] = {
    "probability": (0, 100),
    "group_weight": (1, _NO_LIMIT),
    "delay_until_recursion": (0, _NO_LIMIT),
    "scan_depth": (0, _NO_LIMIT),
    "sticky": (0, _NO_LIMIT),
    "cooldown": (0, _NO_LIMIT),
    "delay": (0, _NO_LIMIT),
    "depth": (0, _NO_LIMIT),
}

_BOOK_RANGES: Final[dict[str, tuple[int, int | None]]] = {
    "scan_depth": (0, _NO_LIMIT),
    "token_budget": (0, _NO_LIMIT),
    "max_recursion_steps": (1, _NO_LIMIT),
}


def _check_ranges(record: object, ranges: dict[str, tuple[int, int | None]], path: str) -> None:
    for name, (lowest, highest) in ranges.items():
        value = getattr(record, name)
        if value is None or (value >= lowest and (highest is None or value <= highest)):
            continue
        expected = f"from {lowest} to {highest}" if highest is not None else f"of at least {lowest}"
        raise InvalidParams(f"{path}.{name}: expected an integer {expected}, got {value}")


def normal_activation(activation: EntryActivation | None, path: str) -> EntryActivation | None:
    """`activation` checked (InvalidParams naming the field) and normalised: `{}` is None."""
    if activation is None or activation == EntryActivation():
        return None
    _check_ranges(activation, _ENTRY_RANGES, path)
    return activation


def normal_settings(settings: LorebookSettings | None, path: str) -> LorebookSettings | None:
    """`settings` checked (InvalidParams naming the field) and normalised: `{}` is None."""
    if settings is None or settings == LorebookSettings():
        return None
    _check_ranges(settings, _BOOK_RANGES, path)
    return settings


def normal_entry(entry: LorebookEntry, path: str) -> LorebookEntry:
    """The entry with its activation checked and normalised."""
    activation = normal_activation(entry.activation, f"{path}.activation")
    return entry if activation is entry.activation else attrs.evolve(entry, activation=activation)


def normal_lorebook(lorebook: Lorebook, path: str) -> Lorebook:
    """The lorebook with its settings and every entry's activation checked and normalised."""
    entries = [normal_entry(entry, f"{path}.entries[{index}]") for index, entry in enumerate(lorebook.entries)]
    settings = normal_settings(lorebook.settings, f"{path}.settings")
    return attrs.evolve(lorebook, entries=entries, settings=settings)
