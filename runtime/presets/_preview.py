"""Prompt previews (PROTOCOL §6.7): parameter rules and the payload built from a compiled prompt.

Shared by the template preview and the runtime preview; the caller compiles (with
placeholders or with context values) and this module shapes the answer. Pure.
"""

from __future__ import annotations

from runtime.errors import InvalidParams, NotFound
from runtime.model.apis import Agent
from runtime.model.presets import (
    AgentConfig,
    ArchitectMode,
    MessageRole,
    PresetModule,
    PreviewEntry,
    PreviewKind,
    PreviewMessage,
    PreviewMessageRole,
    PreviewModule,
    PromptPreview,
)
from runtime.presets._compile import CompiledModule, CompiledPrompt


def invalid_preview(detail: str) -> InvalidParams:
    return InvalidParams(f"invalid prompt preview: {detail}")


def check_architect_mode(agent: Agent, mode: ArchitectMode | None) -> None:
    """`architect_mode` is required for the Architect and refused for every other agent."""
    if agent is Agent.ARCHITECT and mode is None:
        raise invalid_preview("architect_mode is required for agent 'architect'")
    if agent is not Agent.ARCHITECT and mode is not None:
        raise invalid_preview(f"architect_mode is only allowed for agent 'architect', not for agent '{agent.value}'")


def require_module(preset_id: str, agent: Agent, config: AgentConfig, module_id: str) -> PresetModule:
    """The module of the expanded preset, or 40404 with the module template."""
    module = config.module(module_id)
    if module is None:
        raise NotFound(f"preset '{preset_id}' does not contain module '{module_id}' for agent '{agent.value}'")
    return module


def build_preview(
    *,
    preset_id: str,
    config: AgentConfig,
    prompt: CompiledPrompt,
    kind: PreviewKind,
    module_id: str | None = None,
) -> PromptPreview:
    """The `preset_prompt_preview` payload of the whole prompt, or of one module.

    Raises NotFound when `module_id` is not a module of `config`, and InvalidParams when that
    module contributes nothing to the prompt.
    """
    if module_id is None:
        messages = [
            PreviewMessage(role, [_preview_module(module) for module in modules])
            for role in (MessageRole.SYSTEM, MessageRole.USER)
            if (modules := prompt.modules_with_role(role))
        ]
        return _payload(preset_id, prompt, kind, PreviewMessageRole.FULL, messages, None)
    require_module(preset_id, prompt.agent, config, module_id)
    compiled = prompt.module(module_id)
    if compiled is None:
        raise invalid_preview(f"module '{module_id}' is not available for {_target(prompt)}")
    messages = [PreviewMessage(compiled.message_role, [_preview_module(compiled)])]
    return _payload(preset_id, prompt, kind, PreviewMessageRole(compiled.message_role.value), messages, module_id)


def _payload(
    preset_id: str,
    prompt: CompiledPrompt,
    kind: PreviewKind,
    role: PreviewMessageRole,
    messages: list[PreviewMessage],
    module_id: str | None,
) -> PromptPreview:
    return PromptPreview(
        preset_id=preset_id,
        agent=prompt.agent,
        preview_kind=kind,
        message_role=role,
        messages=messages,
        unresolved_context_keys=prompt.unresolved_context_keys(module_id),
        module_id=module_id,
        architect_mode=prompt.architect_mode,
    )


def _preview_module(module: CompiledModule) -> PreviewModule:
    entries = [
        PreviewEntry(entry.entry_id, entry.display_name, entry.kind, entry.order, entry.source, entry.compiled_text)
        for entry in module.entries
    ]
    return PreviewModule(module.module_id, module.display_name, module.order, entries)


def _target(prompt: CompiledPrompt) -> str:
    if prompt.architect_mode is None:
        return f"agent '{prompt.agent.value}'"
    return f"agent '{prompt.agent.value}' in architect_mode '{prompt.architect_mode.value}'"
