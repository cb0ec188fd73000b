"""Calling a JSON agent: parse, decode and check its answer, with one repair call (PROTOCOL §9.5, R8).

Shared by the Architect, Director, Keeper and Replyer. The answer is streamed and ends as soon
as its JSON object is complete (a Dramaturg change: §9.1 calls JSON agents unstreamed), with
the agent's output schema sent for constrained decoding where the api's endpoint takes one.
A provider failure propagates as it is; only unusable output (not JSON, wrong shape, failed
checks) earns the repair call, and output still unusable after it fails with 50002
`structured output parse error: …`. Each call's telemetry says what became of its answer:
`invalid_output` with the first problem, `format_warning` when the decoder had to drop or
mend something, else ok.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

from runtime.agents._json_output import JsonOutputError, parse_json_object
from runtime.errors import InvalidParams, ProviderError
from runtime.llm import ChatClient, ChatRequest, ChatResponse
from runtime.model.chat import OutputSchema
from runtime.model.llm_calls import CallKind, CallOutcome
from runtime.presets import RepairTarget, repair_system_prompt, repair_user_message

T = TypeVar("T")


@attrs.frozen
class Decoded(Generic[T]):
    """A usable answer, and what the decoder dropped or mended on the way (a format warning each)."""

    value: T
    warnings: tuple[str, ...] = ()


Decode = Callable[[dict[str, Any]], Decoded[T]]
"""Turns the parsed JSON object into the agent's result; raises InvalidParams when it is unusable."""


@attrs.frozen
class JsonAnswer(Generic[T]):
    value: T
    response: ChatResponse  # the answer that was used: the repair's when there was one
    repaired: bool
    warnings: tuple[str, ...] = ()


@attrs.frozen
class JsonCallPlan:
    """How one JSON agent asks: its schema, its repair target, and the temperature of the repair
    call (None keeps the request's own)."""

    target: RepairTarget
    schema: OutputSchema | None = None
    repair_temperature: float | None = None


@attrs.frozen
class _Attempt(Generic[T]):
    response: ChatResponse
    decoded: Decoded[T] | None = None
    problem: str = ""


async def call_json_agent(
    client: ChatClient, request: ChatRequest, decode: Decode[T], plan: JsonCallPlan
) -> JsonAnswer[T]:
    """Ask, and repair once if the answer cannot be used. Raises ProviderError (50002)."""
    request = attrs.evolve(request, json_mode=True, output_schema=plan.schema)
    attempt = await _ask(client, request, decode)
    if attempt.decoded is not None:
        return JsonAnswer(attempt.decoded.value, attempt.response, repaired=False, warnings=attempt.decoded.warnings)
    repair = attrs.evolve(
        request,
        system=repair_system_prompt(plan.target),
        user=repair_user_message(plan.target, attempt.problem, attempt.response.message.content),
        call_kind=CallKind.REPAIR,
        temperature=request.temperature if plan.repair_temperature is None else plan.repair_temperature,
    )
    repaired = await _ask(client, repair, decode)
    if repaired.decoded is None:
        raise ProviderError(f"structured output parse error: {repaired.problem}")
    return JsonAnswer(repaired.decoded.value, repaired.response, repaired=True, warnings=repaired.decoded.warnings)


async def _ask(client: ChatClient, request: ChatRequest, decode: Decode[T]) -> _Attempt[T]:
    """One streamed call, judged: its answer decoded, or the first problem that made it unusable."""
    async with client.stream(request) as stream:
        async for _ in stream:
            pass
        response = stream.response
        try:
            value = parse_json_object(response.message.content)
            decoded = decode(value)
        except (JsonOutputError, InvalidParams) as problem:
            stream.judge(CallOutcome.INVALID_OUTPUT, problem.message)
            return _Attempt(response, problem=problem.message)
        if decoded.warnings:
            stream.judge(CallOutcome.FORMAT_WARNING, "; ".join(decoded.warnings))
    return _Attempt(attrs.evolve(response, structured_output=value), decoded)
