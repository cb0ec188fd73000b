"""The compact form of a preset (PROTOCOL §6.5): what is stored and what data packages carry.

A built-in entry is kept only when it left its default module or its display name, `enabled`
or `order` differ from the defaults, and then without `text`/`context_key` and with
`required: false`; custom entries are always kept; a module is kept when it is custom, its
metadata changed, or it still holds kept entries. Normalizing the result gives back the
expanded form it came from. Pure.
"""

from __future__ import annotations

from runtime.model.apis import Agent
from runtime.model.presets import (
    AGENT_SCALAR_FIELDS,
    AgentConfig,
    AgentConfigs,
    AgentSpec,
    AgentSpecs,
    ModuleSpec,
    PresetEntry,
    PresetModule,
)
from runtime.presets import _catalogue as catalogue


def compact_agents(configs: AgentConfigs) -> AgentSpecs:
    return AgentSpecs(**{agent.value: compact_agent(agent, configs.for_agent(agent)) for agent in Agent})


def compact_agent(agent: Agent, config: AgentConfig) -> AgentSpec:
    """The compact spec of an expanded (normalized) agent config."""
    modules = [kept for module in config.modules if (kept := _compact_module(agent, module)) is not None]
    scalars = {name: getattr(config, name) for name in AGENT_SCALAR_FIELDS}
    return AgentSpec(**scalars, extra=config.extra, modules=modules)


def _compact_module(agent: Agent, module: PresetModule) -> ModuleSpec | None:
    entries = [kept for entry in module.entries if (kept := _compact_entry(agent, module.module_id, entry))]
    built_in = catalogue.BUILT_IN_MODULES_BY_ID.get(module.module_id)
    metadata_changed = built_in is None or (module.display_name, module.message_role, module.order) != (
        built_in.display_name,
        built_in.message_role,
        built_in.order,
    )
    if not entries and not metadata_changed:
        return None
    return ModuleSpec(module.module_id, module.display_name, module.message_role, module.order, entries)


def _compact_entry(agent: Agent, module_id: str, entry: PresetEntry) -> PresetEntry | None:
    if not entry.kind.is_built_in:
        return entry
    built_in = catalogue.built_in_entry(agent, entry.entry_id)
    if built_in is None:
        return None
    unchanged = (module_id, entry.display_name, entry.enabled, entry.order) == (
        built_in.module_id,
        built_in.display_name,
        True,
        built_in.order,
    )
    if unchanged:
        return None
    return PresetEntry(entry.entry_id, entry.display_name, entry.kind, entry.enabled, entry.order, required=False)
