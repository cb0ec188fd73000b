"""The JSON-agent call: fence stripping, decoding, one repair call, then 50002."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from runtime.agents import call_json_agent
from runtime.codec import CODEC
from runtime.errors import ProviderError
from runtime.llm import ChatMessage, ChatRequest, ChatResponse, ChatRole
from runtime.model.apis import Agent
from runtime.model.state import StateUpdate
from runtime.presets import RepairTarget


@attrs.define
class QueuedClient:
    """A chat client that answers from a queue and remembers what it was asked."""

    answers: list[str]
    requests: list[ChatRequest] = attrs.field(factory=list)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        return ChatResponse(ChatMessage(ChatRole.ASSISTANT, self.answers.pop(0)), "m")

    def stream(self, request: ChatRequest) -> Any:
        raise AssertionError("JSON agents never stream")


def decode_update(value: dict[str, Any]) -> StateUpdate:
    return CODEC.structure(value, StateUpdate, path="output")


REQUEST = ChatRequest(Agent.KEEPER, "system", "user")


async def test_fenced_output_is_used_without_repair() -> None:
    client = QueuedClient(['```json\n{"ops": []}\n```'])
    answer = await call_json_agent(client, REQUEST, decode_update, RepairTarget.STATE_UPDATE)
    assert answer.value == StateUpdate([]) and not answer.repaired
    assert client.requests[0].json_mode


async def test_bad_output_gets_one_repair_call_with_the_four_sections() -> None:
    client = QueuedClient(['{"ops": [{"type": "Teleport"}]}', '{"ops": []}'])
    answer = await call_json_agent(client, REQUEST, decode_update, RepairTarget.STATE_UPDATE)
    assert answer.repaired and answer.value == StateUpdate([])
    repair = client.requests[1].user
    assert repair.startswith("TARGET:\nstate_update\n\nPARSER_ERROR:\noutput.ops[0]: unknown op")
    assert "EXPECTED_SHAPE:" in repair and repair.endswith('RAW_OUTPUT:\n{"ops": [{"type": "Teleport"}]}')


async def test_output_still_bad_after_the_repair_is_a_provider_error() -> None:
    client = QueuedClient(["not json", "still not json"])
    with pytest.raises(ProviderError, match=r"^structured output parse error: invalid JSON") as caught:
        await call_json_agent(client, REQUEST, decode_update, RepairTarget.STATE_UPDATE)
    assert caught.value.code == 50002 and len(client.requests) == 2
