"""Preset normalization, the compact form and the built-in catalogue (PROTOCOL §6.5, §10)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.model.apis import Agent
from runtime.model.presets import AgentConfig, AgentSpec, ArchitectMode, EntryKind, MessageRole, PresetEntry
from runtime.presets import (
    EXPECTED_SHAPE,
    RepairTarget,
    allowed_context_keys,
    built_in_entries,
    compact_agent,
    normalize_agent,
    repair_system_prompt,
    repair_user_message,
    synthetic_entries,
)


def spec(**fields: Any) -> AgentSpec:
    return CODEC.structure(fields, AgentSpec)


def normalize(agent: Agent = Agent.DIRECTOR, **fields: Any) -> AgentConfig:
    return normalize_agent(agent, spec(**fields))


def entries_by_id(config: AgentConfig) -> dict[str, tuple[str, PresetEntry]]:
    return {entry.entry_id: (module.module_id, entry) for module in config.modules for entry in module.entries}


def invalid(agent: Agent = Agent.DIRECTOR, **fields: Any) -> str:
    with pytest.raises(InvalidParams) as caught:
        normalize(agent, **fields)
    return caught.value.message


def custom(entry_id: str, text: str = "Be terse.", **fields: Any) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "display_name": fields.pop("display_name", entry_id),
        "kind": "custom_text",
        "text": text,
        **fields,
    }


def built_in(entry_id: str, kind: str = "built_in_text", **fields: Any) -> dict[str, Any]:
    return {"entry_id": entry_id, "display_name": fields.pop("display_name", ""), "kind": kind, **fields}


# -- catalogue ---------------------------------------------------------------------------


def test_empty_spec_expands_to_the_five_modules_with_every_built_in_entry() -> None:
    config = normalize(Agent.DIRECTOR)
    assert [(m.module_id, m.display_name, m.message_role, m.order) for m in config.modules] == [
        ("role", "Role", MessageRole.SYSTEM, 10),
        ("task", "Task", MessageRole.SYSTEM, 20),
        ("static_context", "Static Context", MessageRole.USER, 30),
        ("dynamic_context", "Dynamic Context", MessageRole.USER, 40),
        ("output", "Output", MessageRole.SYSTEM, 50),
    ]
    static = config.module("static_context")
    assert static is not None
    assert [(e.entry_id, e.display_name, e.order, e.required, e.context_key) for e in static.entries] == [
        ("director_lorebook_base", "Lorebook Base", 10, False, "lorebook_base"),
        ("director_player", "Player", 20, True, "player"),
        ("director_current_cast", "Current Cast", 30, True, "current_cast"),
        ("director_current_node", "Current Node", 40, True, "current_node"),
        ("director_player_state_schema", "Player State Schema", 50, False, "player_state_schema"),
    ]
    assert all(entry.text is None for entry in static.entries)


@pytest.mark.parametrize(
    ("agent", "count"),
    [
        (Agent.PLANNER, 7),
        (Agent.ARCHITECT, 19),
        (Agent.DIRECTOR, 11),
        (Agent.ACTOR, 12),
        (Agent.NARRATOR, 14),
        (Agent.KEEPER, 17),
        (Agent.REPLYER, 12),
    ],
)
def test_each_agent_has_its_catalogue_entries(agent: Agent, count: int) -> None:
    entries = built_in_entries(agent)
    assert len(entries) == count
    assert len({entry.entry_id for entry in entries}) == count
    for entry in entries:
        if entry.kind is EntryKind.BUILT_IN_TEXT:
            assert entry.required and entry.order == 10 and entry.text and entry.context_key is None
        else:
            assert entry.context_key and entry.text is None


def test_catalogue_spot_checks_match_the_tables() -> None:
    by_id = {e.entry_id: e for agent in Agent for e in built_in_entries(agent)}
    assert (by_id["keeper_completed_beats"].order, by_id["keeper_completed_beats"].module_id) == (50, "dynamic_context")
    assert by_id["keeper_node_change"].context_key == "node_change"
    assert by_id["keeper_node_change"].display_name == "Node Change"
    assert by_id["replyer_limit"].display_name == "Reply Limit" and by_id["replyer_limit"].required
    assert by_id["architect_task_core"].display_name == "Architecture Task"
    assert by_id["narrator_purpose"].module_id == "static_context" and by_id["narrator_purpose"].order == 80
    assert by_id["actor_purpose"].module_id == "dynamic_context" and by_id["actor_purpose"].required
    assert by_id["architect_planned_story"].required is False


@pytest.mark.parametrize("agent", list(Agent))
def test_output_contract_opens_with_the_agent_marker(agent: Agent) -> None:
    output = next(e for e in built_in_entries(agent) if e.entry_id == f"{agent.value}_output_core")
    assert output.text is not None
    assert output.text.splitlines()[0] == f"Output contract for the {agent.value.capitalize()}:"


def test_contracts_spell_out_tags_and_pascal_case_beats() -> None:
    texts = {e.entry_id: e.text or "" for agent in Agent for e in built_in_entries(agent)}
    for tag in ("<thought>", "<action>", "<dialogue>", "</dialogue>"):
        assert tag in texts["actor_output_core"]
    for word in (
        '"Narrator"',
        '"Actor"',
        "DescribeTransition",
        "DescribeScene",
        "DescribeResult",
        "AdvanceGoal",
        "ReactToPlayer",
        "CommentOnScene",
        "role_actions",
        "create_and_enter",
    ):
        assert word in texts["director_output_core"]
    assert '"ops"' in texts["keeper_output_core"] and "SetCurrentNode" in texts["keeper_output_core"]
    assert '"replies"' in texts["replyer_output_core"]


def test_architect_modes_inject_marked_synthetic_entries() -> None:
    firsts = {
        entry.entry_id: (entry.module_id, entry.text.splitlines()[0])
        for mode in ArchitectMode
        for entry in synthetic_entries(mode)
    }
    assert firsts == {
        "__injected_architect_graph_output_contract": ("output", "Graph mode output shape:"),
        "__injected_architect_draft_init_task": ("task", firsts["__injected_architect_draft_init_task"][1]),
        "__injected_architect_draft_init_output_contract": ("output", "Draft start output shape:"),
        "__injected_architect_draft_continue_task": ("task", firsts["__injected_architect_draft_continue_task"][1]),
        "__injected_architect_draft_continue_output_contract": ("output", "Draft continuation output shape:"),
    }


def test_allowed_context_keys_per_agent_and_mode() -> None:
    assert "transitioned_this_turn" in allowed_context_keys(Agent.DIRECTOR)
    assert "shared_history" not in allowed_context_keys(Agent.KEEPER)
    assert "planned_story" not in allowed_context_keys(Agent.ARCHITECT, ArchitectMode.DRAFT_CONTINUE)
    assert "world_state_schema" not in allowed_context_keys(Agent.ARCHITECT, ArchitectMode.DRAFT_INIT)
    assert "graph_summary" in allowed_context_keys(Agent.ARCHITECT, ArchitectMode.DRAFT_INIT)
    assert "graph_summary" not in allowed_context_keys(Agent.ARCHITECT, ArchitectMode.GRAPH)
    with pytest.raises(ValueError):
        allowed_context_keys(Agent.ARCHITECT)


def test_repair_material_covers_every_target_with_valid_json_skeletons() -> None:
    for target in RepairTarget:
        json.loads(EXPECTED_SHAPE[target])
    assert set(json.loads(EXPECTED_SHAPE[RepairTarget.DRAFT_CONTINUE])) == {
        "nodes",
        "transition_patches",
        "section_summary",
    }
    assert repair_system_prompt(RepairTarget.FULL_GRAPH) != repair_system_prompt(RepairTarget.REPLIES)
    message = repair_user_message(RepairTarget.STATE_UPDATE, "bad op", "{}")
    assert message.startswith("TARGET:\nstate_update\n\nPARSER_ERROR:\nbad op\n\nEXPECTED_SHAPE:\n{")
    assert message.endswith("\n\nRAW_OUTPUT:\n{}")


# -- normalization -----------------------------------------------------------------------


def test_scalars_and_extra_are_kept() -> None:
    config = normalize(temperature=0.65, max_tokens=8192, director_shared_history_limit=10, extra={"a": [1]})
    assert (config.temperature, config.max_tokens, config.director_shared_history_limit) == (0.65, 8192, 10)
    assert config.extra == {"a": [1]} and config.actor_shared_history_limit is None


def test_negative_limits_are_refused() -> None:
    assert invalid(max_tokens=-1) == "invalid preset: agent 'director' max_tokens must not be negative, got -1"


def test_module_metadata_overrides_defaults_and_blank_name_falls_back() -> None:
    config = normalize(modules=[{"module_id": " output ", "display_name": "  ", "message_role": "user", "order": 5}])
    output = config.modules[0]
    assert (output.module_id, output.display_name, output.message_role, output.order) == (
        "output",
        "Output",
        MessageRole.USER,
        5,
    )
    assert [entry.entry_id for entry in output.entries] == ["director_output_core"]


def test_custom_module_defaults_and_module_sorting() -> None:
    config = normalize(
        modules=[{"module_id": "zz_notes", "entries": [custom("note")]}, {"module_id": "aa_notes", "order": 1000}]
    )
    assert [m.module_id for m in config.modules][-2:] == ["aa_notes", "zz_notes"]
    notes = config.modules[-1]
    assert (notes.display_name, notes.message_role, notes.order) == ("zz_notes", MessageRole.USER, 1000)


def test_blank_and_duplicate_module_ids_are_refused() -> None:
    assert (
        invalid(modules=[{"module_id": "  "}])
        == "invalid preset: agent 'director' has a module with an empty module_id"
    )
    assert invalid(modules=[{"module_id": "task"}, {"module_id": " task"}]) == (
        "invalid preset: agent 'director' contains module 'task' more than once"
    )


def test_entry_ids_are_trimmed_and_unique_across_modules() -> None:
    config = normalize(modules=[{"module_id": "task", "entries": [custom("  tip  ")]}])
    assert entries_by_id(config)["tip"][0] == "task"
    message = invalid(
        modules=[{"module_id": "task", "entries": [custom("tip")]}, {"module_id": "role", "entries": [custom("tip ")]}]
    )
    assert message == "invalid preset: agent 'director' contains entry 'tip' more than once"
    assert invalid(modules=[{"module_id": "task", "entries": [custom(" ")]}]) == (
        "invalid preset: agent 'director' has an entry with an empty entry_id"
    )


def test_custom_entries_need_text_and_lose_required_and_context_key() -> None:
    assert invalid(modules=[{"module_id": "task", "entries": [custom("tip", text="  ")]}]) == (
        "invalid preset: custom preset entry 'tip' must contain text"
    )
    config = normalize(
        modules=[
            {
                "module_id": "task",
                "entries": [
                    custom("tip", display_name=" ", required=True, context_key="player", enabled=False, order=3)
                ],
            }
        ]
    )
    entry = entries_by_id(config)["tip"][1]
    assert entry == PresetEntry(
        "tip", "tip", EntryKind.CUSTOM_TEXT, enabled=False, order=3, required=False, text="Be terse.", context_key=None
    )


def test_unknown_or_mismatched_built_in_entries_are_refused() -> None:
    assert invalid(modules=[{"module_id": "task", "entries": [built_in("director_magic")]}]) == (
        "invalid preset: unknown built-in preset entry 'director_magic' of kind 'built_in_text' for agent 'director'"
    )
    assert "unknown built-in preset entry 'director_player'" in invalid(
        modules=[{"module_id": "task", "entries": [built_in("director_player", "built_in_text")]}]
    )
    assert "unknown built-in preset entry 'planner_role_core'" in invalid(
        modules=[{"module_id": "role", "entries": [built_in("planner_role_core")]}]
    )


def test_built_in_entries_reset_text_and_context_key_and_force_required_enabled() -> None:
    config = normalize(
        modules=[
            {
                "module_id": "static_context",
                "entries": [
                    built_in(
                        "director_player",
                        "built_in_context_ref",
                        context_key="world_state",
                        text="x",
                        enabled=False,
                        required=False,
                        order=7,
                        display_name="Who",
                    ),
                    built_in("director_lorebook_base", "built_in_context_ref", enabled=False, required=True, order=99),
                ],
            }
        ]
    )
    player = entries_by_id(config)["director_player"][1]
    assert player == PresetEntry(
        "director_player",
        "Who",
        EntryKind.BUILT_IN_CONTEXT_REF,
        enabled=True,
        order=7,
        required=True,
        text=None,
        context_key="player",
    )
    lore = entries_by_id(config)["director_lorebook_base"][1]
    assert (lore.enabled, lore.required, lore.order, lore.display_name) == (False, False, 99, "Lorebook Base")


def test_built_in_entry_may_move_to_another_module_and_takes_input_order() -> None:
    config = normalize(modules=[{"module_id": "role", "entries": [built_in("director_output_core")]}])
    module_id, entry = entries_by_id(config)["director_output_core"]
    assert module_id == "role" and entry.order == 0 and entry.display_name == "Output Contract"
    assert config.module("output").entries == []  # type: ignore[union-attr]


def test_obsolete_ids_are_dropped_silently_only_for_their_agent() -> None:
    director = normalize(
        Agent.DIRECTOR,
        modules=[
            {"module_id": "dynamic_context", "entries": [built_in("director_player_input", "built_in_context_ref")]}
        ],
    )
    assert "director_player_input" not in entries_by_id(director)
    keeper = normalize(
        Agent.KEEPER, modules=[{"module_id": "dynamic_context", "entries": [custom("keeper_shared_history")]}]
    )
    assert "keeper_shared_history" not in entries_by_id(keeper)
    assert "unknown built-in preset entry 'keeper_shared_history'" in invalid(
        Agent.DIRECTOR, modules=[{"module_id": "task", "entries": [built_in("keeper_shared_history")]}]
    )


def test_unmentioned_built_ins_are_appended_and_entries_sorted_by_order_then_id() -> None:
    config = normalize(
        modules=[
            {
                "module_id": "static_context",
                "entries": [
                    custom("b_note", order=20),
                    custom("a_note", order=20),
                    built_in("director_current_node", "built_in_context_ref", order=1, display_name="Node"),
                ],
            }
        ]
    )
    static = config.module("static_context")
    assert static is not None
    assert [(e.entry_id, e.order) for e in static.entries] == [
        ("director_current_node", 1),
        ("director_lorebook_base", 10),
        ("a_note", 20),
        ("b_note", 20),
        ("director_player", 20),
        ("director_current_cast", 30),
        ("director_player_state_schema", 50),
    ]


def test_normalization_is_idempotent_over_the_expanded_form() -> None:
    config = normalize(modules=[{"module_id": "extra", "order": 5, "entries": [custom("x")]}])
    again = normalize(**CODEC.unstructure(config))
    assert again == config


# -- compact form ------------------------------------------------------------------------


def test_compact_form_of_defaults_is_just_the_scalars() -> None:
    config = normalize(temperature=0.65, max_tokens=8192, director_shared_history_limit=10)
    assert CODEC.unstructure(compact_agent(Agent.DIRECTOR, config)) == {
        "temperature": 0.65,
        "max_tokens": 8192,
        "director_shared_history_limit": 10,
        "modules": [],
    }


def test_compact_form_keeps_only_changes_without_texts() -> None:
    config = normalize(
        modules=[
            {"module_id": "task", "entries": [custom("tip", order=30)]},
            {"module_id": "static_context", "display_name": "Facts"},
            {
                "module_id": "dynamic_context",
                "entries": [built_in("director_lorebook_matched", "built_in_context_ref", enabled=False, order=10)],
            },
            {
                "module_id": "role",
                "entries": [built_in("director_output_core", order=10, display_name="Output Contract")],
            },
        ]
    )
    compact = CODEC.unstructure(compact_agent(Agent.DIRECTOR, config))
    assert compact["modules"] == [
        {
            "module_id": "role",
            "display_name": "Role",
            "message_role": "system",
            "order": 10,
            "entries": [
                {
                    "entry_id": "director_output_core",
                    "display_name": "Output Contract",
                    "kind": "built_in_text",
                    "enabled": True,
                    "order": 10,
                    "required": False,
                }
            ],
        },
        {
            "module_id": "task",
            "display_name": "Task",
            "message_role": "system",
            "order": 20,
            "entries": [
                {
                    "entry_id": "tip",
                    "display_name": "tip",
                    "kind": "custom_text",
                    "enabled": True,
                    "order": 30,
                    "required": False,
                    "text": "Be terse.",
                }
            ],
        },
        {"module_id": "static_context", "display_name": "Facts", "message_role": "user", "order": 30, "entries": []},
        {
            "module_id": "dynamic_context",
            "display_name": "Dynamic Context",
            "message_role": "user",
            "order": 40,
            "entries": [
                {
                    "entry_id": "director_lorebook_matched",
                    "display_name": "Lorebook Matched",
                    "kind": "built_in_context_ref",
                    "enabled": False,
                    "order": 10,
                    "required": False,
                }
            ],
        },
    ]


@pytest.mark.parametrize("agent", list(Agent))
def test_expanding_the_compact_form_gives_back_the_expanded_form(agent: Agent) -> None:
    first = built_in_entries(agent)[2]
    config = normalize(
        agent,
        temperature=0.3,
        extra=[1, "x"],
        modules=[
            {
                "module_id": "custom",
                "display_name": "Custom",
                "message_role": "system",
                "order": 15,
                "entries": [custom("c1", order=-5), built_in(first.entry_id, first.kind.value, enabled=False, order=3)],
            },
            {"module_id": "output", "order": 60, "entries": [custom("c2", enabled=False)]},
            {"module_id": "empty_custom"},
        ],
    )
    assert normalize_agent(agent, compact_agent(agent, config)) == config
