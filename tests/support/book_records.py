"""The Dramaturg lorebooks the hand-made books of `tests.support.books` read as (without their
ids), checked by hand against each format's rules: the golden records of the lorebook import."""

from __future__ import annotations

from typing import Any

WORLD_INFO_RECORD: dict[str, Any] = {
    "display_name": "Harbor",
    "entries": [
        {
            "entry_id": "0",
            "title": "Harbor at night",
            "content": "The harbor sleeps under fog.",
            "keywords": ["harbor", "/do(ck|cks)/i"],
            "enabled": True,
            "always_include": False,
            "activation": {
                "secondary_keywords": ["night", "fog"],
                "secondary_logic": "not_any",
                "key_mode": "slash_regex",
                "case_sensitive": True,
                "insertion_order": 50,
                "probability": 80,
                "group": "weather, place",
                "group_override": True,
                "group_weight": 30,
                "use_group_scoring": False,
                "exclude_recursion": True,
                "scan_depth": 3,
                "sticky": 2,
                "cooldown": 1,
                "ignore_budget": True,
                "position": "at_depth",
                "depth": 2,
                "role": "assistant",
                "extensions": {
                    "vectorized": False,
                    "add_memo": True,
                    "automation_id": "auto-1",
                    "display_index": 0,
                    "match_persona_description": False,
                    "character_filter": {"isExclude": False, "names": ["Mira"], "tags": []},
                    "triggers": ["normal"],
                    "a_future_field": {"kept": [1, 2]},
                },
            },
        },
        {
            "entry_id": "7",
            "title": "",
            "content": "The lighthouse turns.",
            "keywords": ["lighthouse"],
            "enabled": False,
            "always_include": True,
            "activation": {"key_mode": "slash_regex", "prevent_recursion": True, "delay_until_recursion": 2},
        },
    ],
}

LOREBOOK_V3_RECORD: dict[str, Any] = {
    "display_name": "Tides",
    "entries": [
        {
            "entry_id": "1",
            "title": "Tide entry",
            "content": "Tides rise.",
            "keywords": ["tide", "moon"],
            "enabled": True,
            "always_include": False,
            "activation": {
                "secondary_keywords": ["storm", "gale"],
                "case_sensitive": False,
                "insertion_order": 10,
                "priority": 5,
                "scan_depth": 2,
                "delay": 3,
                "position": "after_character",
                "extensions": {"risu_x": 1},
            },
        },
        {
            "entry_id": "waves",
            "title": "",
            "content": "Waves.",
            "keywords": ["^wave(s)?$"],
            "enabled": False,
            "always_include": True,
            "activation": {"key_mode": "regex", "insertion_order": 20},
        },
    ],
    "settings": {"scan_depth": 5, "token_budget": 400, "recursive_scanning": True, "extensions": {"chub": {"id": 42}}},
}

CHARACTER_BOOK_RECORD: dict[str, Any] = {
    "display_name": "Card book",
    "entries": [
        {
            "entry_id": "0",
            "title": "",
            "content": "Rusty.",
            "keywords": ["anchor"],
            "enabled": True,
            "always_include": False,
            "activation": {"insertion_order": 0},
        },
        {
            "entry_id": "1",
            "title": "",
            "content": "Frayed.",
            "keywords": ["rope"],
            "enabled": False,
            "always_include": False,
            "activation": {"secondary_keywords": ["knot"], "insertion_order": 1},
        },
    ],
}

ST_CARD_BOOK_RECORD: dict[str, Any] = {
    "display_name": "ST export",
    "entries": [
        {
            "entry_id": "3",
            "title": "Gate",
            "content": "The gate.",
            "keywords": ["/gate(s)?/i", "portcullis"],
            "enabled": True,
            "always_include": False,
            "activation": {
                "secondary_keywords": ["open"],
                "secondary_logic": "and_all",
                "key_mode": "slash_regex",
                "match_whole_words": True,
                "insertion_order": 90,
                "probability": 40,
                "group": "gates",
                "use_group_scoring": False,
                "prevent_recursion": True,
                "delay": 2,
                "position": "after_character",
                "extensions": {"display_index": 3, "automation_id": "", "vectorized": False},
            },
        }
    ],
}

AGNAI_RECORD: dict[str, Any] = {
    "display_name": "Agnai book",
    "entries": [
        {
            "entry_id": "0",
            "title": "Cat",
            "content": "A grey cat.",
            "keywords": ["cat", "kitten"],
            "enabled": True,
            "always_include": False,
            "activation": {"insertion_order": 3, "priority": 7},
        },
        {
            "entry_id": "1",
            "title": "Dog",
            "content": "A loud dog.",
            "keywords": ["dog"],
            "enabled": False,
            "always_include": False,
            "activation": {"insertion_order": 1},
        },
    ],
    "settings": {"scan_depth": 4, "token_budget": 300, "recursive_scanning": False, "extensions": {"agnai": True}},
}

RISUAI_RECORD: dict[str, Any] = {
    "display_name": "Risu",
    "entries": [
        {
            "entry_id": "0",
            "title": "Sword",
            "content": "A sharp sword.",
            "keywords": ["sword", "blade"],
            "enabled": True,
            "always_include": False,
            "activation": {
                "case_sensitive": True,
                "probability": 60,
                "extensions": {"mode": "normal", "extentions": {"risu_case_sensitive": True}, "folder": ""},
            },
        },
        {
            "entry_id": "2",
            "title": "Shield",
            "content": "A shield.",
            "keywords": ["^shield$"],
            "enabled": True,
            "always_include": True,
            "activation": {
                "secondary_keywords": ["oak", "iron"],
                "key_mode": "regex",
                "insertion_order": 5,
                "extensions": {"folder": "weapons"},
            },
        },
    ],
}

NOVELAI_RECORD: dict[str, Any] = {
    "display_name": "Mill",
    "entries": [
        {
            "entry_id": "7a1c",
            "title": "Mill",
            "content": "The old mill grinds.",
            "keywords": ["mill", "/grind(s|ing)/"],
            "enabled": True,
            "always_include": False,
            "activation": {
                "key_mode": "slash_regex",
                "priority": 400,
                "extensions": {
                    "context_config": {"prefix": "", "suffix": "\n", "budgetPriority": 400, "insertionPosition": -1},
                    "last_updated_at": 1700000000000,
                    "search_range": 1000,
                },
            },
        },
        {
            "entry_id": "7a1d",
            "title": "Core",
            "content": "Always.",
            "keywords": [],
            "enabled": True,
            "always_include": True,
            "activation": {"key_mode": "slash_regex"},
        },
    ],
}

KOBOLD_LITE_RECORD: dict[str, Any] = {
    "display_name": "Kobold",
    "entries": [
        {
            "entry_id": "0",
            "title": "Dragon",
            "content": "A red dragon.",
            "keywords": ["dragon", "wyrm"],
            "enabled": True,
            "always_include": False,
            "activation": {
                "secondary_keywords": ["dead", "slain"],
                "secondary_logic": "not_any",
                "extensions": {"folder": None, "wigroup": ""},
            },
        },
        {
            "entry_id": "1",
            "title": "",
            "content": "A castle.",
            "keywords": ["castle"],
            "enabled": False,
            "always_include": True,
            "activation": {"secondary_keywords": ["gate"], "probability": 50, "extensions": {"wigroup": "places"}},
        },
    ],
}
