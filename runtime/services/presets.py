"""Presets and their entries: `preset.*` and `preset_entry.*` (PROTOCOL §6.5, §6.6).

Inputs are normalized before anything is written; every answer carries the expanded form.
Preset and entry ids are trimmed on every call.
"""

from __future__ import annotations

from typing import Any

import attrs

from runtime.errors import Conflict, InvalidParams, NotFound
from runtime.model.apis import Agent
from runtime.model.presets import (
    AGENT_SCALAR_FIELDS,
    AgentConfig,
    AgentSummaries,
    AgentSummary,
    EntryKind,
    EntrySummary,
    ModuleSummary,
    Preset,
    PresetCreateParams,
    PresetDeleted,
    PresetEntry,
    PresetEntryCreateParams,
    PresetEntryDeleted,
    PresetEntryDeleteParams,
    PresetEntryPayload,
    PresetEntryUpdateParams,
    PresetIdParams,
    PresetModule,
    PresetsListed,
    PresetSummary,
    PresetUpdateParams,
)
from runtime.presets import (
    expanded_as_spec,
    invalid_preset,
    is_obsolete_entry,
    normalize_agent,
    normalize_agents,
    require_module,
)
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.store import Cursor, references
from runtime.store import presets as stored

ENTRY_ORDER_STEP = 10  # a new entry without an order goes this far after the module's last one


# -- preset.* ----------------------------------------------------------------------------


async def create_preset(services: Services, params: PresetCreateParams) -> Preset:
    """Store a prompt preset for the seven agents; answered expanded with the built-in modules and entries."""
    preset_id = require_id(params.preset_id, "preset_id")
    preset = Preset(preset_id, params.display_name, normalize_agents(params.agents))

    def insert(cursor: Cursor) -> None:
        if stored.PRESETS.exists(cursor, preset_id):
            raise Conflict.exists("preset", preset_id)
        stored.insert_preset(cursor, preset)

    await services.store.write(insert)
    return preset


async def get_preset(services: Services, params: PresetIdParams) -> Preset:
    """One preset, expanded with the built-in modules and entries."""
    preset_id = require_id(params.preset_id, "preset_id")
    return await services.store.read_cached(
        ("preset.get", preset_id), lambda cursor: stored.read_preset(cursor, preset_id)
    )


async def list_presets(services: Services) -> PresetsListed:
    """Every preset's id and name, sorted by id."""
    return await services.store.read_cached(("preset.list",), _presets_listed)


def _presets_listed(cursor: Cursor) -> PresetsListed:
    return PresetsListed([preset_summary(preset) for preset in stored.list_presets(cursor)])


async def update_preset(services: Services, params: PresetUpdateParams) -> Preset:
    """Rename a preset or replace its agents' configuration whole; answered expanded."""
    preset_id = require_id(params.preset_id, "preset_id")
    agents = None if params.agents is None else normalize_agents(params.agents)

    def update(cursor: Cursor) -> Preset:
        preset = stored.read_preset(cursor, preset_id)
        if params.display_name is not None:
            preset = attrs.evolve(preset, display_name=params.display_name)
        if agents is not None:
            preset = attrs.evolve(preset, agents=agents)
        stored.save_preset(cursor, preset)
        return preset

    return await services.store.write(update)


async def delete_preset(services: Services, params: PresetIdParams) -> PresetDeleted:
    """Delete a preset (refused while a draft or session uses it)."""
    preset_id = require_id(params.preset_id, "preset_id")

    def delete(cursor: Cursor) -> None:
        if references.preset_in_drafts_or_sessions(cursor, preset_id):
            raise Conflict(f"preset '{preset_id}' is still referenced by draft or session")
        if not stored.PRESETS.delete(cursor, preset_id):
            raise NotFound.record("preset", preset_id)

    await services.store.write(delete)
    return PresetDeleted(preset_id)


def preset_summary(preset: Preset) -> PresetSummary:
    """The `preset.list` item: settings and module/entry metadata, no texts or context keys."""
    summaries = {agent.value: _agent_summary(preset.agents.for_agent(agent)) for agent in Agent}
    return PresetSummary(preset.preset_id, preset.display_name, AgentSummaries(**summaries))


def _agent_summary(config: AgentConfig) -> AgentSummary:
    modules = [_module_summary(module) for module in config.modules]
    return AgentSummary(
        **{name: getattr(config, name) for name in AGENT_SCALAR_FIELDS},
        module_count=len(modules),
        entry_count=sum(module.entry_count for module in modules),
        modules=modules,
    )


def _module_summary(module: PresetModule) -> ModuleSummary:
    entries = [
        EntrySummary(entry.entry_id, entry.display_name, entry.kind, entry.enabled, entry.order, entry.required)
        for entry in module.entries
    ]
    return ModuleSummary(
        module.module_id, module.display_name, module.message_role, module.order, len(entries), entries
    )


# -- preset_entry.* ----------------------------------------------------------------------


async def create_preset_entry(services: Services, params: PresetEntryCreateParams) -> PresetEntryPayload:
    """Add a prompt entry to a module of one agent of a preset."""
    preset_id = require_id(params.preset_id, "preset_id")
    entry_id = require_id(params.entry_id, "entry_id")
    agent, module_id = params.agent, params.module_id.strip()
    if not params.text.strip():
        raise invalid_preset(f"custom preset entry '{entry_id}' must contain text")
    if is_obsolete_entry(agent, entry_id):
        raise invalid_preset(f"entry id '{entry_id}' is reserved for agent '{agent.value}'")

    def create(cursor: Cursor) -> PresetEntryPayload:
        preset = stored.read_preset(cursor, preset_id)
        config = preset.agents.for_agent(agent)
        if any(entry.entry_id == entry_id for module in config.modules for entry in module.entries):
            raise Conflict(f"preset '{preset_id}' already contains entry '{entry_id}' for agent '{agent.value}'")
        module = require_module(preset_id, agent, config, module_id)
        order = params.order
        if order is None:
            order = max((entry.order for entry in module.entries), default=0) + ENTRY_ORDER_STEP
        entry = PresetEntry(
            entry_id, params.display_name.strip(), EntryKind.CUSTOM_TEXT, params.enabled, order, text=params.text
        )
        saved = _save_agent(cursor, preset, agent, _with_entries(config, module_id, [*module.entries, entry]))
        return _entry_payload(preset_id, agent, saved, module_id, entry_id)

    return await services.store.write(create)


async def update_preset_entry(services: Services, params: PresetEntryUpdateParams) -> PresetEntryPayload:
    """Change a prompt entry of a preset; omitted fields keep their value."""
    preset_id = require_id(params.preset_id, "preset_id")
    entry_id = require_id(params.entry_id, "entry_id")
    agent, module_id = params.agent, params.module_id.strip()

    def update(cursor: Cursor) -> PresetEntryPayload:
        preset = stored.read_preset(cursor, preset_id)
        config = preset.agents.for_agent(agent)
        module = require_module(preset_id, agent, config, module_id)
        entry = _require_entry(preset_id, agent, module, entry_id)
        changed = attrs.evolve(entry, **_entry_changes(entry, params))
        entries = [changed if item.entry_id == entry_id else item for item in module.entries]
        saved = _save_agent(cursor, preset, agent, _with_entries(config, module_id, entries))
        return _entry_payload(preset_id, agent, saved, module_id, entry_id)

    return await services.store.write(update)


async def delete_preset_entry(services: Services, params: PresetEntryDeleteParams) -> PresetEntryDeleted:
    """Remove a prompt entry from a preset."""
    preset_id = require_id(params.preset_id, "preset_id")
    entry_id = require_id(params.entry_id, "entry_id")
    agent, module_id = params.agent, params.module_id.strip()

    def delete(cursor: Cursor) -> None:
        preset = stored.read_preset(cursor, preset_id)
        config = preset.agents.for_agent(agent)
        module = require_module(preset_id, agent, config, module_id)
        entry = _require_entry(preset_id, agent, module, entry_id)
        if entry.kind.is_built_in:
            raise InvalidParams(f"built-in preset entry '{entry_id}' cannot be deleted")
        entries = [item for item in module.entries if item.entry_id != entry_id]
        _save_agent(cursor, preset, agent, _with_entries(config, module_id, entries))

    await services.store.write(delete)
    return PresetEntryDeleted(preset_id, agent, module_id, entry_id)


def _entry_changes(entry: PresetEntry, params: PresetEntryUpdateParams) -> dict[str, Any]:
    """The fields an update may change; built-in entries only `enabled` and `order`."""
    if entry.kind.is_built_in and (params.display_name is not None or params.text is not None):
        raise InvalidParams(f"built-in preset entry '{entry.entry_id}' cannot be edited as custom text")
    changes: dict[str, Any] = {}
    if params.display_name is not None:
        changes["display_name"] = params.display_name.strip()
    if params.text is not None:
        changes["text"] = params.text
    if params.enabled is not None:
        changes["enabled"] = params.enabled
    if params.order is not None:
        changes["order"] = params.order
    return changes


def _require_entry(preset_id: str, agent: Agent, module: PresetModule, entry_id: str) -> PresetEntry:
    entry = next((entry for entry in module.entries if entry.entry_id == entry_id), None)
    if entry is None:
        raise NotFound(f"preset '{preset_id}' does not contain entry '{entry_id}' for agent '{agent.value}'")
    return entry


def _with_entries(config: AgentConfig, module_id: str, entries: list[PresetEntry]) -> AgentConfig:
    modules = [
        attrs.evolve(module, entries=entries) if module.module_id == module_id else module for module in config.modules
    ]
    return attrs.evolve(config, modules=modules)


def _save_agent(cursor: Cursor, preset: Preset, agent: Agent, edited: AgentConfig) -> AgentConfig:
    """Normalize the edited agent again, store the preset, and return the agent as saved."""
    normalized = normalize_agent(agent, expanded_as_spec(edited))
    stored.save_preset(cursor, attrs.evolve(preset, agents=preset.agents.replace(agent, normalized)))
    return normalized


def _entry_payload(
    preset_id: str, agent: Agent, config: AgentConfig, module_id: str, entry_id: str
) -> PresetEntryPayload:
    module = config.module(module_id)
    entry = None if module is None else next((item for item in module.entries if item.entry_id == entry_id), None)
    if entry is None:
        raise NotFound(f"preset '{preset_id}' does not contain entry '{entry_id}' for agent '{agent.value}'")
    return PresetEntryPayload(preset_id, agent, module_id, entry)
