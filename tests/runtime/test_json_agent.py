"""The JSON-agent call: fence stripping, decoding, one repair call, then 50002."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.agents import call_json_agent
from runtime.agents._json_agent import Decoded, JsonCallPlan
from runtime.codec import CODEC
from runtime.errors import ProviderError
from runtime.llm import ChatRequest
from runtime.model.apis import Agent
from runtime.model.llm_calls import CallKind, CallOutcome
from runtime.model.state import StateUpdate
from runtime.presets import RepairTarget
from tests.support.queued_chat import QueuedClient


def decode_update(value: dict[str, Any]) -> Decoded[StateUpdate]:
    return Decoded(CODEC.structure(value, StateUpdate, path="output"))


REQUEST = ChatRequest(Agent.KEEPER, "system", "user")


async def test_fenced_output_is_used_without_repair() -> None:
    client = QueuedClient(['```json\n{"ops": []}\n```'])
    answer = await call_json_agent(client, REQUEST, decode_update, JsonCallPlan(RepairTarget.STATE_UPDATE))
    assert answer.value == StateUpdate([]) and not answer.repaired
    assert client.requests[0].json_mode and client.verdicts == [None]
    assert answer.response.structured_output == {"ops": []}


async def test_text_around_the_object_is_left_aside() -> None:
    client = QueuedClient(['Here is the update: {"ops": []} Hope this helps!'])
    answer = await call_json_agent(client, REQUEST, decode_update, JsonCallPlan(RepairTarget.STATE_UPDATE))
    assert answer.value == StateUpdate([]) and not answer.repaired


async def test_bad_output_gets_one_repair_call_with_the_four_sections() -> None:
    client = QueuedClient(['{"ops": [{"type": "Teleport"}]}', '{"ops": []}'])
    answer = await call_json_agent(client, REQUEST, decode_update, JsonCallPlan(RepairTarget.STATE_UPDATE))
    assert answer.repaired and answer.value == StateUpdate([])
    repair = client.requests[1].user
    assert client.requests[1].call_kind is CallKind.REPAIR
    assert client.verdicts[0] is not None and client.verdicts[0][0] is CallOutcome.INVALID_OUTPUT
    assert repair.startswith("TARGET:\nstate_update\n\nPARSER_ERROR:\noutput.ops[0]: unknown op")
    assert "EXPECTED_SHAPE:" in repair and repair.endswith('RAW_OUTPUT:\n{"ops": [{"type": "Teleport"}]}')


async def test_output_still_bad_after_the_repair_is_a_provider_error() -> None:
    client = QueuedClient(["not json", "still not json"])
    with pytest.raises(ProviderError, match=r"^structured output parse error: invalid JSON") as caught:
        await call_json_agent(client, REQUEST, decode_update, JsonCallPlan(RepairTarget.STATE_UPDATE))
    assert caught.value.code == 50002 and len(client.requests) == 2
