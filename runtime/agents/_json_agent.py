"""Calling a JSON agent: parse, decode and check its answer, with one repair call (PROTOCOL §9.5, R8).

Shared by the Architect, Director, Keeper and Replyer. A provider failure propagates as it
is; only unusable output (not JSON, wrong shape, failed checks) earns the repair call, and
output still unusable after it fails with 50002 `structured output parse error: …`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

from runtime.agents._json_output import JsonOutputError, parse_json_object
from runtime.errors import InvalidParams, ProviderError
from runtime.llm import ChatClient, ChatRequest, ChatResponse
from runtime.presets import RepairTarget, repair_system_prompt, repair_user_message

T = TypeVar("T")

Decode = Callable[[dict[str, Any]], T]
"""Turns the parsed JSON object into the agent's result; raises InvalidParams when it is unusable."""


@attrs.frozen
class JsonAnswer(Generic[T]):
    value: T
    response: ChatResponse  # the answer that was used: the repair's when there was one
    repaired: bool


def _use(response: ChatResponse, decode: Decode[T]) -> T:
    return decode(parse_json_object(response.message.content))


async def call_json_agent(
    client: ChatClient, request: ChatRequest, decode: Decode[T], target: RepairTarget
) -> JsonAnswer[T]:
    """Ask, and repair once if the answer cannot be used. Raises ProviderError (50002)."""
    request = attrs.evolve(request, json_mode=True)
    response = await client.complete(request)
    try:
        return JsonAnswer(_use(response, decode), response, repaired=False)
    except (JsonOutputError, InvalidParams) as problem:
        first_error = problem.message
    repair = attrs.evolve(
        request,
        system=repair_system_prompt(target),
        user=repair_user_message(target, first_error, response.message.content),
    )
    repaired = await client.complete(repair)
    try:
        return JsonAnswer(_use(repaired, decode), repaired, repaired=True)
    except (JsonOutputError, InvalidParams) as problem:
        raise ProviderError(f"structured output parse error: {problem.message}") from problem
