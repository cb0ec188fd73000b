"""Data packages for tests: a complete sample (stories included) and tools to take a ZIP apart and
put it back together, so hostile variants can be built from a good package."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from typing import Any

import attrs

from runtime.archives import DataPackage, PackagedCharacter, PackagedCover, write_data_package
from runtime.codec import CODEC
from runtime.model.characters import CharacterCardContent, CoverMimeType
from runtime.model.lorebooks import Lorebook
from runtime.model.player_profiles import PlayerProfile
from runtime.model.presets import PresetRecord
from runtime.model.schemas import Schema
from runtime.model.stories import StoryRecord
from runtime.model.story_resources import StoryResourcesRecord
from runtime.store.presets import compact_preset, expand_preset

AGENTS = ("planner", "architect", "director", "actor", "narrator", "keeper", "replyer")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
CREATED_AT_MS = 1_774_000_000_000

SCHEMAS: list[dict[str, Any]] = [
    {
        "schema_id": "npc",
        "display_name": "NPC",
        "tags": ["character"],
        "fields": {"trust": {"value_type": "int", "default": 0, "description": "how much they trust you"}},
    },
    {
        "schema_id": "player-schema",
        "display_name": "Player",
        "tags": ["player"],
        "fields": {"coins": {"value_type": "int", "default": 5, "description": None}},
    },
    {
        "schema_id": "world-schema",
        "display_name": "World",
        "tags": ["world"],
        "fields": {
            "gate_open": {"value_type": "bool", "default": False, "description": None},
            "weather": {"value_type": "string", "default": "rain", "description": None, "enum_values": ["rain", "sun"]},
        },
    },
]
PRESET: dict[str, Any] = {
    "preset_id": "tuned",
    "display_name": "Tuned",
    "agents": {agent: {"modules": []} for agent in AGENTS}
    | {
        "director": {
            "temperature": 0.3,
            "max_tokens": 900,
            "director_shared_history_limit": 4,
            "extra": {"note": [1, 2]},
            "modules": [
                {
                    "module_id": "house_rules",
                    "display_name": "House rules",
                    "message_role": "system",
                    "order": 15,
                    "entries": [
                        {
                            "entry_id": "no_magic",
                            "display_name": "No magic",
                            "kind": "custom_text",
                            "text": "Magic does not exist here.",
                        }
                    ],
                }
            ],
        }
    },
}
LOREBOOK: dict[str, Any] = {
    "lorebook_id": "harbor",
    "display_name": "Harbor lore",
    "entries": [
        {
            "entry_id": "tides",
            "title": "Tides",
            "content": "The tide turns at dusk.",
            "keywords": ["tide"],
            "enabled": True,
            "always_include": False,
        },
        {
            "entry_id": "guild",
            "title": "Guild",
            "content": "Merchants answer to the guild.",
            "keywords": [],
            "enabled": False,
            "always_include": True,
        },
    ],
}
PLAYER_PROFILE: dict[str, Any] = {"player_profile_id": "hero", "display_name": "Ash", "description": "A stranger."}
CHARACTERS: list[dict[str, Any]] = [
    {
        "id": "guard",
        "name": "Guard",
        "personality": "stern",
        "style": "short",
        "schema_id": "npc",
        "system_prompt": "Guard the gate.",
        "tags": [],
        "folder": "",
    },
    {
        "id": "merchant",
        "name": "Old Merchant",
        "personality": "greedy",
        "style": "terse",
        "schema_id": "npc",
        "system_prompt": "Sell {{char}}'s wares.",
        "tags": ["trader", "old"],
        "folder": "town/market",
    },
]
RESOURCES: dict[str, Any] = {
    "resource_id": "resource-0",
    "display_name": "Harbor",
    "story_concept": "A flooded harbor town.",
    "character_ids": ["merchant", "guard"],
    "player_schema_id_seed": "player-schema",
    "world_schema_id_seed": "world-schema",
    "lorebook_ids": ["harbor"],
    "planned_story": "Reach the market.",
}
STORY: dict[str, Any] = {
    "story_id": "story-0",
    "display_name": "The Flooded Dock",
    "resource_id": "resource-0",
    "graph": {
        "start_node": "dock",
        "nodes": [
            {
                "id": "dock",
                "title": "Dock",
                "scene": "Water everywhere.",
                "goal": "Find a way in.",
                "characters": ["merchant"],
                "transitions": [
                    {"to": "market", "condition": {"scope": "global", "key": "gate_open", "op": "eq", "value": True}},
                    {
                        "to": "alley",
                        "condition": {
                            "scope": "character",
                            "character": "merchant",
                            "key": "trust",
                            "op": "gte",
                            "value": 3,
                        },
                    },
                    {"to": "gate", "condition": None},
                ],
                "on_enter_updates": [{"type": "SetState", "key": "weather", "value": "rain"}],
            },
            {
                "id": "gate",
                "title": "Gate",
                "scene": "A shut gate.",
                "goal": "Talk to the guard.",
                "characters": ["guard"],
                "transitions": [{"to": "market", "condition": None}],
                "on_enter_updates": [],
            },
            {
                "id": "market",
                "title": "Market",
                "scene": "Stalls.",
                "goal": "Trade.",
                "characters": [],
                "transitions": [],
                "on_enter_updates": [],
            },
            {
                "id": "alley",
                "title": "Alley",
                "scene": "Dark.",
                "goal": "Hide.",
                "characters": ["merchant"],
                "transitions": [],
                "on_enter_updates": [],
            },
        ],
    },
    "world_schema_id": "world-schema",
    "player_schema_id": "player-schema",
    "introduction": "You arrive by boat.",
    "common_variables": [
        {"scope": "world", "key": "gate_open", "display_name": "Gate open", "pinned": True},
        {
            "scope": "character",
            "key": "trust",
            "display_name": "Merchant trust",
            "character_id": "merchant",
            "pinned": False,
        },
    ],
    "created_at_ms": 1_700_000_000_000,
    "updated_at_ms": 1_700_000_500_000,
}


def structure(value: Any, record_type: type) -> Any:
    return CODEC.structure(value, record_type, path="test")


def sample_package(**changes: Any) -> DataPackage:
    """One of everything a package can hold; `changes` replace whole kinds (lists of records)."""
    package = DataPackage(
        created_at_ms=CREATED_AT_MS,
        presets=[compact_preset(expand_preset(structure(PRESET, PresetRecord)))],
        schemas=[structure(schema, Schema) for schema in SCHEMAS],
        lorebooks=[structure(LOREBOOK, Lorebook)],
        player_profiles=[structure(PLAYER_PROFILE, PlayerProfile)],
        characters=[
            PackagedCharacter(structure(CHARACTERS[0], CharacterCardContent)),
            PackagedCharacter(
                structure(CHARACTERS[1], CharacterCardContent), PackagedCover("merchant.png", CoverMimeType.PNG, PNG)
            ),
        ],
        story_resources=[structure(RESOURCES, StoryResourcesRecord)],
        stories=[structure(STORY, StoryRecord)],
    )
    return attrs.evolve(package, **changes)


def story_record(**changes: Any) -> StoryRecord:
    return structure({**STORY, **changes}, StoryRecord)


def resources_record(**changes: Any) -> StoryResourcesRecord:
    return structure({**RESOURCES, **changes}, StoryResourcesRecord)


def package_zip(package: DataPackage | None = None) -> bytes:
    return write_data_package(package or sample_package())


def zip_entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def build_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A deflated ZIP of exactly these entries, duplicates and odd names included."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def json_entry(value: Any) -> bytes:
    return json.dumps(value, indent=2).encode()


def manifest_of(data: bytes) -> dict[str, Any]:
    return json.loads(dict(zip_entries(data))["manifest.json"])


def with_manifest(data: bytes, manifest: dict[str, Any]) -> bytes:
    """The same package with its manifest replaced."""
    return build_zip(
        [(name, json_entry(manifest) if name == "manifest.json" else body) for name, body in zip_entries(data)]
    )


def with_entry(data: bytes, name: str, body: bytes | None) -> bytes:
    """The same package with entry `name` replaced, added, or (body None) left out."""
    entries = [(entry, content) for entry, content in zip_entries(data) if entry != name]
    return build_zip(entries if body is None else [*entries, (name, body)])
