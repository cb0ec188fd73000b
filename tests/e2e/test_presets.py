"""`preset.*`, `preset_entry.*` and `preset_preview.template` over HTTP against a real server."""

from __future__ import annotations

from typing import Any

from tests.support.server import RpcClient

AGENTS = ["planner", "architect", "director", "actor", "narrator", "keeper", "replyer"]


def web_client_agents() -> dict[str, dict[str, Any]]:
    """The reference web client's default template: `modules: []` plus settings (PROTOCOL §18.1)."""
    return {
        "planner": {"temperature": 0.55, "max_tokens": 8192, "modules": []},
        "architect": {"temperature": 0.6, "max_tokens": 8192, "modules": []},
        "director": {"temperature": 0.65, "max_tokens": 8192, "director_shared_history_limit": 10, "modules": []},
        "actor": {
            "temperature": 0.85,
            "max_tokens": 8192,
            "actor_shared_history_limit": 12,
            "actor_private_memory_limit": 4,
            "modules": [],
        },
        "narrator": {"temperature": 0.7, "max_tokens": 8192, "narrator_shared_history_limit": 6, "modules": []},
        "keeper": {"temperature": 0.3, "max_tokens": 8192, "modules": []},
        "replyer": {"temperature": 0.75, "max_tokens": 8192, "replyer_session_history_limit": 5, "modules": []},
    }


def preset(preset_id: str = "stage", **agents: dict[str, Any]) -> dict[str, Any]:
    return {"preset_id": preset_id, "display_name": "Stage", "agents": {**web_client_agents(), **agents}}


def ctx(entry_id: str, display_name: str, order: int, required: bool, key: str) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "display_name": display_name,
        "kind": "built_in_context_ref",
        "enabled": True,
        "order": order,
        "required": required,
        "context_key": key,
    }


def text_entry(entry_id: str, display_name: str, text_start: str) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "display_name": display_name,
        "kind": "built_in_text",
        "enabled": True,
        "order": 10,
        "required": True,
        "text": text_start,
    }


def without_texts(agent: dict[str, Any]) -> dict[str, Any]:
    """The agent with each text cut to its first line, so the shape can be compared exactly."""
    modules = [
        {
            **module,
            "entries": [
                {**entry, "text": entry["text"].splitlines()[0]} if "text" in entry else entry
                for entry in module["entries"]
            ],
        }
        for module in agent["modules"]
    ]
    return {**agent, "modules": modules}


async def test_web_client_style_create_returns_the_exact_expanded_form(rpc: RpcClient) -> None:
    created = await rpc.result("preset.create", preset())
    assert created["type"] == "preset" and created["preset_id"] == "stage" and created["display_name"] == "Stage"
    assert list(created["agents"]) == AGENTS
    director = without_texts(created["agents"]["director"])
    director_role_line = director["modules"][0]["entries"][0]["text"]
    assert director == {
        "temperature": 0.65,
        "max_tokens": 8192,
        "director_shared_history_limit": 10,
        "modules": [
            {
                "module_id": "role",
                "display_name": "Role",
                "message_role": "system",
                "order": 10,
                "entries": [text_entry("director_role_core", "Core Role", director_role_line)],
            },
            {
                "module_id": "task",
                "display_name": "Task",
                "message_role": "system",
                "order": 20,
                "entries": [
                    text_entry("director_task_core", "Turn Task", director["modules"][1]["entries"][0]["text"])
                ],
            },
            {
                "module_id": "static_context",
                "display_name": "Static Context",
                "message_role": "user",
                "order": 30,
                "entries": [
                    ctx("director_lorebook_base", "Lorebook Base", 10, False, "lorebook_base"),
                    ctx("director_player", "Player", 20, True, "player"),
                    ctx("director_current_cast", "Current Cast", 30, True, "current_cast"),
                    ctx("director_current_node", "Current Node", 40, True, "current_node"),
                    ctx("director_player_state_schema", "Player State Schema", 50, False, "player_state_schema"),
                ],
            },
            {
                "module_id": "dynamic_context",
                "display_name": "Dynamic Context",
                "message_role": "user",
                "order": 40,
                "entries": [
                    ctx("director_lorebook_matched", "Lorebook Matched", 10, False, "lorebook_matched"),
                    ctx("director_world_state", "World State", 20, True, "world_state"),
                    ctx("director_shared_history", "Shared History", 30, True, "shared_history"),
                ],
            },
            {
                "module_id": "output",
                "display_name": "Output",
                "message_role": "system",
                "order": 50,
                "entries": [text_entry("director_output_core", "Output Contract", "Output contract for the Director:")],
            },
        ],
    }
    fetched = await rpc.result("preset.get", {"preset_id": "stage"})
    assert fetched == created


async def test_unset_scalars_are_omitted_and_extra_is_echoed(rpc: RpcClient) -> None:
    created = await rpc.result("preset.create", preset(keeper={"extra": {"note": [1, None]}, "modules": []}))
    keeper = created["agents"]["keeper"]
    assert keeper["extra"] == {"note": [1, None]}
    assert not {"temperature", "max_tokens", "director_shared_history_limit"} & set(keeper)


async def test_ids_are_trimmed_and_blank_ids_refused(rpc: RpcClient) -> None:
    created = await rpc.result("preset.create", preset("  stage "))
    assert created["preset_id"] == "stage"
    assert (await rpc.result("preset.get", {"preset_id": " stage "}))["preset_id"] == "stage"
    error = await rpc.error("preset.create", preset("   "), expect_status=200)
    assert error == {"code": -32602, "message": "preset_id must not be empty"}
    error = await rpc.error("preset.get", {"preset_id": " "})
    assert error == {"code": -32602, "message": "preset_id must not be empty"}


async def test_duplicate_conflicts_and_unknown_is_not_found(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    error = await rpc.error("preset.create", preset())
    assert error == {"code": 40909, "message": "preset 'stage' already exists"}
    for method in ("preset.get", "preset.update", "preset.delete"):
        error = await rpc.error(method, {"preset_id": "ghost"})
        assert error == {"code": 40404, "message": "preset 'ghost' not found"}


async def test_agents_need_all_seven_keys(rpc: RpcClient) -> None:
    agents = web_client_agents()
    del agents["replyer"]
    envelope = await rpc.call(
        "preset.create", {"preset_id": "p", "display_name": "P", "agents": agents}, expect_status=400
    )
    assert envelope["error"] == {"code": -32602, "message": "params.agents.replyer: missing required field"}


async def test_bad_module_and_entry_fields_are_decode_errors(rpc: RpcClient) -> None:
    bad = preset(planner={"modules": [{"module_id": "role", "message_role": "assistant"}]})
    envelope = await rpc.call("preset.create", bad, expect_status=400)
    assert envelope["error"]["message"] == (
        'params.agents.planner.modules[0].message_role: expected one of system, user, got "assistant"'
    )


async def test_normalization_errors_are_invalid_preset_and_store_nothing(rpc: RpcClient) -> None:
    bad = preset(
        actor={
            "modules": [
                {
                    "module_id": "task",
                    "entries": [{"entry_id": "tip", "display_name": "Tip", "kind": "custom_text", "text": " "}],
                }
            ]
        }
    )
    error = await rpc.error("preset.create", bad, expect_status=200)
    assert error == {"code": -32602, "message": "invalid preset: custom preset entry 'tip' must contain text"}
    assert (await rpc.result("preset.list"))["presets"] == []


async def test_update_replaces_agents_and_keeps_omitted_fields(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    renamed = await rpc.result("preset.update", {"preset_id": "stage", "display_name": "Renamed"})
    assert renamed["display_name"] == "Renamed" and renamed["agents"]["director"]["temperature"] == 0.65
    agents = {agent: {"modules": []} for agent in AGENTS}
    agents["planner"] = {
        "temperature": 0.1,
        "modules": [
            {
                "module_id": "notes",
                "entries": [{"entry_id": "n1", "display_name": "", "kind": "custom_text", "text": "Keep it short."}],
            }
        ],
    }
    updated = await rpc.result("preset.update", {"preset_id": " stage ", "agents": agents})
    assert updated["display_name"] == "Renamed"
    assert "temperature" not in updated["agents"]["director"]
    notes = updated["agents"]["planner"]["modules"][-1]
    assert notes == {
        "module_id": "notes",
        "display_name": "notes",
        "message_role": "user",
        "order": 1000,
        "entries": [
            {
                "entry_id": "n1",
                "display_name": "n1",
                "kind": "custom_text",
                "enabled": True,
                "order": 0,
                "required": False,
                "text": "Keep it short.",
            }
        ],
    }
    assert await rpc.result("preset.get", {"preset_id": "stage"}) == updated


async def test_list_returns_sorted_summaries_without_texts(rpc: RpcClient) -> None:
    for preset_id in ("b", "a"):
        await rpc.result("preset.create", preset(preset_id))
    listed = await rpc.result("preset.list")
    assert listed["type"] == "presets_listed"
    assert [item["preset_id"] for item in listed["presets"]] == ["a", "b"]
    actor = listed["presets"][0]["agents"]["actor"]
    assert (actor["temperature"], actor["actor_shared_history_limit"], actor["actor_private_memory_limit"]) == (
        0.85,
        12,
        4,
    )
    assert actor["module_count"] == 5 and actor["entry_count"] == 12
    role = actor["modules"][0]
    assert role == {
        "module_id": "role",
        "display_name": "Role",
        "message_role": "system",
        "order": 10,
        "entry_count": 1,
        "entries": [
            {
                "entry_id": "actor_role_core",
                "display_name": "Core Role",
                "kind": "built_in_text",
                "enabled": True,
                "order": 10,
                "required": True,
            }
        ],
    }
    assert "context_key" not in str(listed) and "extra" not in actor


async def test_delete_removes_the_preset(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    assert await rpc.result("preset.delete", {"preset_id": " stage "}) == {
        "type": "preset_deleted",
        "preset_id": "stage",
    }
    error = await rpc.error("preset.get", {"preset_id": "stage"})
    assert error["code"] == 40404


# -- preset_entry.* ----------------------------------------------------------------------

ENTRY = {
    "preset_id": "stage",
    "agent": "director",
    "module_id": "task",
    "entry_id": "tone",
    "display_name": "  Tone  ",
    "text": "Keep the tone grim.",
}


async def test_entry_create_appends_after_the_highest_order(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    created = await rpc.result("preset_entry.create", ENTRY)
    assert created == {
        "type": "preset_entry",
        "preset_id": "stage",
        "agent": "director",
        "module_id": "task",
        "entry": {
            "entry_id": "tone",
            "display_name": "Tone",
            "kind": "custom_text",
            "enabled": True,
            "order": 20,
            "required": False,
            "text": "Keep the tone grim.",
        },
    }
    second = await rpc.result("preset_entry.create", {**ENTRY, "entry_id": " pace ", "enabled": False})
    assert second["entry"]["order"] == 30 and second["entry"]["enabled"] is False
    fixed = await rpc.result("preset_entry.create", {**ENTRY, "entry_id": "early", "order": 5})
    assert fixed["entry"]["order"] == 5
    task = (await rpc.result("preset.get", {"preset_id": "stage"}))["agents"]["director"]["modules"][1]
    assert [entry["entry_id"] for entry in task["entries"]] == ["early", "director_task_core", "tone", "pace"]


async def test_entry_create_in_an_empty_custom_module_starts_at_ten(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset(keeper={"modules": [{"module_id": "notes"}]}))
    created = await rpc.result("preset_entry.create", {**ENTRY, "agent": "keeper", "module_id": "notes"})
    assert created["entry"]["order"] == 10


async def test_entry_create_errors(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    await rpc.result("preset_entry.create", ENTRY)
    error = await rpc.error("preset_entry.create", {**ENTRY, "module_id": "role"})
    assert error == {"code": 40909, "message": "preset 'stage' already contains entry 'tone' for agent 'director'"}
    error = await rpc.error("preset_entry.create", {**ENTRY, "entry_id": "director_player"})
    assert error["code"] == 40909
    error = await rpc.error("preset_entry.create", {**ENTRY, "entry_id": "x", "module_id": "nope"})
    assert error == {"code": 40404, "message": "preset 'stage' does not contain module 'nope' for agent 'director'"}
    error = await rpc.error("preset_entry.create", {**ENTRY, "entry_id": "x", "text": "  "})
    assert error == {"code": -32602, "message": "invalid preset: custom preset entry 'x' must contain text"}
    error = await rpc.error("preset_entry.create", {**ENTRY, "entry_id": "  "})
    assert error == {"code": -32602, "message": "entry_id must not be empty"}
    error = await rpc.error("preset_entry.create", {**ENTRY, "preset_id": "ghost"})
    assert error == {"code": 40404, "message": "preset 'ghost' not found"}


async def test_entry_update_custom_and_built_in(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    await rpc.result("preset_entry.create", ENTRY)
    key = {"preset_id": "stage", "agent": "director", "module_id": "task"}
    updated = await rpc.result(
        "preset_entry.update",
        {**key, "entry_id": " tone ", "display_name": " Mood ", "text": "Lighter.", "enabled": False, "order": 1},
    )
    assert updated["entry"] == {
        "entry_id": "tone",
        "display_name": "Mood",
        "kind": "custom_text",
        "enabled": False,
        "order": 1,
        "required": False,
        "text": "Lighter.",
    }
    core = await rpc.result(
        "preset_entry.update", {**key, "entry_id": "director_task_core", "enabled": False, "order": 99}
    )
    assert (core["entry"]["enabled"], core["entry"]["order"], core["entry"]["required"]) == (True, 99, True)
    assert core["entry"]["text"].startswith("Turn task:")
    static = {**key, "module_id": "static_context"}
    lore = await rpc.result("preset_entry.update", {**static, "entry_id": "director_lorebook_base", "enabled": False})
    assert lore["entry"]["enabled"] is False and lore["entry"]["context_key"] == "lorebook_base"
    error = await rpc.error("preset_entry.update", {**key, "entry_id": "director_task_core", "text": "mine"})
    assert error == {
        "code": -32602,
        "message": "built-in preset entry 'director_task_core' cannot be edited as custom text",
    }
    error = await rpc.error("preset_entry.update", {**key, "entry_id": "tone", "text": " "})
    assert error == {"code": -32602, "message": "invalid preset: custom preset entry 'tone' must contain text"}
    stored = await rpc.result("preset.get", {"preset_id": "stage"})
    task = stored["agents"]["director"]["modules"][1]
    assert [(e["entry_id"], e["order"]) for e in task["entries"]] == [("tone", 1), ("director_task_core", 99)]
    assert stored["agents"]["director"]["modules"][2]["entries"][0]["enabled"] is False


async def test_entry_update_and_delete_not_found(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    key = {"preset_id": "stage", "agent": "narrator", "entry_id": "narrator_task_core"}
    for method in ("preset_entry.update", "preset_entry.delete"):
        error = await rpc.error(method, {**key, "module_id": "ghost"})
        assert error == {
            "code": 40404,
            "message": "preset 'stage' does not contain module 'ghost' for agent 'narrator'",
        }
        error = await rpc.error(method, {**key, "module_id": "role"})
        assert error == {
            "code": 40404,
            "message": "preset 'stage' does not contain entry 'narrator_task_core' for agent 'narrator'",
        }


async def test_entry_delete(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    await rpc.result("preset_entry.create", ENTRY)
    key = {"preset_id": "stage", "agent": "director", "module_id": "task"}
    error = await rpc.error("preset_entry.delete", {**key, "entry_id": "director_task_core"})
    assert error == {"code": -32602, "message": "built-in preset entry 'director_task_core' cannot be deleted"}
    deleted = await rpc.result("preset_entry.delete", {**key, "entry_id": " tone"})
    assert deleted == {
        "type": "preset_entry_deleted",
        "preset_id": "stage",
        "agent": "director",
        "module_id": "task",
        "entry_id": "tone",
    }
    task = (await rpc.result("preset.get", {"preset_id": "stage"}))["agents"]["director"]["modules"][1]
    assert [entry["entry_id"] for entry in task["entries"]] == ["director_task_core"]


# -- preset_preview.template -------------------------------------------------------------


async def test_template_preview_of_one_module(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    preview = await rpc.result(
        "preset_preview.template", {"preset_id": "stage", "agent": "planner", "module_id": "role"}
    )
    entry = preview["messages"][0]["modules"][0]["entries"][0]
    assert entry["compiled_text"].startswith("You are Planner")
    assert preview == {
        "type": "preset_prompt_preview",
        "preset_id": "stage",
        "agent": "planner",
        "module_id": "role",
        "preview_kind": "template",
        "message_role": "system",
        "messages": [
            {
                "role": "system",
                "modules": [
                    {
                        "module_id": "role",
                        "display_name": "Role",
                        "order": 10,
                        "entries": [
                            {
                                "entry_id": "planner_role_core",
                                "display_name": "Core Role",
                                "kind": "built_in_text",
                                "order": 10,
                                "source": "preset",
                                "compiled_text": entry["compiled_text"],
                            }
                        ],
                    }
                ],
            }
        ],
        "unresolved_context_keys": [],
    }


async def test_template_preview_of_the_whole_prompt(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    preview = await rpc.result("preset_preview.template", {"preset_id": "stage", "agent": "keeper"})
    assert preview["message_role"] == "full" and "module_id" not in preview
    assert [message["role"] for message in preview["messages"]] == ["system", "user"]
    user_entries = [e for m in preview["messages"][1]["modules"] for e in m["entries"]]
    # each value under its title (a Dramaturg change of §11.1), in previews as in calls
    assert user_entries[0]["compiled_text"] == "Lorebook Base:\n<context:lorebook_base>"
    assert preview["unresolved_context_keys"] == sorted(
        {
            "lorebook_base",
            "player",
            "previous_node",
            "current_node",
            "previous_cast",
            "current_cast",
            "player_state_schema",
            "keeper_phase",
            "node_change",
            "progression_hints",
            "lorebook_matched",
            "world_state",
            "player_input",
            "completed_beats",
        }
    )


async def test_architect_preview_injects_synthetic_entries(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset())
    preview = await rpc.result(
        "preset_preview.template",
        {"preset_id": "stage", "agent": "architect", "module_id": "output", "architect_mode": "draft_init"},
    )
    assert preview["architect_mode"] == "draft_init" and preview["module_id"] == "output"
    entries = preview["messages"][0]["modules"][0]["entries"]
    assert [(e["entry_id"], e["order"], e["source"]) for e in entries] == [
        ("architect_output_core", 10, "preset"),
        ("__injected_architect_draft_init_output_contract", 20, "synthetic"),
    ]
    assert entries[1]["compiled_text"].startswith("Draft start output shape:")


async def test_preview_errors(rpc: RpcClient) -> None:
    await rpc.result("preset.create", preset(replyer={"modules": [{"module_id": "empty_one"}]}))
    error = await rpc.error("preset_preview.template", {"preset_id": "stage", "agent": "architect"})
    assert error["code"] == -32602 and error["message"].startswith("invalid prompt preview: architect_mode")
    error = await rpc.error(
        "preset_preview.template", {"preset_id": "stage", "agent": "actor", "architect_mode": "graph"}
    )
    assert error["code"] == -32602 and error["message"].startswith("invalid prompt preview: architect_mode")
    error = await rpc.error("preset_preview.template", {"preset_id": "stage", "agent": "actor", "module_id": "x"})
    assert error == {"code": 40404, "message": "preset 'stage' does not contain module 'x' for agent 'actor'"}
    error = await rpc.error(
        "preset_preview.template", {"preset_id": "stage", "agent": "replyer", "module_id": "empty_one"}
    )
    assert error == {
        "code": -32602,
        "message": "invalid prompt preview: module 'empty_one' is not available for agent 'replyer'",
    }
    error = await rpc.error("preset_preview.template", {"preset_id": "ghost", "agent": "actor"})
    assert error == {"code": 40404, "message": "preset 'ghost' not found"}
    envelope = await rpc.call(
        "preset_preview.template",
        {"preset_id": "stage", "agent": "actor", "architect_mode": "whole"},
        expect_status=400,
    )
    assert envelope["error"]["code"] == -32602
