"""The presets table. Rows hold the compact form (PROTOCOL §6.5); readers get the expanded form."""

from __future__ import annotations

from runtime.model.presets import Preset, PresetRecord
from runtime.presets import compact_agents, normalize_agents
from runtime.store._database import Cursor
from runtime.store._documents import DocumentTable

PRESETS = DocumentTable("presets", "preset_id", PresetRecord, "preset")


def expand_preset(record: PresetRecord) -> Preset:
    """The stored compact preset, normalized into the expanded form."""
    return Preset(record.preset_id, record.display_name, normalize_agents(record.agents))


def compact_preset(preset: Preset) -> PresetRecord:
    return PresetRecord(preset.preset_id, preset.display_name, compact_agents(preset.agents))


def read_preset(cursor: Cursor, preset_id: str) -> Preset:
    """The expanded preset, or NotFound `preset '{id}' not found`."""
    return expand_preset(PRESETS.require(cursor, preset_id))


def list_presets(cursor: Cursor) -> list[Preset]:
    """Every preset, expanded, sorted by id (R13)."""
    return [expand_preset(record) for record in PRESETS.list(cursor)]


def insert_preset(cursor: Cursor, preset: Preset) -> None:
    PRESETS.insert(cursor, preset.preset_id, compact_preset(preset))


def save_preset(cursor: Cursor, preset: Preset) -> None:
    PRESETS.update(cursor, preset.preset_id, compact_preset(preset))
