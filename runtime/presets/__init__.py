"""Prompt presets: the built-in catalogue, normalization and the compact form, prompt
compilation, previews, and the repair material of the JSON agents (PROTOCOL §6.5–§6.7,
§9.5, §10, §11.1, §14.9). Pure; the store and the services do the I/O.
"""

from runtime.presets._catalogue import BUILT_IN_MODULES as BUILT_IN_MODULES
from runtime.presets._catalogue import SYNTHETIC_ENTRY_PREFIX as SYNTHETIC_ENTRY_PREFIX
from runtime.presets._catalogue import BuiltInEntry as BuiltInEntry
from runtime.presets._catalogue import BuiltInModule as BuiltInModule
from runtime.presets._catalogue import SyntheticEntry as SyntheticEntry
from runtime.presets._catalogue import allowed_context_keys as allowed_context_keys
from runtime.presets._catalogue import built_in_entries as built_in_entries
from runtime.presets._catalogue import built_in_entry as built_in_entry
from runtime.presets._catalogue import is_obsolete_entry as is_obsolete_entry
from runtime.presets._catalogue import synthetic_entries as synthetic_entries
from runtime.presets._compact import compact_agent as compact_agent
from runtime.presets._compact import compact_agents as compact_agents
from runtime.presets._compile import ActorCharacterBlock as ActorCharacterBlock
from runtime.presets._compile import ChatMessages as ChatMessages
from runtime.presets._compile import CompiledEntry as CompiledEntry
from runtime.presets._compile import CompiledModule as CompiledModule
from runtime.presets._compile import CompiledPrompt as CompiledPrompt
from runtime.presets._compile import chat_messages as chat_messages
from runtime.presets._compile import compile_prompt as compile_prompt
from runtime.presets._compile import compile_template as compile_template
from runtime.presets._compile import render_actor_character_block as render_actor_character_block
from runtime.presets._compile import with_character_block as with_character_block
from runtime.presets._normalize import expanded_as_spec as expanded_as_spec
from runtime.presets._normalize import invalid_preset as invalid_preset
from runtime.presets._normalize import normalize_agent as normalize_agent
from runtime.presets._normalize import normalize_agents as normalize_agents
from runtime.presets._preview import build_preview as build_preview
from runtime.presets._preview import check_architect_mode as check_architect_mode
from runtime.presets._preview import require_module as require_module
from runtime.presets._repair import ARCHITECT_REPAIR_SYSTEM_PROMPT as ARCHITECT_REPAIR_SYSTEM_PROMPT
from runtime.presets._repair import EXPECTED_SHAPE as EXPECTED_SHAPE
from runtime.presets._repair import GENERIC_REPAIR_SYSTEM_PROMPT as GENERIC_REPAIR_SYSTEM_PROMPT
from runtime.presets._repair import RepairTarget as RepairTarget
from runtime.presets._repair import expected_shape as expected_shape
from runtime.presets._repair import repair_system_prompt as repair_system_prompt
from runtime.presets._repair import repair_user_message as repair_user_message

__all__ = [
    "ARCHITECT_REPAIR_SYSTEM_PROMPT",
    "BUILT_IN_MODULES",
    "EXPECTED_SHAPE",
    "GENERIC_REPAIR_SYSTEM_PROMPT",
    "SYNTHETIC_ENTRY_PREFIX",
    "ActorCharacterBlock",
    "BuiltInEntry",
    "BuiltInModule",
    "ChatMessages",
    "CompiledEntry",
    "CompiledModule",
    "CompiledPrompt",
    "RepairTarget",
    "SyntheticEntry",
    "allowed_context_keys",
    "build_preview",
    "built_in_entries",
    "built_in_entry",
    "chat_messages",
    "check_architect_mode",
    "compact_agent",
    "compact_agents",
    "compile_prompt",
    "compile_template",
    "expanded_as_spec",
    "expected_shape",
    "invalid_preset",
    "is_obsolete_entry",
    "normalize_agent",
    "normalize_agents",
    "render_actor_character_block",
    "repair_system_prompt",
    "repair_user_message",
    "require_module",
    "synthetic_entries",
    "with_character_block",
]
