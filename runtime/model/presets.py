"""Presets, preset entries and prompt previews (PROTOCOL §6.5, §6.6, §6.7, Appendix B).

Two shapes of an agent's prompt configuration exist:

* the *spec* shape (`AgentSpec`, `ModuleSpec`): what clients send and what is stored (the
  compact form); module metadata and entry fields may be left out;
* the *expanded* shape (`AgentConfig`, `PresetModule`): the normalized form with every
  built-in module and entry present, which every `preset` payload carries.

Entries have one shape for both (`PresetEntry`); in the expanded form built-in text entries
carry their `text` and context-reference entries their `context_key`.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from runtime.model._fields import omittable
from runtime.model.apis import Agent
from runtime.model.lore import LoreTrace


class MessageRole(enum.Enum):
    SYSTEM = "system"
    USER = "user"


class EntryKind(enum.Enum):
    BUILT_IN_TEXT = "built_in_text"
    BUILT_IN_CONTEXT_REF = "built_in_context_ref"
    CUSTOM_TEXT = "custom_text"

    @property
    def is_built_in(self) -> bool:
        return self is not EntryKind.CUSTOM_TEXT


class ArchitectMode(enum.Enum):
    """The Architect is always compiled for one of these (PROTOCOL §10.3)."""

    GRAPH = "graph"
    DRAFT_INIT = "draft_init"
    DRAFT_CONTINUE = "draft_continue"


# -- entries and modules -----------------------------------------------------------------


@attrs.frozen
class PresetEntry:
    """One prompt entry. `text` only on text entries, `context_key` only on context references."""

    entry_id: str
    display_name: str
    kind: EntryKind
    enabled: bool = True
    order: int = 0
    required: bool = False
    text: str | None = omittable()
    context_key: str | None = omittable()


@attrs.frozen
class ModuleSpec:
    """A module as sent or stored; missing metadata takes the built-in (or custom) defaults."""

    module_id: str
    display_name: str | None = omittable()
    message_role: MessageRole | None = omittable()
    order: int | None = omittable()
    entries: list[PresetEntry] = attrs.field(factory=list)


@attrs.frozen
class PresetModule:
    """A module of the expanded form: every field set, entries sorted by (order, entry_id)."""

    module_id: str
    display_name: str
    message_role: MessageRole
    order: int
    entries: list[PresetEntry]


# -- agent configurations ----------------------------------------------------------------


@attrs.frozen
class AgentScalars:
    """The scalar settings every shape of an agent's config carries; unset ones are omitted."""

    temperature: float | None = omittable()
    max_tokens: int | None = omittable()
    director_shared_history_limit: int | None = omittable()
    actor_shared_history_limit: int | None = omittable()
    actor_private_memory_limit: int | None = omittable()
    narrator_shared_history_limit: int | None = omittable()
    replyer_session_history_limit: int | None = omittable()


AGENT_SCALAR_FIELDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(AgentScalars))
"""The agent settings besides `extra` and `modules`, in wire order."""


@attrs.frozen
class AgentSpec(AgentScalars):
    """One agent's settings as sent or stored (compact). Unset scalars are omitted from output."""

    extra: Any = omittable()
    modules: list[ModuleSpec] = attrs.field(factory=list)


@attrs.frozen
class AgentConfig(AgentScalars):
    """One agent's settings, expanded: all built-in modules and entries are present."""

    extra: Any = omittable()
    modules: list[PresetModule] = attrs.field(factory=list)

    def module(self, module_id: str) -> PresetModule | None:
        return next((module for module in self.modules if module.module_id == module_id), None)


@attrs.frozen
class AgentSpecs:
    """`agents` as sent or stored: all seven keys are required."""

    planner: AgentSpec
    architect: AgentSpec
    director: AgentSpec
    actor: AgentSpec
    narrator: AgentSpec
    keeper: AgentSpec
    replyer: AgentSpec

    def for_agent(self, agent: Agent) -> AgentSpec:
        return getattr(self, agent.value)


@attrs.frozen
class AgentConfigs:
    """`agents` of a `preset` payload: the seven expanded agent configurations."""

    planner: AgentConfig
    architect: AgentConfig
    director: AgentConfig
    actor: AgentConfig
    narrator: AgentConfig
    keeper: AgentConfig
    replyer: AgentConfig

    def for_agent(self, agent: Agent) -> AgentConfig:
        return getattr(self, agent.value)

    def replace(self, agent: Agent, config: AgentConfig) -> AgentConfigs:
        return attrs.evolve(self, **{agent.value: config})


# -- presets -----------------------------------------------------------------------------


@attrs.frozen
class PresetRecord:
    """A preset as stored: the compact form of every agent."""

    preset_id: str
    display_name: str
    agents: AgentSpecs


@attrs.frozen
class Preset:
    """The `preset` payload: the expanded form of every agent."""

    preset_id: str
    display_name: str
    agents: AgentConfigs


@attrs.frozen
class PresetCreateParams:
    preset_id: str
    """The new preset's id, chosen by the client."""
    display_name: str
    """The name shown to people."""
    agents: AgentSpecs
    """The configuration of each of the seven agents: sampling settings, history limits and prompt modules (empty modules take the built-in prompt)."""


@attrs.frozen
class PresetIdParams:
    preset_id: str
    """The preset's id."""


@attrs.frozen
class PresetUpdateParams:
    preset_id: str
    """The preset's id."""
    display_name: str | None = None
    """A new name; omitted keeps the stored one."""
    agents: AgentSpecs | None = None
    """All seven agents' configuration, replacing the stored one whole; omitted keeps it."""


@attrs.frozen
class PresetDeleted:
    preset_id: str


# -- summaries (`preset.list`) -----------------------------------------------------------


@attrs.frozen
class EntrySummary:
    entry_id: str
    display_name: str
    kind: EntryKind
    enabled: bool
    order: int
    required: bool


@attrs.frozen
class ModuleSummary:
    module_id: str
    display_name: str
    message_role: MessageRole
    order: int
    entry_count: int
    entries: list[EntrySummary]


@attrs.frozen
class AgentSummary(AgentScalars):
    module_count: int = 0
    entry_count: int = 0
    modules: list[ModuleSummary] = attrs.field(factory=list)


@attrs.frozen
class AgentSummaries:
    planner: AgentSummary
    architect: AgentSummary
    director: AgentSummary
    actor: AgentSummary
    narrator: AgentSummary
    keeper: AgentSummary
    replyer: AgentSummary


@attrs.frozen
class PresetSummary:
    preset_id: str
    display_name: str
    agents: AgentSummaries


@attrs.frozen
class PresetsListed:
    presets: list[PresetSummary]


# -- preset entries (`preset_entry.*`) ---------------------------------------------------


@attrs.frozen
class PresetEntryCreateParams:
    preset_id: str
    """The preset's id."""
    agent: Agent
    """Which agent's prompt: `planner`, `architect`, `director`, `actor`, `narrator`, `keeper` or `replyer`."""
    module_id: str
    """The prompt module the entry belongs to (a built-in one such as `task`, or a custom one)."""
    entry_id: str
    """The new entry's id, unique across all modules of the agent."""
    display_name: str
    """The name shown to people."""
    text: str
    """The entry's prompt text (placeholders such as `{{char}}` are filled in)."""
    enabled: bool = True
    """Whether the entry goes into the prompt."""
    order: int | None = None
    """Where the entry goes within its module (lower first); omitted: after the module's last entry."""


@attrs.frozen
class PresetEntryUpdateParams:
    preset_id: str
    """The preset's id."""
    agent: Agent
    """Which agent's prompt: `planner`, `architect`, `director`, `actor`, `narrator`, `keeper` or `replyer`."""
    module_id: str
    """The prompt module the entry belongs to (a built-in one such as `task`, or a custom one)."""
    entry_id: str
    """The entry's id, unique across all modules of the agent."""
    display_name: str | None = None
    """A new name; omitted keeps the stored one."""
    text: str | None = None
    """New prompt text; omitted keeps the stored text."""
    enabled: bool | None = None
    """Whether the entry goes into the prompt; omitted keeps the stored value."""
    order: int | None = None
    """A new place within the module (lower first); omitted keeps the stored one."""


@attrs.frozen
class PresetEntryDeleteParams:
    preset_id: str
    """The preset's id."""
    agent: Agent
    """Which agent's prompt: `planner`, `architect`, `director`, `actor`, `narrator`, `keeper` or `replyer`."""
    module_id: str
    """The prompt module the entry belongs to (a built-in one such as `task`, or a custom one)."""
    entry_id: str
    """The entry's id, unique across all modules of the agent."""


@attrs.frozen
class PresetEntryPayload:
    """The `preset_entry` payload: the entry after normalization."""

    preset_id: str
    agent: Agent
    module_id: str
    entry: PresetEntry


@attrs.frozen
class PresetEntryDeleted:
    preset_id: str
    agent: Agent
    module_id: str
    entry_id: str


# -- prompt previews (`preset_preview.*`) ------------------------------------------------


class PreviewActorPurpose(enum.Enum):
    """`actor_purpose` of a runtime preview (snake_case here, unlike the stream)."""

    ADVANCE_GOAL = "advance_goal"
    REACT_TO_PLAYER = "react_to_player"
    COMMENT_ON_SCENE = "comment_on_scene"


class PreviewNarratorPurpose(enum.Enum):
    DESCRIBE_TRANSITION = "describe_transition"
    DESCRIBE_SCENE = "describe_scene"
    DESCRIBE_RESULT = "describe_result"


class PreviewKeeperPhase(enum.Enum):
    AFTER_PLAYER_INPUT = "after_player_input"
    AFTER_TURN_OUTPUTS = "after_turn_outputs"


class PreviewKind(enum.Enum):
    TEMPLATE = "template"
    RUNTIME = "runtime"


class PreviewMessageRole(enum.Enum):
    """`full` for a whole-prompt preview, else the previewed module's role."""

    FULL = "full"
    SYSTEM = "system"
    USER = "user"


class EntrySource(enum.Enum):
    PRESET = "preset"
    SYNTHETIC = "synthetic"


DEFAULT_REPLY_LIMIT = 3


@attrs.frozen
class PromptPreviewParams:
    """Params of both `preset_preview.template` and `preset_preview.runtime`.

    The template preview uses only `preset_id`, `agent`, `module_id` and `architect_mode`;
    the rest are the runtime preview's data sources and are accepted but unused there.
    """

    preset_id: str
    """The preset whose prompt is previewed."""
    agent: Agent
    """Which agent's prompt: `planner`, `architect`, `director`, `actor`, `narrator`, `keeper` or `replyer`."""
    module_id: str | None = None
    """Preview only this module; omitted: the whole prompt."""
    architect_mode: ArchitectMode | None = None
    """For the architect only (and required there): `graph`, `draft_init` or `draft_continue`."""
    resource_id: str | None = None
    """Runtime preview of the planner or the architect in `graph` mode: the story resources to render."""
    draft_id: str | None = None
    """Runtime preview of the architect in a draft mode: the draft to render."""
    character_id: str | None = None
    """Runtime preview of the actor: the session character who speaks."""
    actor_purpose: PreviewActorPurpose | None = None
    """Runtime preview of the actor: `advance_goal`, `react_to_player` (default) or `comment_on_scene`."""
    narrator_purpose: PreviewNarratorPurpose | None = None
    """Runtime preview of the narrator: `describe_transition`, `describe_scene` (default) or `describe_result`."""
    keeper_phase: PreviewKeeperPhase | None = None
    """Runtime preview of the keeper: `after_player_input` (default) or `after_turn_outputs`."""
    previous_node_id: str | None = None
    """Runtime preview: render as if the session came from this node of its story graph."""
    player_input: str | None = None
    """Runtime preview: the player input to render."""
    reply_limit: int | None = None
    """Runtime preview of the replyer: how many replies it is asked for (default 3)."""


@attrs.frozen
class PreviewEntry:
    entry_id: str
    display_name: str
    kind: EntryKind
    order: int
    source: EntrySource
    compiled_text: str


@attrs.frozen
class PreviewModule:
    module_id: str
    display_name: str
    order: int
    entries: list[PreviewEntry]


@attrs.frozen
class PreviewMessage:
    role: MessageRole
    modules: list[PreviewModule]


@attrs.frozen(kw_only=True)
class PromptPreview:
    """The `preset_prompt_preview` payload; `module_id` and `architect_mode` are echoed when given."""

    preset_id: str
    agent: Agent
    module_id: str | None = omittable()
    architect_mode: ArchitectMode | None = omittable()
    preview_kind: PreviewKind
    message_role: PreviewMessageRole
    messages: list[PreviewMessage]
    unresolved_context_keys: list[str]
    lore_trace: LoreTrace | None = omittable()  # Dramaturg: the lore activation of this prompt
