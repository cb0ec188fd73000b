"""The built-in prompt catalogue (PROTOCOL §6.5, §10): modules, entries, Architect mode
injections and the context keys each agent (or Architect mode) may use. Pure data.
"""

from __future__ import annotations

import attrs

from runtime.model.apis import Agent
from runtime.model.presets import ArchitectMode, EntryKind, MessageRole, PresetEntry
from runtime.presets import _texts


@attrs.frozen
class BuiltInModule:
    module_id: str
    display_name: str
    message_role: MessageRole
    order: int


ROLE, TASK, STATIC_CONTEXT, DYNAMIC_CONTEXT, OUTPUT = "role", "task", "static_context", "dynamic_context", "output"

BUILT_IN_MODULES: tuple[BuiltInModule, ...] = (
    BuiltInModule(ROLE, "Role", MessageRole.SYSTEM, 10),
    BuiltInModule(TASK, "Task", MessageRole.SYSTEM, 20),
    BuiltInModule(STATIC_CONTEXT, "Static Context", MessageRole.USER, 30),
    BuiltInModule(DYNAMIC_CONTEXT, "Dynamic Context", MessageRole.USER, 40),
    BuiltInModule(OUTPUT, "Output", MessageRole.SYSTEM, 50),
)
BUILT_IN_MODULES_BY_ID: dict[str, BuiltInModule] = {module.module_id: module for module in BUILT_IN_MODULES}

CUSTOM_MODULE_ROLE = MessageRole.USER
CUSTOM_MODULE_ORDER = 1000


@attrs.frozen
class BuiltInEntry:
    """One entry of an agent's built-in template, with its default module and settings."""

    entry_id: str
    display_name: str
    kind: EntryKind
    module_id: str
    order: int
    required: bool
    text: str | None = None
    context_key: str | None = None

    def default_entry(self) -> PresetEntry:
        """The entry as the expanded form holds it when the user changed nothing."""
        return self.placed(display_name=self.display_name, enabled=True, order=self.order)

    def placed(self, *, display_name: str, enabled: bool, order: int) -> PresetEntry:
        """The entry with user-chosen settings; text, context key and `required` stay built-in."""
        return PresetEntry(
            entry_id=self.entry_id,
            display_name=display_name,
            kind=self.kind,
            enabled=enabled or self.required,
            order=order,
            required=self.required,
            text=self.text,
            context_key=self.context_key,
        )


def _text(entry_id: str, display_name: str, module_id: str, text: str) -> BuiltInEntry:
    """A required built-in text entry at order 10, as every role, task and output entry is."""
    return BuiltInEntry(entry_id, display_name, EntryKind.BUILT_IN_TEXT, module_id, 10, True, text=text)


def _ctx(entry_id: str, context_key: str, module_id: str, order: int, required: bool = False) -> BuiltInEntry:
    display_name = " ".join(word.capitalize() for word in context_key.split("_"))
    return BuiltInEntry(
        entry_id, display_name, EntryKind.BUILT_IN_CONTEXT_REF, module_id, order, required, context_key=context_key
    )


REQ = True

_PLANNER = (
    _text("planner_role_core", "Core Role", ROLE, _texts.PLANNER_ROLE),
    _text("planner_task_core", "Planning Task", TASK, _texts.PLANNER_TASK),
    _ctx("planner_story_concept", "story_concept", STATIC_CONTEXT, 10, REQ),
    _ctx("planner_lorebook_base", "lorebook_base", STATIC_CONTEXT, 20),
    _ctx("planner_available_characters", "available_characters", STATIC_CONTEXT, 30, REQ),
    _ctx("planner_lorebook_matched", "lorebook_matched", DYNAMIC_CONTEXT, 10),
    _text("planner_output_core", "Output Contract", OUTPUT, _texts.PLANNER_OUTPUT),
)

_ARCHITECT = (
    _text("architect_role_core", "Core Role", ROLE, _texts.ARCHITECT_ROLE),
    _text("architect_task_core", "Architecture Task", TASK, _texts.ARCHITECT_TASK),
    _ctx("architect_story_concept", "story_concept", STATIC_CONTEXT, 10, REQ),
    _ctx("architect_lorebook_base", "lorebook_base", STATIC_CONTEXT, 20),
    _ctx("architect_planned_story", "planned_story", STATIC_CONTEXT, 30),
    _ctx("architect_available_characters", "available_characters", STATIC_CONTEXT, 40, REQ),
    _ctx("architect_world_state_schema_seed", "world_state_schema_seed", STATIC_CONTEXT, 50),
    _ctx("architect_player_state_schema_seed", "player_state_schema_seed", STATIC_CONTEXT, 60),
    _ctx("architect_world_state_schema", "world_state_schema", STATIC_CONTEXT, 70),
    _ctx("architect_player_state_schema", "player_state_schema", STATIC_CONTEXT, 80),
    _ctx("architect_section_summaries", "section_summaries", STATIC_CONTEXT, 90),
    _ctx("architect_current_section", "current_section", DYNAMIC_CONTEXT, 10),
    _ctx("architect_section_index", "section_index", DYNAMIC_CONTEXT, 20),
    _ctx("architect_total_sections", "total_sections", DYNAMIC_CONTEXT, 30),
    _ctx("architect_target_node_count", "target_node_count", DYNAMIC_CONTEXT, 40),
    _ctx("architect_graph_summary", "graph_summary", DYNAMIC_CONTEXT, 50),
    _ctx("architect_recent_section_detail", "recent_section_detail", DYNAMIC_CONTEXT, 60),
    _ctx("architect_lorebook_matched", "lorebook_matched", DYNAMIC_CONTEXT, 70),
    _text("architect_output_core", "Output Contract", OUTPUT, _texts.ARCHITECT_OUTPUT),
)

_DIRECTOR = (
    _text("director_role_core", "Core Role", ROLE, _texts.DIRECTOR_ROLE),
    _text("director_task_core", "Turn Task", TASK, _texts.DIRECTOR_TASK),
    _ctx("director_lorebook_base", "lorebook_base", STATIC_CONTEXT, 10),
    _ctx("director_player", "player", STATIC_CONTEXT, 20, REQ),
    _ctx("director_current_cast", "current_cast", STATIC_CONTEXT, 30, REQ),
    _ctx("director_current_node", "current_node", STATIC_CONTEXT, 40, REQ),
    _ctx("director_player_state_schema", "player_state_schema", STATIC_CONTEXT, 50),
    _ctx("director_lorebook_matched", "lorebook_matched", DYNAMIC_CONTEXT, 10),
    _ctx("director_world_state", "world_state", DYNAMIC_CONTEXT, 20, REQ),
    _ctx("director_shared_history", "shared_history", DYNAMIC_CONTEXT, 30, REQ),
    _text("director_output_core", "Output Contract", OUTPUT, _texts.DIRECTOR_OUTPUT),
)

_ACTOR = (
    _text("actor_role_core", "Core Role", ROLE, _texts.ACTOR_ROLE),
    _text("actor_task_core", "Performance Task", TASK, _texts.ACTOR_TASK),
    _ctx("actor_lorebook_base", "lorebook_base", STATIC_CONTEXT, 10),
    _ctx("actor_player", "player", STATIC_CONTEXT, 20, REQ),
    _ctx("actor_current_cast", "current_cast", STATIC_CONTEXT, 30, REQ),
    _ctx("actor_current_node", "current_node", STATIC_CONTEXT, 40, REQ),
    _ctx("actor_lorebook_matched", "lorebook_matched", DYNAMIC_CONTEXT, 10),
    _ctx("actor_world_state", "world_state", DYNAMIC_CONTEXT, 20, REQ),
    _ctx("actor_shared_history", "shared_history", DYNAMIC_CONTEXT, 30, REQ),
    _ctx("actor_private_memory", "private_memory", DYNAMIC_CONTEXT, 40),
    _ctx("actor_purpose", "actor_purpose", DYNAMIC_CONTEXT, 50, REQ),
    _text("actor_output_core", "Output Contract", OUTPUT, _texts.ACTOR_OUTPUT),
)

_NARRATOR = (
    _text("narrator_role_core", "Core Role", ROLE, _texts.NARRATOR_ROLE),
    _text("narrator_task_core", "Narration Task", TASK, _texts.NARRATOR_TASK),
    _ctx("narrator_lorebook_base", "lorebook_base", STATIC_CONTEXT, 10),
    _ctx("narrator_player", "player", STATIC_CONTEXT, 20, REQ),
    _ctx("narrator_previous_node", "previous_node", STATIC_CONTEXT, 30),
    _ctx("narrator_current_node", "current_node", STATIC_CONTEXT, 40, REQ),
    _ctx("narrator_previous_cast", "previous_cast", STATIC_CONTEXT, 50),
    _ctx("narrator_current_cast", "current_cast", STATIC_CONTEXT, 60, REQ),
    _ctx("narrator_player_state_schema", "player_state_schema", STATIC_CONTEXT, 70),
    _ctx("narrator_purpose", "narrator_purpose", STATIC_CONTEXT, 80, REQ),
    _ctx("narrator_lorebook_matched", "lorebook_matched", DYNAMIC_CONTEXT, 10),
    _ctx("narrator_world_state", "world_state", DYNAMIC_CONTEXT, 20, REQ),
    _ctx("narrator_shared_history", "shared_history", DYNAMIC_CONTEXT, 30, REQ),
    _text("narrator_output_core", "Output Contract", OUTPUT, _texts.NARRATOR_OUTPUT),
)

_KEEPER = (
    _text("keeper_role_core", "Core Role", ROLE, _texts.KEEPER_ROLE),
    _text("keeper_task_core", "State Task", TASK, _texts.KEEPER_TASK),
    _ctx("keeper_lorebook_base", "lorebook_base", STATIC_CONTEXT, 10),
    _ctx("keeper_player", "player", STATIC_CONTEXT, 20, REQ),
    _ctx("keeper_previous_node", "previous_node", STATIC_CONTEXT, 30),
    _ctx("keeper_current_node", "current_node", STATIC_CONTEXT, 40, REQ),
    _ctx("keeper_previous_cast", "previous_cast", STATIC_CONTEXT, 50),
    _ctx("keeper_current_cast", "current_cast", STATIC_CONTEXT, 60, REQ),
    _ctx("keeper_player_state_schema", "player_state_schema", STATIC_CONTEXT, 70),
    _ctx("keeper_phase", "keeper_phase", STATIC_CONTEXT, 80, REQ),
    _ctx("keeper_node_change", "node_change", STATIC_CONTEXT, 90),
    _ctx("keeper_progression_hints", "progression_hints", STATIC_CONTEXT, 100),
    _ctx("keeper_lorebook_matched", "lorebook_matched", DYNAMIC_CONTEXT, 10),
    _ctx("keeper_world_state", "world_state", DYNAMIC_CONTEXT, 20, REQ),
    _ctx("keeper_player_input", "player_input", DYNAMIC_CONTEXT, 30, REQ),
    _ctx("keeper_completed_beats", "completed_beats", DYNAMIC_CONTEXT, 50),
    _text("keeper_output_core", "Output Contract", OUTPUT, _texts.KEEPER_OUTPUT),
)

_REPLYER = (
    _text("replyer_role_core", "Core Role", ROLE, _texts.REPLYER_ROLE),
    _text("replyer_task_core", "Reply Task", TASK, _texts.REPLYER_TASK),
    _ctx("replyer_lorebook_base", "lorebook_base", STATIC_CONTEXT, 10),
    _ctx("replyer_player", "player", STATIC_CONTEXT, 20, REQ),
    _ctx("replyer_limit", "reply_limit", STATIC_CONTEXT, 30, REQ),
    _ctx("replyer_current_cast", "current_cast", STATIC_CONTEXT, 40, REQ),
    _ctx("replyer_current_node", "current_node", STATIC_CONTEXT, 50, REQ),
    _ctx("replyer_player_state_schema", "player_state_schema", STATIC_CONTEXT, 60),
    _ctx("replyer_world_state", "world_state", DYNAMIC_CONTEXT, 10, REQ),
    _ctx("replyer_session_history", "session_history", DYNAMIC_CONTEXT, 20, REQ),
    _ctx("replyer_lorebook_matched", "lorebook_matched", DYNAMIC_CONTEXT, 30),
    _text("replyer_output_core", "Output Contract", OUTPUT, _texts.REPLYER_OUTPUT),
)

_ENTRIES: dict[Agent, tuple[BuiltInEntry, ...]] = {
    Agent.PLANNER: _PLANNER,
    Agent.ARCHITECT: _ARCHITECT,
    Agent.DIRECTOR: _DIRECTOR,
    Agent.ACTOR: _ACTOR,
    Agent.NARRATOR: _NARRATOR,
    Agent.KEEPER: _KEEPER,
    Agent.REPLYER: _REPLYER,
}

OBSOLETE_ENTRY_IDS: dict[Agent, frozenset[str]] = {
    Agent.DIRECTOR: frozenset({"director_player_input"}),
    Agent.KEEPER: frozenset({"keeper_shared_history"}),
}
"""Built-in ids of earlier catalogues; normalization drops them silently (PROTOCOL §6.5 step 3)."""


def built_in_entries(agent: Agent) -> tuple[BuiltInEntry, ...]:
    """The agent's built-in entries, in catalogue order."""
    return _ENTRIES[agent]


def built_in_entry(agent: Agent, entry_id: str) -> BuiltInEntry | None:
    return next((entry for entry in _ENTRIES[agent] if entry.entry_id == entry_id), None)


def is_obsolete_entry(agent: Agent, entry_id: str) -> bool:
    return entry_id in OBSOLETE_ENTRY_IDS.get(agent, frozenset())


# -- Architect mode injections -----------------------------------------------------------


@attrs.frozen
class SyntheticEntry:
    """A text entry injected for one Architect mode; never stored in a preset."""

    entry_id: str
    display_name: str
    module_id: str
    text: str


SYNTHETIC_ENTRY_PREFIX = "__injected_"

_SYNTHETIC: dict[ArchitectMode, tuple[SyntheticEntry, ...]] = {
    ArchitectMode.GRAPH: (
        SyntheticEntry(
            "__injected_architect_graph_output_contract",
            "Graph Output Contract",
            OUTPUT,
            _texts.ARCHITECT_GRAPH_OUTPUT,
        ),
    ),
    ArchitectMode.DRAFT_INIT: (
        SyntheticEntry(
            "__injected_architect_draft_init_task", "Draft Start Task", TASK, _texts.ARCHITECT_DRAFT_INIT_TASK
        ),
        SyntheticEntry(
            "__injected_architect_draft_init_output_contract",
            "Draft Start Output Contract",
            OUTPUT,
            _texts.ARCHITECT_DRAFT_INIT_OUTPUT,
        ),
    ),
    ArchitectMode.DRAFT_CONTINUE: (
        SyntheticEntry(
            "__injected_architect_draft_continue_task",
            "Draft Continuation Task",
            TASK,
            _texts.ARCHITECT_DRAFT_CONTINUE_TASK,
        ),
        SyntheticEntry(
            "__injected_architect_draft_continue_output_contract",
            "Draft Continuation Output Contract",
            OUTPUT,
            _texts.ARCHITECT_DRAFT_CONTINUE_OUTPUT,
        ),
    ),
}


def synthetic_entries(mode: ArchitectMode) -> tuple[SyntheticEntry, ...]:
    """The entries an Architect mode injects, in injection order."""
    return _SYNTHETIC[mode]


# -- allowed context keys (PROTOCOL §10.9) -----------------------------------------------

_GRAPH_KEYS = frozenset(
    {
        "story_concept",
        "lorebook_base",
        "planned_story",
        "available_characters",
        "world_state_schema_seed",
        "player_state_schema_seed",
        "lorebook_matched",
    }
)
_ARCHITECT_KEYS: dict[ArchitectMode, frozenset[str]] = {
    ArchitectMode.GRAPH: _GRAPH_KEYS,
    ArchitectMode.DRAFT_INIT: _GRAPH_KEYS
    | {
        "current_section",
        "section_index",
        "total_sections",
        "target_node_count",
        "graph_summary",
        "recent_section_detail",
    },
    ArchitectMode.DRAFT_CONTINUE: frozenset(
        {
            "story_concept",
            "lorebook_base",
            "available_characters",
            "world_state_schema",
            "player_state_schema",
            "section_summaries",
            "current_section",
            "section_index",
            "total_sections",
            "target_node_count",
            "graph_summary",
            "recent_section_detail",
            "lorebook_matched",
        }
    ),
}
_EXTRA_KEYS: dict[Agent, frozenset[str]] = {Agent.DIRECTOR: frozenset({"transitioned_this_turn"})}


def allowed_context_keys(agent: Agent, mode: ArchitectMode | None = None) -> frozenset[str]:
    """Keys whose context references contribute for this agent (the Architect: for this mode).

    Raises ValueError when the Architect is asked for without a mode.
    """
    if agent is Agent.ARCHITECT:
        if mode is None:
            raise ValueError("the Architect's context keys depend on its mode")
        return _ARCHITECT_KEYS[mode]
    own = {entry.context_key for entry in _ENTRIES[agent] if entry.context_key is not None}
    return frozenset(own) | _EXTRA_KEYS.get(agent, frozenset())
