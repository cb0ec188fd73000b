"""The turn agents' context values, requests and output checks, and the session prompt previews
(PROTOCOL §6.7, §9.2, §10.4–§10.8, §11)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from runtime.agents.actor import actor_context, actor_request
from runtime.agents.director import decode_response_plan, director_context
from runtime.agents.keeper import decode_state_update, keeper_context
from runtime.agents.narrator import narrator_context
from runtime.agents.scene import HistoryWindows, Scene
from runtime.codec import CODEC
from runtime.errors import InvalidParams, NotFound
from runtime.model.apis import Agent
from runtime.model.presets import EntryKind, PromptPreview, PromptPreviewParams
from runtime.model.sessions import MessageKind, SessionMessage
from runtime.model.state import ActorMemoryEntry, MemoryKind
from runtime.model.turns import (
    ActorPurpose,
    ActorResponse,
    ActorSegment,
    ExecutedActorBeat,
    ExecutedNarratorBeat,
    KeeperPhase,
    NarratorPurpose,
    NarratorResponse,
    SegmentKind,
)
from runtime.prompt_context import completed_beats, session_history
from runtime.turns import session_agent_preview
from runtime.turns._scene import setup_scene
from tests.runtime.turn_rig import STORY_CAST, default_configs, make_setup, start_snapshot


def scene(player_input: str | None = "I ask about the gate.", **world: Any) -> Scene:
    return setup_scene(make_setup(start_snapshot(**world)), player_input=player_input)


def thought(text: str) -> ActorMemoryEntry:
    return ActorMemoryEntry("merchant", "Old Merchant", MemoryKind.THOUGHT, text)


# -- output checks -----------------------------------------------------------------------------


def test_a_plan_without_lists_is_an_empty_plan() -> None:
    plan = decode_response_plan({}).value
    assert plan.role_actions == [] and plan.beats == []


def test_a_plan_decodes_role_actions_and_beats() -> None:
    plan = decode_response_plan(
        {
            "role_actions": [{"type": "leave_scene", "session_character_id": "guard"}],
            "beats": [{"type": "Actor", "speaker_id": "merchant", "purpose": "CommentOnScene"}],
        }
    ).value
    assert CODEC.unstructure(plan)["role_actions"] == [{"type": "leave_scene", "session_character_id": "guard"}]
    assert plan.beats[0].purpose is ActorPurpose.COMMENT_ON_SCENE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "beat",
    [
        {"type": "Singer", "purpose": "DescribeScene"},
        {"type": "Narrator", "purpose": "describe_scene"},
        {"type": "Actor", "purpose": "AdvanceGoal"},
        {"type": "narrator", "purpose": "DescribeScene"},
    ],
    ids=["unknown_type", "unknown_purpose", "missing_speaker", "lower_case_type"],
)
def test_a_plan_with_a_bad_beat_is_invalid_output(beat: dict[str, Any]) -> None:
    with pytest.raises(InvalidParams, match=r"^output\.beats\[0\]"):
        decode_response_plan({"beats": [beat]})


def test_a_keeper_update_with_set_current_node_is_invalid_output() -> None:
    with pytest.raises(InvalidParams, match=r"^output\.ops\[1\]: SetCurrentNode is not allowed"):
        decode_state_update(
            {"ops": [{"type": "SetState", "key": "k", "value": 1}, {"type": "SetCurrentNode", "node_id": "alley"}]}
        )


def test_a_keeper_op_missing_a_field_is_invalid_output() -> None:
    with pytest.raises(InvalidParams, match=r"^output\.ops\[0\]"):
        decode_state_update({"ops": [{"type": "SetCharacterState", "key": "k", "value": 1}]})
    with pytest.raises(InvalidParams, match=r"^output\.ops"):
        decode_state_update({})


# -- history windows ---------------------------------------------------------------------------


def test_history_windows_default_to_eight() -> None:
    windows = HistoryWindows.of(default_configs())
    assert (windows.director, windows.actor, windows.actor_private, windows.narrator, windows.replyer) == (8,) * 5


def test_each_window_is_read_from_its_own_agent() -> None:
    configs = default_configs(
        director={"director_shared_history_limit": 3, "actor_shared_history_limit": 99},
        actor={"actor_shared_history_limit": 12, "actor_private_memory_limit": 0},
        narrator={"narrator_shared_history_limit": 5},
        replyer={"replyer_session_history_limit": 2},
    )
    windows = HistoryWindows.of(configs)
    assert (windows.director, windows.actor, windows.actor_private, windows.narrator, windows.replyer) == (
        3,
        12,
        0,
        5,
        2,
    )
    assert windows.storage == 12


# -- context values ------------------------------------------------------------------------------


def test_the_director_sees_its_window_of_shared_history_and_the_full_world_state() -> None:
    history = [ActorMemoryEntry("player", "Player", MemoryKind.PLAYER_INPUT, f"line  {i}\nmore") for i in range(4)]
    base = scene(actor_shared_history=history, player_state={"coins": 2})
    narrow = attrs.evolve(base, windows=HistoryWindows(director=2))
    values = director_context(narrow, transitioned=True)
    assert (
        values["shared_history"]
        == "- [player|Player|player_input] line 2 more\n- [player|Player|player_input] line 3 more"
    )
    assert "player_state:\ncoins=2" in values["world_state"]  # type: ignore[operator]
    assert values["transitioned_this_turn"] == "true"
    assert values["current_cast"].startswith("- merchant | Old Merchant | personality=")  # type: ignore[union-attr]


def test_lorebook_values_come_from_the_node_the_history_and_the_input() -> None:
    values = director_context(scene(player_input="Where is the dragon?"), transitioned=False)
    assert values["lorebook_base"] == "- harbor | The Harbor | keywords= | The old harbor floods every spring."
    matched = values["lorebook_matched"]
    assert "- gate | The Gate" in matched and "- dragon | Dragons" in matched  # type: ignore[operator]


def test_the_keeper_never_gets_shared_history_and_writes_its_phase_as_on_the_wire() -> None:
    history = [ActorMemoryEntry("player", "Player", MemoryKind.PLAYER_INPUT, "secret words")]
    values = keeper_context(
        scene(actor_shared_history=history),
        KeeperPhase.AFTER_PLAYER_INPUT,
        previous=None,
        transitioned=False,
        completed_beats=None,
    )
    assert "shared_history" not in values
    assert not any("secret words" in (value or "") for value in values.values())
    assert values["keeper_phase"] == '"after_player_input"'
    assert values["previous_node"] is None and values["node_change"] is None
    assert values["previous_cast"] is None and values["completed_beats"] is None
    assert values["player_input"] == "I ask about the gate."
    assert "candidate_transitions:\n- to node=market when global.gate_open == true" in values["current_node"]  # type: ignore[operator]
    assert values["progression_hints"].startswith(  # type: ignore[union-attr]
        "- target_node=market | condition=global.gate_open eq true | likely_state_scope=global | tracked_key=gate_open"
    )


def test_the_keeper_after_outputs_sees_the_node_change_and_the_visible_beats() -> None:
    moved = scene(current_node="market", active_characters=["merchant", "guard"])
    dock = moved.node("dock")
    beats = [
        ExecutedNarratorBeat(NarratorPurpose.DESCRIBE_TRANSITION, NarratorResponse(" You  walk.\n", " You  walk.\n")),
        ExecutedActorBeat(
            "merchant",
            ActorPurpose.ADVANCE_GOAL,
            ActorResponse(
                "merchant",
                "Old Merchant",
                [
                    ActorSegment(SegmentKind.THOUGHT, "hidden"),
                    ActorSegment(SegmentKind.DIALOGUE, "Come."),
                    ActorSegment(SegmentKind.ACTION, "Waves."),
                ],
                "raw",
            ),
        ),
    ]
    values = keeper_context(
        moved, KeeperPhase.AFTER_TURN_OUTPUTS, previous=dock, transitioned=True, completed_beats=beats
    )
    assert values["keeper_phase"] == '"after_turn_outputs"'
    assert values["node_change"].startswith("transitioned:\ntrue\n\nfrom:\ndock\n\nto:\nmarket")  # type: ignore[union-attr]
    assert values["completed_beats"] == (
        '- [narrator|"DescribeTransition"] You walk.\n- [actor|merchant|"AdvanceGoal"] "dialogue":Come. | "action":Waves.'
    )
    assert values["previous_cast"].startswith("- merchant | Old Merchant")  # type: ignore[union-attr]


def test_the_narrator_sees_a_previous_node_only_when_given_one() -> None:
    current = scene()
    without = narrator_context(current, NarratorPurpose.DESCRIBE_SCENE, previous=None)
    assert without["previous_node"] is None and without["narrator_purpose"] == '"DescribeScene"'
    with_previous = narrator_context(current, NarratorPurpose.DESCRIBE_TRANSITION, previous=current.node("alley"))
    assert with_previous["previous_node"].startswith("id:\nalley")  # type: ignore[union-attr]
    assert with_previous["previous_cast"].startswith("- guard | Gate Guard")  # type: ignore[union-attr]


def test_the_actor_sees_its_own_thoughts_and_no_player_state() -> None:
    memory = {"merchant": [thought(f"t{i}") for i in range(10)], "guard": [thought("not mine")]}
    current = scene(actor_private_memory=memory, player_state={"coins": 3})
    values = actor_context(current, STORY_CAST["merchant"], ActorPurpose.REACT_TO_PLAYER)
    assert values["private_memory"].splitlines()[0] == "- [merchant|Old Merchant|thought] t2"  # type: ignore[union-attr]
    assert "not mine" not in values["private_memory"]  # type: ignore[operator]
    assert "player_state" not in values["world_state"]  # type: ignore[operator]
    assert values["actor_purpose"] == '"ReactToPlayer"'


def test_the_actor_request_ends_with_the_character_block_expanded_with_the_current_state() -> None:
    current = scene(character_state={"merchant": {"trust": 2}})
    request = actor_request(
        default_configs(actor={"temperature": 0.9})["actor"], current, STORY_CAST["merchant"], ActorPurpose.ADVANCE_GOAL
    )
    assert request.agent is Agent.ACTOR and request.temperature == 0.9 and request.max_tokens == 384
    assert request.system.endswith(
        "\n\nCHARACTER_ID:\nmerchant\n\nCHARACTER_NAME:\nOld Merchant\n\n"
        "CHARACTER_PERSONALITY:\nGreedy but fair; trusts Mira at level 2.\n\n"
        "CHARACTER_STYLE:\nSpeaks in short sentences.\n\n"
        'CHARACTER_STATE_SCHEMA:\nmood:"string", trust:"int" default=0 desc=How much he trusts\n\n'
        "CHARACTER_SYSTEM_PROMPT:\nNever reveal the {{secret}} to Mira."
    )
    assert "Output contract for the Actor:" in request.system
    assert request.user.startswith("Static Context:\n")


# -- renderers added for the turn agents -----------------------------------------------------------


def test_session_history_lines_name_turn_speaker_and_kind() -> None:
    message = SessionMessage("m-1", MessageKind.DIALOGUE, 4, 2, 0, 0, 0, "merchant", "Old Merchant", "Hi\n there")
    assert session_history([message]) == '- [turn:2|merchant|Old Merchant|"dialogue"] Hi there'
    assert session_history([]) == "- none"
    assert completed_beats([]) == "- none"


# -- session prompt previews ------------------------------------------------------------------------


def preview(messages: list[SessionMessage] | None = None, **params: Any) -> PromptPreview:
    fields = {"preset_id": "preset-1", **params}
    parsed = CODEC.structure(fields, PromptPreviewParams)
    return session_agent_preview(make_setup(), parsed, messages or [])


def entry_texts(payload: PromptPreview) -> dict[str, str]:
    """Each entry's text; a context value without the title line it is shown under."""
    texts = {}
    for message in payload.messages:
        for module in message.modules:
            for entry in module.entries:
                text = entry.compiled_text
                if entry.kind is EntryKind.BUILT_IN_CONTEXT_REF:
                    title, _, text = text.partition("\n")
                    assert title == f"{entry.display_name}:"
                texts[entry.entry_id] = text
    return texts


def test_a_keeper_preview_writes_the_phase_the_preview_way_and_lists_missing_values() -> None:
    payload = preview(agent="keeper")
    texts = entry_texts(payload)
    assert texts["keeper_phase"] == '"AfterPlayerInput"'
    assert payload.preview_kind.value == "runtime" and payload.message_role.value == "full"
    # no previous node in the first phase: its values are left out, never a bare null
    assert payload.unresolved_context_keys == [
        "completed_beats",
        "node_change",
        "player_input",
        "previous_cast",
        "previous_node",
    ]
    later = entry_texts(preview(agent="keeper", keeper_phase="after_turn_outputs", player_input="hello gate"))
    assert later["keeper_phase"] == '"AfterTurnOutputs"' and later["keeper_player_input"] == "hello gate"
    assert later["keeper_node_change"].startswith("transitioned:\nfalse")


def test_an_actor_preview_needs_a_character_of_the_cast() -> None:
    with pytest.raises(InvalidParams, match=r"^invalid prompt preview: character_id is required for agent 'actor'$"):
        preview(agent="actor")
    with pytest.raises(InvalidParams, match=r"^invalid prompt preview: character 'ghost' is not part of the session"):
        preview(agent="actor", character_id="ghost")
    texts = entry_texts(preview(agent="actor", character_id="merchant"))
    assert texts["actor_purpose"] == '"ReactToPlayer"'
    texts = entry_texts(preview(agent="actor", character_id="merchant", actor_purpose="advance_goal"))
    assert texts["actor_purpose"] == '"AdvanceGoal"'


def test_a_previous_node_must_be_a_node_of_the_graph() -> None:
    with pytest.raises(InvalidParams, match=r"^invalid prompt preview: previous_node_id 'nowhere' is not a node"):
        preview(agent="narrator", previous_node_id="nowhere")
    texts = entry_texts(preview(agent="narrator", previous_node_id="alley", narrator_purpose="describe_transition"))
    assert texts["narrator_previous_node"].startswith("id:\nalley")
    assert texts["narrator_purpose"] == '"DescribeTransition"'
    assert entry_texts(preview(agent="narrator"))["narrator_purpose"] == '"DescribeScene"'


def test_a_module_preview_and_its_errors() -> None:
    payload = preview(agent="director", module_id="dynamic_context")
    assert payload.module_id == "dynamic_context" and payload.message_role.value == "user"
    assert [module.module_id for message in payload.messages for module in message.modules] == ["dynamic_context"]
    with pytest.raises(NotFound):
        preview(agent="director", module_id="nope")


def test_planner_architect_and_architect_modes_are_not_session_previews() -> None:
    with pytest.raises(InvalidParams, match=r"^invalid prompt preview: "):
        preview(agent="planner")
    with pytest.raises(InvalidParams, match=r"^invalid prompt preview: architect_mode"):
        preview(agent="director", architect_mode="graph")


def test_a_replyer_preview_shows_the_limit_and_the_selected_history() -> None:
    messages = [
        SessionMessage("m-0", MessageKind.NARRATION, 0, 1, 0, 0, 0, "narrator", "Narrator", "Old fog."),
        SessionMessage("m-1", MessageKind.NARRATION, 1, 2, 0, 0, 0, "narrator", "Narrator", "New rain."),
    ]
    texts = entry_texts(preview(messages, agent="replyer", reply_limit=4))
    assert texts["replyer_limit"] == "4"
    assert texts["replyer_session_history"] == '- [turn:2|narrator|Narrator|"narration"] New rain.'
