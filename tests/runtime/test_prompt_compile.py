"""Prompt compilation and rendering (PROTOCOL §11.1) and the preview payload (§6.7)."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.codec import CODEC
from runtime.errors import InvalidParams, NotFound
from runtime.model.apis import Agent
from runtime.model.presets import AgentConfig, AgentSpec, ArchitectMode, EntrySource, PreviewKind
from runtime.presets import (
    ActorCharacterBlock,
    build_preview,
    chat_messages,
    check_architect_mode,
    compile_prompt,
    compile_template,
    normalize_agent,
    with_character_block,
)


def config(agent: Agent, **fields: Any) -> AgentConfig:
    return normalize_agent(agent, CODEC.structure(fields, AgentSpec))


def text_entry(entry_id: str, text: str, order: int = 0, enabled: bool = True) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "display_name": entry_id,
        "kind": "custom_text",
        "text": text,
        "order": order,
        "enabled": enabled,
    }


def disabled(entry_id: str, kind: str = "built_in_context_ref") -> dict[str, Any]:
    return {"entry_id": entry_id, "display_name": "", "kind": kind, "enabled": False, "order": 10}


PLANNER = config(
    Agent.PLANNER,
    modules=[
        {"module_id": "role", "entries": [text_entry("extra_role", "  Stay brief.  ", order=20)]},
        {"module_id": "dynamic_context", "entries": [disabled("planner_lorebook_matched")]},
    ],
)


def test_runtime_compile_renders_headings_and_blank_line_joins() -> None:
    prompt = compile_prompt(
        PLANNER,
        Agent.PLANNER,
        {
            "story_concept": "  A flooded port.  ",
            "lorebook_base": "   ",
            "available_characters": "- mira | Mira",
        },
    )
    messages = chat_messages(prompt)
    role_text = PLANNER.module("role").entries[0].text.strip()  # type: ignore[union-attr]
    assert messages.system.startswith(f"Role:\n{role_text}\n\nStay brief.\n\nTask:\n")
    assert "\n\nOutput:\nOutput contract for the Planner:\n" in messages.system
    # every value under its entry's title (a Dramaturg change of §11.1 step 3)
    assert messages.user == "Static Context:\nStory Concept:\nA flooded port.\n\nAvailable Characters:\n- mira | Mira"
    assert prompt.unresolved_context_keys() == ["lorebook_base"]


def test_module_whose_references_all_vanish_is_dropped() -> None:
    prompt = compile_prompt(PLANNER, Agent.PLANNER, {})
    assert chat_messages(prompt).user == ""
    assert prompt.unresolved_context_keys() == ["available_characters", "lorebook_base", "story_concept"]
    assert prompt.module("static_context") is None


def test_disabled_entries_and_blank_texts_contribute_nothing() -> None:
    agent_config = config(
        Agent.REPLYER,
        modules=[
            {
                "module_id": "task",
                "entries": [text_entry("off", "hidden", enabled=False), disabled("replyer_task_core", "built_in_text")],
            }
        ],
    )
    task = compile_template(agent_config, Agent.REPLYER).module("task")
    assert task is not None
    # the required core entry stays enabled even when the input disables it
    assert [entry.entry_id for entry in task.entries] == ["replyer_task_core"]


def test_template_compile_shows_placeholders_and_lists_keys() -> None:
    prompt = compile_template(PLANNER, Agent.PLANNER)
    assert chat_messages(prompt).user == (
        "Static Context:\nStory Concept:\n<context:story_concept>\n\nLorebook Base:\n<context:lorebook_base>"
        "\n\nAvailable Characters:\n<context:available_characters>"
    )
    assert prompt.unresolved_context_keys() == ["available_characters", "lorebook_base", "story_concept"]


def test_architect_mode_filters_keys_and_injects_synthetic_entries_after_the_highest_order() -> None:
    architect = config(Agent.ARCHITECT, modules=[{"module_id": "task", "entries": [text_entry("t", "Extra.", 35)]}])
    prompt = compile_template(architect, Agent.ARCHITECT, ArchitectMode.DRAFT_CONTINUE)
    keys = prompt.unresolved_context_keys()
    assert "planned_story" not in keys and "world_state_schema_seed" not in keys
    assert "section_summaries" in keys and "world_state_schema" in keys
    task = prompt.module("task")
    assert task is not None
    assert [(e.entry_id, e.order, e.source) for e in task.entries] == [
        ("architect_task_core", 10, EntrySource.PRESET),
        ("t", 35, EntrySource.PRESET),
        ("__injected_architect_draft_continue_task", 45, EntrySource.SYNTHETIC),
    ]
    output = prompt.module("output")
    assert output is not None and output.entries[-1].order == 20
    assert output.entries[-1].compiled_text.startswith("Draft continuation output shape:")
    graph = compile_template(architect, Agent.ARCHITECT, ArchitectMode.GRAPH)
    assert [e.entry_id for e in graph.module("task").entries] == ["architect_task_core", "t"]  # type: ignore[union-attr]


def test_compiling_checks_the_architect_mode() -> None:
    with pytest.raises(ValueError):
        compile_template(config(Agent.ARCHITECT), Agent.ARCHITECT)
    with pytest.raises(ValueError):
        compile_template(config(Agent.ACTOR), Agent.ACTOR, ArchitectMode.GRAPH)


def test_actor_character_block_follows_the_system_message() -> None:
    block = ActorCharacterBlock("mira", "Mira", "curious", "quick", 'trust:"int" default=0', "Never lie.")
    messages = with_character_block(chat_messages(compile_template(config(Agent.ACTOR), Agent.ACTOR)), block)
    assert messages.system.endswith(
        "\n\nCHARACTER_ID:\nmira\n\nCHARACTER_NAME:\nMira\n\nCHARACTER_PERSONALITY:\ncurious\n\n"
        'CHARACTER_STYLE:\nquick\n\nCHARACTER_STATE_SCHEMA:\ntrust:"int" default=0\n\n'
        "CHARACTER_SYSTEM_PROMPT:\nNever lie."
    )
    assert "Output contract for the Actor:" in messages.system


def test_full_preview_payload_shape() -> None:
    prompt = compile_template(PLANNER, Agent.PLANNER)
    preview = CODEC.unstructure(build_preview(preset_id="p", config=PLANNER, prompt=prompt, kind=PreviewKind.TEMPLATE))
    assert preview["message_role"] == "full" and "module_id" not in preview and "architect_mode" not in preview
    assert [message["role"] for message in preview["messages"]] == ["system", "user"]
    assert [m["module_id"] for m in preview["messages"][0]["modules"]] == ["role", "task", "output"]
    assert preview["messages"][0]["modules"][0]["entries"][1] == {
        "entry_id": "extra_role",
        "display_name": "extra_role",
        "kind": "custom_text",
        "order": 20,
        "source": "preset",
        "compiled_text": "Stay brief.",
    }
    assert preview["unresolved_context_keys"] == ["available_characters", "lorebook_base", "story_concept"]


def test_module_preview_and_its_errors() -> None:
    prompt = compile_template(PLANNER, Agent.PLANNER)
    preview = build_preview(
        preset_id="p", config=PLANNER, prompt=prompt, kind=PreviewKind.TEMPLATE, module_id="static_context"
    )
    assert preview.message_role.value == "user" and preview.module_id == "static_context"
    assert len(preview.messages) == 1 and preview.messages[0].modules[0].module_id == "static_context"
    with pytest.raises(NotFound, match="preset 'p' does not contain module 'nope' for agent 'planner'"):
        build_preview(preset_id="p", config=PLANNER, prompt=prompt, kind=PreviewKind.TEMPLATE, module_id="nope")
    with pytest.raises(InvalidParams, match="invalid prompt preview: module 'dynamic_context' is not available"):
        build_preview(
            preset_id="p", config=PLANNER, prompt=prompt, kind=PreviewKind.TEMPLATE, module_id="dynamic_context"
        )


def test_preview_mode_rules() -> None:
    with pytest.raises(InvalidParams, match=r"^invalid prompt preview: architect_mode is required"):
        check_architect_mode(Agent.ARCHITECT, None)
    with pytest.raises(InvalidParams, match=r"^invalid prompt preview: architect_mode is only allowed"):
        check_architect_mode(Agent.KEEPER, ArchitectMode.GRAPH)
    check_architect_mode(Agent.ARCHITECT, ArchitectMode.DRAFT_INIT)
