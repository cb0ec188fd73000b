"""Reply suggestions: history selection, sanitizing and the repair call, with the Replyer on the LLM stub
(PROTOCOL §13)."""

from __future__ import annotations

import pytest

from runtime.agents.replyer import ReplyItem, sanitize_replies
from runtime.errors import ProviderError
from runtime.model.apis import Agent
from runtime.model.sessions import MessageKind, SessionMessage, SuggestedReplies, SuggestedReply
from runtime.turns import select_reply_history, suggest_replies
from tests.runtime.turn_rig import TurnRig, default_configs


def message(sequence: int, kind: MessageKind, turn: int, text: str) -> SessionMessage:
    speaker = {"player_input": ("player", "Player"), "narration": ("narrator", "Narrator")}.get(
        kind.value, ("merchant", "Old Merchant")
    )
    return SessionMessage(f"m-{sequence}", kind, sequence, turn, 0, 0, 0, *speaker, text)


TRANSCRIPT = [
    message(0, MessageKind.NARRATION, 0, "Opening fog."),
    message(1, MessageKind.PLAYER_INPUT, 1, "Hello."),
    message(2, MessageKind.NARRATION, 1, "Rain starts."),
    message(3, MessageKind.DIALOGUE, 1, "Welcome."),
    message(4, MessageKind.PLAYER_INPUT, 2, "Show me the gate."),
    message(5, MessageKind.NARRATION, 2, "The gate creaks."),
    message(6, MessageKind.ACTION, 2, "Points north."),
    message(7, MessageKind.PLAYER_INPUT, 3, "Thanks."),
    message(8, MessageKind.DIALOGUE, 3, "Go on."),
]


# -- history selection -----------------------------------------------------------------------


def test_history_keeps_narration_only_from_the_latest_turn_with_narration() -> None:
    history = select_reply_history(list(reversed(TRANSCRIPT)), 8)
    assert [m.sequence for m in history] == [1, 3, 4, 5, 6, 7, 8]


def test_history_is_the_last_messages_by_sequence() -> None:
    assert [m.sequence for m in select_reply_history(TRANSCRIPT, 3)] == [6, 7, 8]
    assert select_reply_history(TRANSCRIPT, 0) == []


# -- sanitizing ---------------------------------------------------------------------------------


def test_sanitizing_trims_and_drops_empty_and_duplicate_texts() -> None:
    items = [ReplyItem("a", "  Go left. "), ReplyItem("b", "   "), ReplyItem("c", "Go left."), ReplyItem("d", "Wait.")]
    assert sanitize_replies(items, 5) == [SuggestedReply("a", "Go left."), SuggestedReply("d", "Wait.")]


def test_sanitizing_replaces_blank_and_duplicate_ids() -> None:
    items = [ReplyItem(" ", "One."), ReplyItem("x", "Two."), ReplyItem("x", "Three.")]
    assert sanitize_replies(items, 5) == [
        SuggestedReply("reply-1", "One."),
        SuggestedReply("x", "Two."),
        SuggestedReply("reply-3", "Three."),
    ]


def test_sanitizing_stops_at_the_limit() -> None:
    items = [ReplyItem(f"r{i}", f"Reply {i}.") for i in range(6)]
    assert [reply.reply_id for reply in sanitize_replies(items, 2)] == ["r0", "r1"]


# -- the Replyer call -----------------------------------------------------------------------------


async def test_suggestions_come_back_sanitized_and_the_prompt_shows_limit_and_history(turn_rig: TurnRig) -> None:
    await turn_rig.script_json(
        Agent.REPLYER,
        {
            "replies": [
                {"id": "ask", "text": " Ask about the gate. "},
                {"id": "ask", "text": "Leave."},
                {"id": "wait", "text": "Wait."},
                {"id": "more", "text": "One too many."},
            ]
        },
    )
    replies = await suggest_replies(turn_rig.setup(), TRANSCRIPT, 3)
    assert replies == SuggestedReplies(
        [
            SuggestedReply("ask", "Ask about the gate."),
            SuggestedReply("reply-2", "Leave."),
            SuggestedReply("wait", "Wait."),
        ]
    )
    [request] = await turn_rig.requests(Agent.REPLYER)
    response_format = request["body"]["response_format"]
    assert response_format["type"] == "json_schema" and response_format["json_schema"]["name"] == "replies"
    assert response_format["json_schema"]["schema"]["properties"]["replies"]["maxItems"] == 3
    assert request["body"]["stream"] is True and request["body"]["max_tokens"] == 512
    user = request["body"]["messages"][1]["content"]
    assert "\n3\n" in f"\n{user}\n"
    assert '- [turn:2|narrator|Narrator|"narration"] The gate creaks.' in user
    assert "Rain starts." not in user and "Opening fog." not in user
    assert "Output contract for the Replyer:" in request["body"]["messages"][0]["content"]


async def test_the_replyer_window_comes_from_its_config(turn_rig: TurnRig) -> None:
    await turn_rig.script_json(Agent.REPLYER, {"replies": [{"id": "a", "text": "Yes."}]})
    setup = turn_rig.setup(agents=default_configs(replyer={"replyer_session_history_limit": 2}))
    await suggest_replies(setup, TRANSCRIPT, 2)
    [(_, user)] = await turn_rig.prompts(Agent.REPLYER)
    assert "Go on." in user and "Thanks." in user and "Points north." not in user


async def test_no_usable_reply_earns_one_repair_call(turn_rig: TurnRig) -> None:
    await turn_rig.script_json(
        Agent.REPLYER, {"replies": [{"id": "a", "text": "  "}]}, {"replies": [{"id": "b", "text": "Fine."}]}
    )
    replies = await suggest_replies(turn_rig.setup(), TRANSCRIPT, 2)
    assert replies.replies == [SuggestedReply("b", "Fine.")]
    _, (_, repair_user) = await turn_rig.prompts(Agent.REPLYER)
    assert repair_user.startswith("TARGET:\nreplies\n\nPARSER_ERROR:\noutput.replies: no usable reply")


async def test_no_usable_reply_after_the_repair_is_a_provider_error(turn_rig: TurnRig) -> None:
    await turn_rig.script_json(Agent.REPLYER, {"replies": []}, {"replies": [{"id": "a"}]})
    with pytest.raises(ProviderError, match=r"^structured output parse error: output.replies") as caught:
        await suggest_replies(turn_rig.setup(), TRANSCRIPT, 2)
    assert caught.value.code == 50002
    assert len(await turn_rig.requests(Agent.REPLYER)) == 2


async def test_a_provider_failure_is_reported_as_it_is(turn_rig: TurnRig) -> None:
    await turn_rig.script(Agent.REPLYER, {"status": 401})
    with pytest.raises(ProviderError, match=r"^authentication failed$"):
        await suggest_replies(turn_rig.setup(), TRANSCRIPT, 2)
