"""Hand-made community lorebooks for tests, one per format Dramaturg reads, written from the
formats' descriptions (INTERCHANGE.md §4, §5), with the oddities real files have."""

from __future__ import annotations

import copy
from typing import Any

WORLD_INFO: dict[str, Any] = {
    "entries": {
        "0": {
            "uid": 0,
            "key": ["harbor", "/do(ck|cks)/i"],
            "keysecondary": ["night", "fog"],
            "comment": "Harbor at night",
            "content": "The harbor sleeps under fog.",
            "constant": False,
            "vectorized": False,
            "selective": True,
            "selectiveLogic": 2,
            "addMemo": True,
            "order": 50,
            "position": 4,
            "disable": False,
            "excludeRecursion": True,
            "preventRecursion": False,
            "delayUntilRecursion": False,
            "probability": 80,
            "useProbability": True,
            "depth": 2,
            "group": "weather, place",
            "groupOverride": True,
            "groupWeight": 30,
            "scanDepth": 3,
            "caseSensitive": True,
            "matchWholeWords": None,
            "useGroupScoring": False,
            "automationId": "auto-1",
            "role": 2,
            "sticky": 2,
            "cooldown": 1,
            "delay": None,
            "displayIndex": 0,
            "matchPersonaDescription": False,
            "characterFilter": {"isExclude": False, "names": ["Mira"], "tags": []},
            "triggers": ["normal"],
            "outletName": "",
            "ignoreBudget": True,
            "a_future_field": {"kept": [1, 2]},
        },
        "7": {
            "uid": 7,
            "key": ["lighthouse"],
            "keysecondary": [],
            "comment": "",
            "content": "@@activate\n@@depth 9\nThe lighthouse turns.",
            "constant": False,
            "selective": True,
            "selectiveLogic": 0,
            "order": 100,
            "position": 0,
            "disable": True,
            "probability": 100,
            "useProbability": True,
            "depth": 4,
            "delayUntilRecursion": 2,
            "preventRecursion": True,
        },
    },
    "originalData": {"name": "Harbor", "entries": [{"keys": ["harbor"], "content": "Old copy."}]},
    "unknownTopLevel": True,
}

LOREBOOK_V3: dict[str, Any] = {
    "spec": "lorebook_v3",
    "data": {
        "name": "Tides",
        "description": "Sea lore.",
        "scan_depth": 5,
        "token_budget": 400,
        "recursive_scanning": True,
        "extensions": {"chub": {"id": 42}},
        "entries": [
            {
                "keys": ["tide", "moon"],
                "content": "@@scan_depth 2\n@@additional_keys storm,gale\n@@risu_only 1\n@@@activate_only_after 3\n\nTides rise.",
                "extensions": {"risu_x": 1},
                "enabled": True,
                "insertion_order": 10,
                "case_sensitive": False,
                "use_regex": False,
                "constant": False,
                "name": "Tides",
                "priority": 5,
                "id": 1,
                "comment": "Tide entry",
                "selective": False,
                "secondary_keys": [],
                "position": "after_char",
                "vendor_field": "kept",
            },
            {
                "keys": ["^wave(s)?$"],
                "content": "@@dont_activate\n@@activate_only_every 2\nWaves.",
                "extensions": {},
                "enabled": True,
                "insertion_order": 20,
                "use_regex": True,
                "constant": True,
                "id": "waves",
            },
        ],
    },
    "vendor_root": {"x": 1},
}

CHARACTER_BOOK: dict[str, Any] = {
    "name": "Card book",
    "extensions": {},
    "entries": [
        {"keys": ["anchor"], "content": "Rusty.", "extensions": {}, "enabled": True, "insertion_order": 0},
        {
            "keys": ["rope"],
            "secondary_keys": ["knot"],
            "selective": True,
            "content": "Frayed.",
            "extensions": {},
            "enabled": False,
            "insertion_order": 1,
        },
    ],
}

ST_CARD_BOOK: dict[str, Any] = {
    "name": "ST export",
    "entries": [
        {
            "id": 3,
            "keys": ["/gate(s)?/i", "portcullis"],
            "secondary_keys": ["open"],
            "comment": "Gate",
            "content": "The gate.",
            "constant": False,
            "selective": True,
            "insertion_order": 90,
            "enabled": True,
            "position": "after_char",
            "use_regex": True,
            "extensions": {
                "position": 1,
                "exclude_recursion": False,
                "display_index": 3,
                "probability": 40,
                "useProbability": True,
                "depth": 4,
                "selectiveLogic": 3,
                "group": "gates",
                "group_override": False,
                "group_weight": 100,
                "prevent_recursion": True,
                "delay_until_recursion": False,
                "scan_depth": None,
                "match_whole_words": True,
                "use_group_scoring": False,
                "case_sensitive": None,
                "automation_id": "",
                "role": 0,
                "vectorized": False,
                "sticky": None,
                "cooldown": None,
                "delay": 2,
            },
        }
    ],
}

AGNAI: dict[str, Any] = {
    "kind": "memory",
    "name": "Agnai book",
    "description": "Memories.",
    "userId": "u-1",
    "scanDepth": 4,
    "tokenBudget": 300,
    "recursiveScanning": False,
    "extensions": {"agnai": True},
    "entries": [
        {
            "name": "Cat",
            "entry": "A grey cat.",
            "keywords": ["cat", "kitten"],
            "priority": 7,
            "weight": 3,
            "enabled": True,
        },
        {"name": "Dog", "entry": "A loud dog.", "keywords": ["dog"], "priority": 0, "weight": 1, "enabled": False},
    ],
}

RISUAI: dict[str, Any] = {
    "type": "risu",
    "ver": 1,
    "data": [
        {
            "key": "sword, blade",
            "secondkey": "",
            "insertorder": 100,
            "comment": "Sword",
            "content": "A sharp sword.",
            "mode": "normal",
            "alwaysActive": False,
            "selective": False,
            "useRegex": False,
            "activationPercent": 60,
            "extentions": {"risu_case_sensitive": True},
            "folder": "",
        },
        {"key": "weapons", "comment": "Weapons", "content": "", "mode": "folder", "alwaysActive": False},
        {
            "key": "^shield$",
            "secondkey": "oak, iron",
            "insertorder": 5,
            "comment": "Shield",
            "content": "A shield.",
            "mode": "constant",
            "alwaysActive": False,
            "selective": True,
            "useRegex": True,
            "folder": "weapons",
        },
    ],
}

NOVELAI: dict[str, Any] = {
    "lorebookVersion": 5,
    "entries": [
        {
            "text": "The old mill grinds.",
            "contextConfig": {"prefix": "", "suffix": "\n", "budgetPriority": 400, "insertionPosition": -1},
            "lastUpdatedAt": 1700000000000,
            "displayName": "Mill",
            "id": "7a1c",
            "keys": ["mill", "/grind(s|ing)/"],
            "searchRange": 1000,
            "enabled": True,
            "forceActivation": False,
        },
        {"text": "Always.", "displayName": "Core", "id": "7a1d", "keys": [], "enabled": True, "forceActivation": True},
    ],
    "settings": {"orderByKeyLocations": False},
    "categories": [],
}

KOBOLD_LITE: list[dict[str, Any]] = [
    {
        "key": "dragon, wyrm",
        "keysecondary": "",
        "keyanti": "dead, slain",
        "content": "A red dragon.",
        "comment": "Dragon",
        "folder": None,
        "selective": False,
        "constant": False,
        "probability": 100,
        "wigroup": "",
        "widisabled": False,
    },
    {
        "key": "castle",
        "keysecondary": "gate",
        "keyanti": "",
        "content": "A castle.",
        "comment": "",
        "selective": True,
        "constant": True,
        "probability": 50,
        "wigroup": "places",
        "widisabled": True,
    },
]

TOLERATED: dict[str, Any] = {
    "name": None,
    "scan_depth": "",
    "token_budget": "250",
    "recursive_scanning": "true",
    "extensions": None,
    "entries": {
        "a": {
            "key": "one, two",
            "keysecondary": "three",
            "content": None,
            "insertion_order": "",
            "priority": 2.0,
            "enabled": 1,
            "case_sensitive": "yes",
            "constant": None,
            "extensions": {"probability": 150, "group_weight": 0, "depth": -1, "sticky": "2", "role": 9},
        },
        "b": "not an entry",
        "c": {"keys": [1, "x", None], "content": "dup", "id": "a"},
        "d": {"keys": ["/[gate/"], "content": "Broken regex.", "use_regex": True},
    },
}
"""INTERCHANGE.md §3 in one book: nulls, texts where arrays or numbers are expected, `""` for a
number, `key`/`keysecondary` in a card book, entries keyed by uid, an entry that is not an
object, a repeated id, values out of range, and a `/pattern/` key that does not compile."""


def copy_of(book: Any) -> Any:
    return copy.deepcopy(book)
