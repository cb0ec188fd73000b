"""Preset normalization (PROTOCOL §6.5 steps 1–5): any accepted agent spec → the expanded form.

Applied on every write and on every read (the store keeps the compact form). Pure; raises
`InvalidParams` with `invalid preset: {detail}` and nothing else.
"""

from __future__ import annotations

import attrs

from runtime.errors import InvalidParams
from runtime.model.apis import Agent
from runtime.model.presets import (
    AGENT_SCALAR_FIELDS,
    AgentConfig,
    AgentConfigs,
    AgentSpec,
    AgentSpecs,
    EntryKind,
    MessageRole,
    ModuleSpec,
    PresetEntry,
    PresetModule,
)
from runtime.presets import _catalogue as catalogue

_NON_NEGATIVE_FIELDS = tuple(name for name in AGENT_SCALAR_FIELDS if name != "temperature")


def invalid_preset(detail: str) -> InvalidParams:
    return InvalidParams(f"invalid preset: {detail}")


@attrs.define
class _ModuleDraft:
    """A module while normalization fills it; mutable only inside `normalize_agent`."""

    module_id: str
    display_name: str
    message_role: MessageRole
    order: int
    entries: list[PresetEntry] = attrs.field(factory=list)

    def sealed(self) -> PresetModule:
        entries = sorted(self.entries, key=lambda entry: (entry.order, entry.entry_id))
        return PresetModule(self.module_id, self.display_name, self.message_role, self.order, entries)


def normalize_agents(specs: AgentSpecs) -> AgentConfigs:
    """All seven agents expanded; the first problem raises `invalid preset: …`."""
    return AgentConfigs(**{agent.value: normalize_agent(agent, specs.for_agent(agent)) for agent in Agent})


def normalize_agent(agent: Agent, spec: AgentSpec) -> AgentConfig:
    """The expanded form of one agent's spec: built-in modules and entries filled in, sorted."""
    _check_scalars(agent, spec)
    modules = {
        module.module_id: _ModuleDraft(module.module_id, module.display_name, module.message_role, module.order)
        for module in catalogue.BUILT_IN_MODULES
    }
    seen_modules: set[str] = set()
    placed: set[str] = set()
    for module_spec in spec.modules:
        draft = _module_draft(agent, module_spec, seen_modules)
        modules[draft.module_id] = draft
        for entry in module_spec.entries:
            normalized = _normalize_entry(agent, entry)
            if normalized is None:
                continue
            if normalized.entry_id in placed:
                raise invalid_preset(f"agent '{agent.value}' contains entry '{normalized.entry_id}' more than once")
            placed.add(normalized.entry_id)
            draft.entries.append(normalized)
    for built_in in catalogue.built_in_entries(agent):
        if built_in.entry_id not in placed:
            modules[built_in.module_id].entries.append(built_in.default_entry())
    ordered = sorted(modules.values(), key=lambda module: (module.order, module.module_id))
    scalars = {name: getattr(spec, name) for name in AGENT_SCALAR_FIELDS}
    return AgentConfig(**scalars, extra=spec.extra, modules=[module.sealed() for module in ordered])


def expanded_as_spec(config: AgentConfig) -> AgentSpec:
    """An expanded config written back as a spec, so an edited copy can be normalized again."""
    scalars = {name: getattr(config, name) for name in AGENT_SCALAR_FIELDS}
    modules = [
        ModuleSpec(module.module_id, module.display_name, module.message_role, module.order, list(module.entries))
        for module in config.modules
    ]
    return AgentSpec(**scalars, extra=config.extra, modules=modules)


def _check_scalars(agent: Agent, spec: AgentSpec) -> None:
    for name in _NON_NEGATIVE_FIELDS:
        value = getattr(spec, name)
        if value is not None and value < 0:
            raise invalid_preset(f"agent '{agent.value}' {name} must not be negative, got {value}")


def _module_draft(agent: Agent, spec: ModuleSpec, seen: set[str]) -> _ModuleDraft:
    """Step 2: the module's id checked, its metadata over the built-in (or custom) defaults."""
    module_id = spec.module_id.strip()
    if not module_id:
        raise invalid_preset(f"agent '{agent.value}' has a module with an empty module_id")
    if module_id in seen:
        raise invalid_preset(f"agent '{agent.value}' contains module '{module_id}' more than once")
    seen.add(module_id)
    built_in = catalogue.BUILT_IN_MODULES_BY_ID.get(module_id)
    default_name = built_in.display_name if built_in else module_id
    default_role = built_in.message_role if built_in else catalogue.CUSTOM_MODULE_ROLE
    default_order = built_in.order if built_in else catalogue.CUSTOM_MODULE_ORDER
    return _ModuleDraft(
        module_id=module_id,
        display_name=_non_blank(spec.display_name, default_name),
        message_role=spec.message_role or default_role,
        order=default_order if spec.order is None else spec.order,
    )


def _normalize_entry(agent: Agent, entry: PresetEntry) -> PresetEntry | None:
    """Step 3 for one entry; None for an obsolete built-in id, which is dropped."""
    entry_id = entry.entry_id.strip()
    if not entry_id:
        raise invalid_preset(f"agent '{agent.value}' has an entry with an empty entry_id")
    if catalogue.is_obsolete_entry(agent, entry_id):
        return None
    if entry.kind is EntryKind.CUSTOM_TEXT:
        return _custom_entry(entry, entry_id)
    built_in = catalogue.built_in_entry(agent, entry_id)
    if built_in is None or built_in.kind is not entry.kind:
        raise invalid_preset(
            f"unknown built-in preset entry '{entry_id}' of kind '{entry.kind.value}' for agent '{agent.value}'"
        )
    return built_in.placed(
        display_name=_non_blank(entry.display_name, built_in.display_name), enabled=entry.enabled, order=entry.order
    )


def _custom_entry(entry: PresetEntry, entry_id: str) -> PresetEntry:
    if entry.text is None or not entry.text.strip():
        raise invalid_preset(f"custom preset entry '{entry_id}' must contain text")
    return PresetEntry(
        entry_id=entry_id,
        display_name=_non_blank(entry.display_name, entry_id),
        kind=EntryKind.CUSTOM_TEXT,
        enabled=entry.enabled,
        order=entry.order,
        required=False,
        text=entry.text,
        context_key=None,
    )


def _non_blank(value: str | None, default: str) -> str:
    return value if value is not None and value.strip() else default
