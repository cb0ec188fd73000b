"""Prompt compilation (PROTOCOL §11.1): an expanded agent config → structured prompt → messages.

`compile_prompt` (runtime: context values given) and `compile_template` (previews: every
reference shown as `<context:KEY>`) both produce a `CompiledPrompt`. From it, `chat_messages`
builds the two chat messages and the preview service builds its payload. The Actor's
character block is a separate step (`render_actor_character_block`). Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from runtime.model.apis import Agent
from runtime.model.presets import (
    AgentConfig,
    ArchitectMode,
    EntryKind,
    EntrySource,
    MessageRole,
    PresetModule,
)
from runtime.presets import _catalogue as catalogue

SYNTHETIC_ORDER_STEP = 10
MODULE_SEPARATOR = ENTRY_SEPARATOR = "\n\n"


@attrs.frozen
class CompiledEntry:
    """One entry that made it into the prompt, with the text it contributes."""

    entry_id: str
    display_name: str
    kind: EntryKind
    order: int
    source: EntrySource
    compiled_text: str
    context_key: str | None = None


@attrs.frozen
class CompiledModule:
    module_id: str
    display_name: str
    message_role: MessageRole
    order: int
    entries: tuple[CompiledEntry, ...]

    def rendered(self) -> str:
        """`"{display_name}:\\n"` followed by the entries' texts separated by blank lines."""
        return f"{self.display_name}:\n" + ENTRY_SEPARATOR.join(entry.compiled_text for entry in self.entries)


@attrs.frozen
class UnresolvedReference:
    """A context reference that had no value (runtime) or was shown as a placeholder (template)."""

    module_id: str
    context_key: str


@attrs.frozen
class CompiledPrompt:
    """The modules that contribute, in order, and the references left unresolved."""

    agent: Agent
    architect_mode: ArchitectMode | None
    modules: tuple[CompiledModule, ...]
    unresolved: tuple[UnresolvedReference, ...]

    def module(self, module_id: str) -> CompiledModule | None:
        return next((module for module in self.modules if module.module_id == module_id), None)

    def modules_with_role(self, role: MessageRole) -> tuple[CompiledModule, ...]:
        return tuple(module for module in self.modules if module.message_role is role)

    def unresolved_context_keys(self, module_id: str | None = None) -> list[str]:
        """Sorted, de-duplicated keys; only those of `module_id` when given."""
        return sorted({ref.context_key for ref in self.unresolved if module_id is None or ref.module_id == module_id})


@attrs.frozen
class ChatMessages:
    """What an agent call sends: one system message, then one user message."""

    system: str
    user: str


@attrs.frozen
class ActorCharacterBlock:
    """The already-rendered values of the Actor's character sections (PROTOCOL §11.1 step 4)."""

    character_id: str
    character_name: str
    character_personality: str
    character_style: str
    character_state_schema: str
    character_system_prompt: str


ContextLookup = Callable[[str], str | None]


def compile_prompt(
    config: AgentConfig,
    agent: Agent,
    context: Mapping[str, str | None],
    architect_mode: ArchitectMode | None = None,
) -> CompiledPrompt:
    """Compile with context values: a reference whose value is missing or blank is dropped and
    reported as unresolved; a present value contributes trimmed, under its entry's display name
    (`World State:\n…`; a Dramaturg change of PROTOCOL §11.1 step 3, which renders values bare).

    Raises ValueError when `architect_mode` is missing for the Architect or given for another agent.
    """

    def lookup(key: str) -> str | None:
        value = context.get(key)
        return value.strip() if value is not None and value.strip() else None

    return _compile(config, agent, architect_mode, lookup, resolves=True)


def compile_template(config: AgentConfig, agent: Agent, architect_mode: ArchitectMode | None = None) -> CompiledPrompt:
    """Compile without context: every allowed reference becomes `<context:KEY>` and is listed as
    unresolved. Raises ValueError as `compile_prompt` does."""
    return _compile(config, agent, architect_mode, lambda key: f"<context:{key}>", resolves=False)


def chat_messages(prompt: CompiledPrompt) -> ChatMessages:
    """The system message (system-role modules) and the user message (user-role modules)."""
    return ChatMessages(
        system=_join_modules(prompt.modules_with_role(MessageRole.SYSTEM)),
        user=_join_modules(prompt.modules_with_role(MessageRole.USER)),
    )


def render_actor_character_block(block: ActorCharacterBlock) -> str:
    """`CHARACTER_ID:\\nvalue` … `CHARACTER_SYSTEM_PROMPT:\\nvalue`, separated by blank lines."""
    sections = (
        ("CHARACTER_ID", block.character_id),
        ("CHARACTER_NAME", block.character_name),
        ("CHARACTER_PERSONALITY", block.character_personality),
        ("CHARACTER_STYLE", block.character_style),
        ("CHARACTER_STATE_SCHEMA", block.character_state_schema),
        ("CHARACTER_SYSTEM_PROMPT", block.character_system_prompt),
    )
    return ENTRY_SEPARATOR.join(f"{name}:\n{value}" for name, value in sections)


def with_character_block(messages: ChatMessages, block: ActorCharacterBlock) -> ChatMessages:
    """The Actor's messages: the character block follows the system message after a blank line."""
    rendered = render_actor_character_block(block)
    system = f"{messages.system}{MODULE_SEPARATOR}{rendered}" if messages.system else rendered
    return attrs.evolve(messages, system=system)


# -- the compiler ------------------------------------------------------------------------


def _compile(
    config: AgentConfig,
    agent: Agent,
    mode: ArchitectMode | None,
    lookup: ContextLookup,
    *,
    resolves: bool,
) -> CompiledPrompt:
    if agent is not Agent.ARCHITECT and mode is not None:
        raise ValueError(f"architect_mode is only meaningful for the Architect, not for {agent.value}")
    allowed = catalogue.allowed_context_keys(agent, mode)
    injected = catalogue.synthetic_entries(mode) if mode is not None else ()
    modules: list[CompiledModule] = []
    unresolved: list[UnresolvedReference] = []
    for module in config.modules:
        entries = list(_preset_entries(module, allowed, lookup, resolves, unresolved))
        entries.extend(_synthetic_entries(module, injected))
        if entries:
            modules.append(
                CompiledModule(module.module_id, module.display_name, module.message_role, module.order, tuple(entries))
            )
    return CompiledPrompt(agent, mode, tuple(modules), tuple(unresolved))


def _preset_entries(
    module: PresetModule,
    allowed: frozenset[str],
    lookup: ContextLookup,
    resolves: bool,
    unresolved: list[UnresolvedReference],
) -> Iterable[CompiledEntry]:
    for entry in module.entries:
        if not entry.enabled:
            continue
        if entry.kind is not EntryKind.BUILT_IN_CONTEXT_REF:
            text = (entry.text or "").strip()
            if text:
                yield CompiledEntry(
                    entry.entry_id, entry.display_name, entry.kind, entry.order, EntrySource.PRESET, text
                )
            continue
        key = entry.context_key
        if key is None or key not in allowed:
            continue
        value = lookup(key)
        if value is None or not resolves:
            unresolved.append(UnresolvedReference(module.module_id, key))
        if value is not None:
            # Each value under its own title: a model cannot tell values apart by position alone.
            text = f"{entry.display_name}:\n{value}"
            yield CompiledEntry(
                entry.entry_id, entry.display_name, entry.kind, entry.order, EntrySource.PRESET, text, key
            )


def _synthetic_entries(module: PresetModule, injected: tuple[catalogue.SyntheticEntry, ...]) -> Iterable[CompiledEntry]:
    highest = max((entry.order for entry in module.entries), default=0)
    mine = [entry for entry in injected if entry.module_id == module.module_id]
    for k, entry in enumerate(mine, start=1):
        yield CompiledEntry(
            entry.entry_id,
            entry.display_name,
            EntryKind.BUILT_IN_TEXT,
            highest + SYNTHETIC_ORDER_STEP * k,
            EntrySource.SYNTHETIC,
            entry.text.strip(),
        )


def _join_modules(modules: Iterable[CompiledModule]) -> str:
    return MODULE_SEPARATOR.join(module.rendered() for module in modules)
