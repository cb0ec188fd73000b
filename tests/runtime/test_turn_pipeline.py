"""The turn pipeline with real clients on the LLM stub: events, state, transcript and failures
(PROTOCOL §4.5–§4.8, §7.9, §8)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from runtime.codec import CODEC
from runtime.model.apis import Agent, Provider
from runtime.model.cast import CastMember
from runtime.model.sessions import MessageKind
from runtime.model.state import AddActiveCharacter
from runtime.model.turns import CreateAndEnter, TurnStage
from runtime.turns import TranscriptLine, TurnFailed, TurnOutcome, run_turn
from tests.runtime.turn_rig import (
    NOW_MS,
    TURN_AGENTS,
    EventLog,
    TurnRig,
    default_configs,
    start_snapshot,
)

NO_OPS: dict[str, Any] = {"ops": []}


def plan(*beats: dict[str, Any], role_actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"role_actions": role_actions or [], "beats": list(beats)}


def narrator_beat(purpose: str = "DescribeScene") -> dict[str, Any]:
    return {"type": "Narrator", "purpose": purpose}


def actor_beat(speaker_id: str = "merchant", purpose: str = "ReactToPlayer") -> dict[str, Any]:
    return {"type": "Actor", "speaker_id": speaker_id, "purpose": purpose}


def create(character_id: str, name: str = "Dock Hand") -> dict[str, Any]:
    return {
        "type": "create_and_enter",
        "session_character_id": character_id,
        "display_name": name,
        "personality": "Nervous.",
        "style": "Mumbles.",
        "system_prompt": "You owe money.",
    }


async def play(
    rig: TurnRig,
    *,
    director: dict[str, Any],
    first: dict[str, Any] = NO_OPS,
    second: dict[str, Any] = NO_OPS,
    narrator: Sequence[list[str]] = (),
    actor: Sequence[list[str]] = (),
    player_input: str = "I ask about the gate.",
    log: EventLog | None = None,
    **setup: Any,
) -> tuple[TurnOutcome, EventLog]:
    """Queue the agents' answers (after anything already queued), then run one turn."""
    await rig.script_json(Agent.KEEPER, first, second)
    await rig.script_json(Agent.DIRECTOR, director)
    for chunks in narrator:
        await rig.script(Agent.NARRATOR, {"chunks": chunks})
    for chunks in actor:
        await rig.script(Agent.ACTOR, {"chunks": chunks})
    log = log if log is not None else EventLog()
    outcome = await run_turn(rig.setup(**setup), player_input, log)
    return outcome, log


async def fail(rig: TurnRig, **kwargs: Any) -> tuple[TurnFailed, EventLog]:
    """Run a turn that must fail; the failure and the events sent before it."""
    log = EventLog()
    with pytest.raises(TurnFailed) as caught:
        await play(rig, log=log, **kwargs)
    return caught.value, log


# -- a whole turn, event by event ------------------------------------------------------------


ACTOR_CHUNKS = [
    "<thought>Can I",
    " trust them?</thought>\n<dia",
    "logue>Welcome, ",
    "traveller.</dia",
    "logue><action> Bows low. </action>",
]


async def test_a_full_turn_streams_every_event_in_order(turn_rig: TurnRig) -> None:
    outcome, log = await play(
        turn_rig,
        first={"ops": [{"type": "SetCharacterState", "character": "merchant", "key": "mood", "value": "wary"}]},
        director=plan(narrator_beat(), actor_beat()),
        second={"ops": [{"type": "SetPlayerState", "key": "coins", "value": 4}]},
        narrator=[["The tide ", "rises ", "around you."]],
        actor=[ACTOR_CHUNKS],
    )
    assert log.types() == [
        "turn_started",
        "player_input_recorded",
        "keeper_applied",
        "director_completed",
        "narrator_started",
        "narrator_text_delta",
        "narrator_text_delta",
        "narrator_text_delta",
        "narrator_completed",
        "actor_started",
        "actor_thought_delta",
        "actor_thought_delta",
        "actor_dialogue_delta",
        "actor_dialogue_delta",
        "actor_action_complete",
        "actor_completed",
        "keeper_applied",
    ]
    wire = log.wire()
    assert wire[0] == {"type": "turn_started", "next_turn_index": 1, "player_input": "I ask about the gate."}

    recorded = wire[1]
    assert recorded["entry"] == {
        "speaker_id": "player",
        "speaker_name": "Player",
        "kind": "player_input",
        "text": "I ask about the gate.",
    }
    assert recorded["snapshot"]["turn_index"] == 0
    assert recorded["snapshot"]["world_state"]["actor_shared_history"] == [recorded["entry"]]

    first = wire[2]
    assert first["phase"] == "after_player_input"
    assert first["update"] == {
        "ops": [{"type": "SetCharacterState", "character": "merchant", "key": "mood", "value": "wary"}]
    }
    assert first["snapshot"]["turn_index"] == 1
    assert first["snapshot"]["world_state"]["character_state"] == {"merchant": {"mood": "wary"}}

    director = wire[3]
    assert director["result"] == {
        "previous_node_id": "dock",
        "current_node_id": "dock",
        "transitioned": False,
        "response_plan": {
            "role_actions": [],
            "beats": [
                {"type": "Narrator", "purpose": "DescribeScene"},
                {"type": "Actor", "speaker_id": "merchant", "purpose": "ReactToPlayer"},
            ],
        },
    }
    assert director["snapshot"] == first["snapshot"]

    assert wire[4] == {"type": "narrator_started", "beat_index": 0, "purpose": "DescribeScene"}
    assert [e["delta"] for e in log.of_type("narrator_text_delta")] == ["The tide ", "rises ", "around you."]
    assert all(e["beat_index"] == 0 and e["purpose"] == "DescribeScene" for e in log.of_type("narrator_text_delta"))
    assert wire[8] == {
        "type": "narrator_completed",
        "beat_index": 0,
        "purpose": "DescribeScene",
        "response": {"text": "The tide rises around you.", "raw_output": "The tide rises around you."},
    }

    assert wire[9] == {"type": "actor_started", "beat_index": 1, "speaker_id": "merchant", "purpose": "ReactToPlayer"}
    thoughts = "".join(e["delta"] for e in log.of_type("actor_thought_delta"))
    dialogue = "".join(e["delta"] for e in log.of_type("actor_dialogue_delta"))
    assert thoughts == "Can I trust them?" and dialogue == "Welcome, traveller."
    assert all(
        e["beat_index"] == 1 and e["speaker_id"] == "merchant"
        for e in log.of_type("actor_thought_delta") + log.of_type("actor_dialogue_delta")
    )
    assert log.of_type("actor_action_complete") == [
        {"type": "actor_action_complete", "beat_index": 1, "speaker_id": "merchant", "text": " Bows low. "}
    ]
    assert wire[15] == {
        "type": "actor_completed",
        "beat_index": 1,
        "speaker_id": "merchant",
        "purpose": "ReactToPlayer",
        "response": {
            "speaker_id": "merchant",
            "speaker_name": "Old Merchant",
            "segments": [
                {"kind": "thought", "text": "Can I trust them?"},
                {"kind": "dialogue", "text": "Welcome, traveller."},
                {"kind": "action", "text": " Bows low. "},
            ],
            "raw_output": "".join(ACTOR_CHUNKS),
        },
    }

    second = wire[16]
    assert second["phase"] == "after_turn_outputs"
    assert second["update"] == {"ops": [{"type": "SetPlayerState", "key": "coins", "value": 4}]}
    final = second["snapshot"]
    assert final["turn_index"] == 1
    assert final["world_state"]["player_state"] == {"coins": 4}
    assert final["world_state"]["actor_shared_history"] == [
        {"speaker_id": "player", "speaker_name": "Player", "kind": "player_input", "text": "I ask about the gate."},
        {
            "speaker_id": "narrator",
            "speaker_name": "Narrator",
            "kind": "narration",
            "text": "The tide rises around you.",
        },
        {"speaker_id": "merchant", "speaker_name": "Old Merchant", "kind": "dialogue", "text": "Welcome, traveller."},
        {"speaker_id": "merchant", "speaker_name": "Old Merchant", "kind": "action", "text": "Bows low."},
    ]
    assert final["world_state"]["actor_private_memory"] == {
        "merchant": [
            {"speaker_id": "merchant", "speaker_name": "Old Merchant", "kind": "thought", "text": "Can I trust them?"}
        ]
    }

    result = CODEC.unstructure(outcome.result)
    assert result["turn_index"] == 1 and result["player_input"] == "I ask about the gate."
    assert result["snapshot"] == final
    assert result["director"] == director["result"]
    assert result["first_keeper"]["update"] == first["update"]
    assert result["second_keeper"]["update"] == second["update"]
    assert result["second_keeper"]["output"]["message"] == {
        "role": "assistant",
        "content": '{"ops": [{"type": "SetPlayerState", "key": "coins", "value": 4}]}',
    }
    assert result["completed_beats"] == [
        {"type": "narrator", "purpose": "DescribeScene", "response": wire[8]["response"]},
        {"type": "actor", "speaker_id": "merchant", "purpose": "ReactToPlayer", "response": wire[15]["response"]},
    ]
    assert outcome.new_session_characters == []
    assert outcome.transcript == [
        TranscriptLine(MessageKind.PLAYER_INPUT, "player", "Player", "I ask about the gate."),
        TranscriptLine(MessageKind.NARRATION, "narrator", "Narrator", "The tide rises around you."),
        TranscriptLine(MessageKind.DIALOGUE, "merchant", "Old Merchant", "Welcome, traveller."),
        TranscriptLine(MessageKind.ACTION, "merchant", "Old Merchant", "Bows low."),
    ]


async def test_each_agent_gets_its_prompt_and_the_keeper_never_sees_shared_history(turn_rig: TurnRig) -> None:
    await play(
        turn_rig,
        director=plan(narrator_beat()),
        narrator=[["Rain."]],
        agents=default_configs(director={"temperature": 0.3, "max_tokens": 500}),
    )
    director_request = (await turn_rig.requests(Agent.DIRECTOR))[0]["body"]
    assert director_request["temperature"] == 0.3 and director_request["max_tokens"] == 500
    schema = director_request["response_format"]["json_schema"]["schema"]
    actor_beat_schema = schema["properties"]["beats"]["items"]["anyOf"][1]
    assert actor_beat_schema["properties"]["speaker_id"]["enum"] == ["merchant"]  # the characters present
    [(_, director_user)] = await turn_rig.prompts(Agent.DIRECTOR)
    assert director_user.rstrip().endswith("- [player|Player|player_input] I ask about the gate.")
    assert "- gate | The Gate | keywords=gate | The gate opens at dusk." in director_user

    first, second = await turn_rig.prompts(Agent.KEEPER)
    for _, user in (first, second):
        assert "[player|Player|player_input]" not in user
        assert "I ask about the gate." in user  # as the player_input value
        assert "candidate_transitions:" in user
    assert '"after_player_input"' in first[1] and '"after_turn_outputs"' in second[1]
    assert '[narrator|"DescribeScene"] Rain.' not in first[1]
    assert '- [narrator|"DescribeScene"] Rain.' in second[1]
    narrator_body = (await turn_rig.requests(Agent.NARRATOR))[0]["body"]
    assert narrator_body["stream"] is True and "response_format" not in narrator_body


async def test_an_empty_plan_is_a_quiet_turn(turn_rig: TurnRig) -> None:
    outcome, log = await play(turn_rig, director=plan())
    assert log.types() == [
        "turn_started",
        "player_input_recorded",
        "keeper_applied",
        "director_completed",
        "keeper_applied",
    ]
    assert outcome.transcript == [TranscriptLine(MessageKind.PLAYER_INPUT, "player", "Player", "I ask about the gate.")]


async def test_shared_history_is_kept_to_the_largest_shared_window(turn_rig: TurnRig) -> None:
    configs = default_configs(
        director={"director_shared_history_limit": 1},
        actor={"actor_shared_history_limit": 2},
        narrator={"narrator_shared_history_limit": 3},
    )
    outcome, _ = await play(
        turn_rig,
        director=plan(narrator_beat(), narrator_beat(), narrator_beat()),
        narrator=[["One."], ["Two."], ["Three."]],
        agents=configs,
    )
    history = outcome.result.snapshot.world_state.actor_shared_history
    assert [entry.text for entry in history] == ["One.", "Two.", "Three."]
    [(_, director_user)] = await turn_rig.prompts(Agent.DIRECTOR)
    assert "[player|Player|player_input]" in director_user


# -- transitions ------------------------------------------------------------------------------


async def test_the_first_matching_transition_in_list_order_wins(turn_rig: TurnRig) -> None:
    snapshot = start_snapshot(custom={"gate_open": True}, character_state={"merchant": {"trust": 5}})
    outcome, log = await play(turn_rig, director=plan(), snapshot=snapshot)
    result = outcome.result.director
    assert (result.previous_node_id, result.current_node_id, result.transitioned) == ("dock", "market", True)
    after = log.of_type("director_completed")[0]["snapshot"]["world_state"]
    assert after["current_node"] == "market"
    assert after["active_characters"] == ["merchant", "guard"]
    assert after["custom"]["current_event"] == "market_day"


async def test_a_later_transition_is_taken_when_only_its_condition_holds(turn_rig: TurnRig) -> None:
    snapshot = start_snapshot(character_state={"merchant": {"trust": 3}})
    outcome, _ = await play(turn_rig, director=plan(), snapshot=snapshot)
    assert outcome.result.director.current_node_id == "alley"
    assert outcome.result.snapshot.world_state.active_characters == ["guard"]


async def test_the_keepers_first_update_can_open_a_transition_in_the_same_turn(turn_rig: TurnRig) -> None:
    outcome, _ = await play(
        turn_rig, director=plan(), first={"ops": [{"type": "SetState", "key": "gate_open", "value": True}]}
    )
    assert outcome.result.director.transitioned
    [(_, director_user)] = await turn_rig.prompts(Agent.DIRECTOR)
    assert "id:\nmarket" in director_user


async def test_a_self_loop_is_not_a_transition_and_does_not_reenter_the_node(turn_rig: TurnRig) -> None:
    snapshot = start_snapshot(current_node="market", active_characters=["merchant"])
    outcome, _ = await play(turn_rig, director=plan(), snapshot=snapshot)
    result = outcome.result.director
    assert (result.previous_node_id, result.current_node_id, result.transitioned) == ("market", "market", False)
    world = outcome.result.snapshot.world_state
    assert world.active_characters == ["merchant"] and "current_event" not in world.custom


async def test_no_matching_transition_keeps_the_node(turn_rig: TurnRig) -> None:
    snapshot = start_snapshot(custom={"gate_open": False})
    outcome, _ = await play(turn_rig, director=plan(), snapshot=snapshot)
    assert not outcome.result.director.transitioned and outcome.result.snapshot.world_state.current_node == "dock"


async def test_describe_transition_shows_the_previous_node_to_the_narrator(turn_rig: TurnRig) -> None:
    snapshot = start_snapshot(custom={"gate_open": True})
    await play(
        turn_rig,
        director=plan(narrator_beat("DescribeTransition"), narrator_beat("DescribeScene")),
        narrator=[["You walk."], ["Lanterns."]],
        snapshot=snapshot,
    )
    (_, transition_user), (_, scene_user) = await turn_rig.prompts(Agent.NARRATOR)
    assert "id:\ndock" in transition_user and "id:\nmarket" in transition_user
    assert "id:\ndock" not in scene_user and "Previous Node:" not in scene_user and "null" not in scene_user


# -- progression fallback and the Keeper filter -------------------------------------------------


async def test_progression_fallback_restates_the_condition_of_the_transition_taken(turn_rig: TurnRig) -> None:
    outcome, log = await play(
        turn_rig,
        director=plan(),
        first={"ops": [{"type": "SetState", "key": "gate_open", "value": True}]},
        second={"ops": [{"type": "SetState", "key": "noise", "value": 1}]},
    )
    expected = [
        {"type": "SetState", "key": "noise", "value": 1},
        {"type": "SetState", "key": "gate_open", "value": True},
    ]
    assert log.of_type("keeper_applied")[1]["update"] == {"ops": expected}
    assert CODEC.unstructure(outcome.result.second_keeper.update) == {"ops": expected}


async def test_progression_fallback_yields_to_the_keepers_own_op_on_that_key(turn_rig: TurnRig) -> None:
    outcome, _ = await play(
        turn_rig,
        director=plan(),
        first={"ops": [{"type": "SetState", "key": "gate_open", "value": True}]},
        second={"ops": [{"type": "RemoveState", "key": "gate_open"}]},
    )
    assert CODEC.unstructure(outcome.result.second_keeper.update) == {
        "ops": [{"type": "RemoveState", "key": "gate_open"}]
    }
    assert "gate_open" not in outcome.result.snapshot.world_state.custom


async def test_no_fallback_without_a_transition(turn_rig: TurnRig) -> None:
    outcome, _ = await play(turn_rig, director=plan())
    assert outcome.result.second_keeper.update.ops == []


async def test_keeper_ops_naming_characters_outside_the_cast_are_dropped(turn_rig: TurnRig) -> None:
    ops = [
        {"type": "SetCharacterState", "character": "ghost", "key": "mood", "value": "sad"},
        {"type": "SetCharacterState", "character": "merchant", "key": "trust", "value": 1},
        {"type": "AddActiveCharacter", "character": "ghost"},
        {"type": "AddActiveCharacter", "character": "guard"},
        {"type": "SetActiveCharacters", "characters": ["merchant", "ghost"]},
        {"type": "SetState", "key": "weather", "value": "rain"},
    ]
    outcome, log = await play(turn_rig, director=plan(), first={"ops": ops})
    kept = [ops[1], ops[3], ops[5]]
    assert log.of_type("keeper_applied")[0]["update"] == {"ops": kept}
    assert CODEC.unstructure(outcome.result.first_keeper.update) == {"ops": kept}
    world = outcome.result.snapshot.world_state
    assert world.active_characters == ["merchant", "guard"] and "ghost" not in world.character_state


# -- role actions ------------------------------------------------------------------------------


async def test_create_and_enter_creates_a_session_character_that_can_act(turn_rig: TurnRig) -> None:
    outcome, log = await play(
        turn_rig,
        director=plan(actor_beat("dock_hand", "AdvanceGoal"), role_actions=[create("dock_hand")]),
        actor=[["<dialogue>Psst.</dialogue>"]],
        second={"ops": [{"type": "AddActiveCharacter", "character": "dock_hand"}]},
    )
    assert log.types()[3:7] == [
        "director_completed",
        "session_character_created",
        "session_character_entered_scene",
        "actor_started",
    ]
    director, created, entered = log.wire()[3:6]
    assert director["snapshot"]["world_state"]["active_characters"] == ["merchant"]
    assert created["session_character"] == {
        "session_character_id": "dock_hand",
        "display_name": "Dock Hand",
        "personality": "Nervous.",
        "style": "Mumbles.",
        "system_prompt": "You owe money.",
        "in_scene": True,
        "created_at_ms": NOW_MS,
        "updated_at_ms": NOW_MS,
    }
    assert created["snapshot"]["world_state"]["active_characters"] == ["merchant", "dock_hand"]
    assert entered == {
        "type": "session_character_entered_scene",
        "session_character_id": "dock_hand",
        "snapshot": created["snapshot"],
    }
    assert outcome.new_session_characters == [
        CreateAndEnter("dock_hand", "Dock Hand", "Nervous.", "Mumbles.", "You owe money.")
    ]
    assert outcome.created_at_ms == {"dock_hand": NOW_MS}
    assert outcome.transcript[-1] == TranscriptLine(MessageKind.DIALOGUE, "dock_hand", "Dock Hand", "Psst.")
    # the new character is part of the cast for the Keeper filter
    assert outcome.result.second_keeper.update.ops == [AddActiveCharacter("dock_hand")]
    [(actor_system, _)] = await turn_rig.prompts(Agent.ACTOR)
    assert "CHARACTER_ID:\ndock_hand" in actor_system and "CHARACTER_SYSTEM_PROMPT:\nYou owe money." in actor_system


async def test_create_and_enter_of_a_known_session_character_reenters_it(turn_rig: TurnRig) -> None:
    known = CastMember("dock_hand", "Old Name", "Calm.", "Plain.", "Old prompt.")
    outcome, log = await play(
        turn_rig,
        director=plan(actor_beat("dock_hand"), role_actions=[create("dock_hand", "New Name")]),
        actor=[["<action>Waves.</action>"]],
        session_cast={"dock_hand": known},
    )
    assert "session_character_created" not in log.types()
    [entered] = log.of_type("session_character_entered_scene")
    assert entered["snapshot"]["world_state"]["active_characters"] == ["merchant", "dock_hand"]
    assert outcome.new_session_characters == [] and outcome.created_at_ms == {}
    assert outcome.result.completed_beats[0].response.speaker_name == "New Name"  # type: ignore[union-attr]


async def test_leave_scene_removes_an_active_character_and_ignores_an_absent_one(turn_rig: TurnRig) -> None:
    outcome, log = await play(
        turn_rig,
        director=plan(
            role_actions=[
                {"type": "leave_scene", "session_character_id": "guard"},
                {"type": "leave_scene", "session_character_id": "merchant"},
            ]
        ),
    )
    assert log.of_type("session_character_left_scene") == [
        {
            "type": "session_character_left_scene",
            "session_character_id": "merchant",
            "snapshot": log.of_type("session_character_left_scene")[0]["snapshot"],
        }
    ]
    assert log.of_type("session_character_left_scene")[0]["snapshot"]["world_state"]["active_characters"] == []
    assert outcome.result.snapshot.world_state.active_characters == []


async def test_a_create_and_enter_of_a_story_character_is_dropped(turn_rig: TurnRig) -> None:
    outcome, log = await play(turn_rig, director=plan(narrator_beat(), role_actions=[create("guard")]))
    assert outcome.result.director.response_plan.role_actions == []
    assert outcome.new_session_characters == [] and "session_character_created" not in log.types()


# -- beats that fail -----------------------------------------------------------------------------


@pytest.mark.parametrize("speaker", ["ghost", "guard"], ids=["unknown", "not_active"])
async def test_an_actor_beat_for_an_invalid_speaker_fails_after_earlier_beats(turn_rig: TurnRig, speaker: str) -> None:
    failure, log = await fail(turn_rig, director=plan(narrator_beat(), actor_beat(speaker)), narrator=[["Fog."]])
    assert failure.stage is TurnStage.ACTOR and failure.code == 50001
    assert failure.message == (
        f"turn failed during Actor: actor beat references invalid speaker_id '{speaker}' for node 'dock'"
    )
    assert log.types()[-1] == "narrator_completed"


async def test_actor_text_outside_the_tags_is_kept_as_dialogue_and_the_turn_goes_on(turn_rig: TurnRig) -> None:
    outcome, log = await play(
        turn_rig, director=plan(actor_beat()), actor=[["<dialogue>Hi.</dialogue>", " Merchant: hello"]]
    )
    deltas = [event["delta"] for event in log.of_type("actor_dialogue_delta")]
    assert deltas == ["Hi.", "Merchant: hello"]
    [beat] = outcome.result.completed_beats
    assert [(s.kind.value, s.text) for s in beat.response.segments] == [  # type: ignore[union-attr]
        ("dialogue", "Hi."),
        ("dialogue", "Merchant: hello"),
    ]


async def test_an_actor_answer_without_text_fails_the_turn(turn_rig: TurnRig) -> None:
    failure, log = await fail(turn_rig, director=plan(actor_beat()), actor=[["<dialogue>", " </dialogue>"]])
    assert failure.stage is TurnStage.ACTOR and failure.code == 50001
    assert failure.message == "turn failed during Actor: stream parse error: actor output contained no text"
    assert "actor_completed" not in log.types()
    assert len(await turn_rig.requests(Agent.ACTOR)) == 1


async def test_a_blank_narration_fails_the_turn(turn_rig: TurnRig) -> None:
    failure, log = await fail(turn_rig, director=plan(narrator_beat()), narrator=[["  ", "\n "]])
    assert failure.stage is TurnStage.NARRATOR and failure.code == 50001
    assert failure.message == "turn failed during Narrator: narrator output contained no text"
    assert log.types()[-1] != "narrator_completed"


# -- JSON agents: repair and failure --------------------------------------------------------------


async def test_invalid_director_output_is_repaired_once(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.DIRECTOR, {"text": '```json\n{"beats": [{"type": "Singer"}]}\n```'})
    outcome, _ = await play(turn_rig, director=plan(narrator_beat()), narrator=[["Calm."]])
    assert [type(beat).__name__ for beat in outcome.result.director.response_plan.beats] == ["NarratorBeat"]
    _first, repair = await turn_rig.prompts(Agent.DIRECTOR)
    assert repair[1].startswith("TARGET:\nresponse_plan\n\nPARSER_ERROR:\n")


async def test_director_output_still_invalid_after_the_repair_fails_with_50002(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.DIRECTOR, {"text": '{"beats": [{"type": "Narrator", "purpose": "Sing"}]}'})
    failure, log = await fail(turn_rig, director={"beats": "nope"})
    assert failure.stage is TurnStage.DIRECTOR and failure.code == 50002
    assert failure.message.startswith("turn failed during Director: structured output parse error: output.beats")
    assert log.types()[-1] == "keeper_applied"


async def test_a_keeper_set_current_node_is_invalid_and_repaired(turn_rig: TurnRig) -> None:
    await turn_rig.script_json(Agent.KEEPER, {"ops": [{"type": "SetCurrentNode", "node_id": "alley"}]})
    outcome, _ = await play(turn_rig, director=plan(), first={"ops": [{"type": "SetState", "key": "x", "value": 1}]})
    assert outcome.result.snapshot.world_state.current_node == "dock"
    assert outcome.result.snapshot.world_state.custom == {"x": 1}
    _, repair, _ = await turn_rig.prompts(Agent.KEEPER)
    assert repair[1].startswith("TARGET:\nstate_update\n\nPARSER_ERROR:\noutput.ops[0]: SetCurrentNode")


async def test_keeper_output_still_invalid_after_the_repair_fails_with_50002(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.KEEPER, {"text": "no json here"})
    failure, log = await fail(turn_rig, director=plan(), first={"ops": [{"type": "SetCurrentNode", "node_id": "x"}]})
    assert failure.stage is TurnStage.KEEPER_AFTER_PLAYER_INPUT and failure.code == 50002
    assert failure.message.startswith("turn failed during KeeperAfterPlayerInput: structured output parse error:")
    assert log.types() == ["turn_started", "player_input_recorded"]


# -- provider failures at each stage ----------------------------------------------------------------

UNAUTHORIZED = {"status": 401, "error_message": "bad key"}


async def test_a_provider_failure_of_the_first_keeper(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.KEEPER, UNAUTHORIZED)
    failure, _ = await fail(turn_rig, director=plan())
    assert (failure.stage, failure.code) == (TurnStage.KEEPER_AFTER_PLAYER_INPUT, 50002)
    assert failure.message == "turn failed during KeeperAfterPlayerInput: authentication failed"


async def test_a_provider_failure_of_the_director(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.DIRECTOR, UNAUTHORIZED)
    failure, _ = await fail(turn_rig, director=plan())
    assert (failure.stage, failure.code) == (TurnStage.DIRECTOR, 50002)
    assert failure.message == "turn failed during Director: authentication failed"


async def test_a_provider_failure_of_the_narrator(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.NARRATOR, UNAUTHORIZED)
    failure, log = await fail(turn_rig, director=plan(narrator_beat()))
    assert (failure.stage, failure.code) == (TurnStage.NARRATOR, 50002)
    assert log.types()[-1] == "narrator_started"


async def test_a_provider_failure_of_the_actor(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.ACTOR, UNAUTHORIZED)
    failure, _ = await fail(turn_rig, director=plan(actor_beat()))
    assert (failure.stage, failure.code) == (TurnStage.ACTOR, 50002)
    assert failure.message == "turn failed during Actor: authentication failed"


async def test_a_provider_failure_of_the_second_keeper(turn_rig: TurnRig) -> None:
    await turn_rig.script_json(Agent.KEEPER, NO_OPS)
    await turn_rig.script(Agent.KEEPER, UNAUTHORIZED)
    failure, log = await fail(turn_rig, director=plan(narrator_beat()), narrator=[["Done."]])
    assert (failure.stage, failure.code) == (TurnStage.KEEPER_AFTER_TURN_OUTPUTS, 50002)
    assert log.types()[-1] == "narrator_completed"


async def test_a_transient_failure_before_any_delta_is_retried(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.NARRATOR, {"status": 503})
    outcome, _ = await play(turn_rig, director=plan(narrator_beat()), narrator=[["Back."]])
    assert outcome.result.completed_beats[0].response.text == "Back."  # type: ignore[union-attr]
    assert len(await turn_rig.requests(Agent.NARRATOR)) == 2


async def test_a_turn_over_the_anthropic_provider(turn_rig: TurnRig) -> None:
    clients = {agent.value: turn_rig.llm.client_for(turn_rig.api(agent, Provider.ANTHROPIC)) for agent in TURN_AGENTS}
    outcome, log = await play(
        turn_rig,
        director=plan(narrator_beat(), actor_beat()),
        narrator=[["Gulls ", "cry."]],
        actor=[["<dialogue>Ahoy</dia", "logue>"]],
        clients=clients,
    )
    assert [e["delta"] for e in log.of_type("narrator_text_delta")] == ["Gulls ", "cry."]
    assert [e["delta"] for e in log.of_type("actor_dialogue_delta")] == ["Ahoy"]
    assert [line.text for line in outcome.transcript] == ["I ask about the gate.", "Gulls cry.", "Ahoy"]
    assert {request["path"] for request in await turn_rig.stub.control.requests()} == {"/v1/messages"}
