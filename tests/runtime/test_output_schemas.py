"""The schemas sent for constrained decoding agree with the decoders they are generated from.

Property tests: every value a schema accepts decodes (and, for the Keeper, keeps every op); a
value the decoder refuses is refused by the schema too; and every schema that claims to follow
OpenAI's strict rules passes the stub's own, separately written, strict check.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.agents._architect_output import _DraftOutput, _GraphOutput
from runtime.agents._output_schemas import (
    ArchitectKnowledge,
    architect_schema,
    director_schema,
    keeper_schema,
    replyer_schema,
)
from runtime.agents.director import decode_response_plan
from runtime.agents.keeper import state_update_decoder
from runtime.agents.replyer import ReplyerOutput
from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.json_schema import is_strict_expressible, record_schema, without_keywords
from runtime.model.presets import ArchitectMode
from runtime.model.schemas import StateFieldSchema, ValueType
from runtime.model.turns import ActorBeat, ResponsePlan
from runtime.state import DeclaredFields
from tests.support.schema_values import values_of
from transport.llm_stub._schemas import strict_schema_problem

DECLARED = DeclaredFields(
    world={
        "gate_open": StateFieldSchema(ValueType.BOOL),
        "alarm": StateFieldSchema(ValueType.STRING, enum_values=["calm", "alert"]),
        "coins_found": StateFieldSchema(ValueType.INT),
        "heat": StateFieldSchema(ValueType.FLOAT),
        "clues": StateFieldSchema(ValueType.ARRAY),
    },
    player={"courage": StateFieldSchema(ValueType.INT, enum_values=[1, 2, 3])},
    characters={"merchant": {"trust": StateFieldSchema(ValueType.INT), "mood": StateFieldSchema(ValueType.STRING)}},
)
CAST = ["merchant", "guard"]
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def decode_keeper(value: dict[str, Any]) -> Any:
    decoded = state_update_decoder(DECLARED)(value)
    assert decoded.warnings == ()  # a schema-valid op is never dropped by the checks after decoding
    return decoded.value


def decode_director(value: dict[str, Any]) -> Any:
    plan = decode_response_plan(value).value
    assert all(beat.speaker_id in CAST for beat in plan.beats if isinstance(beat, ActorBeat))
    return plan


def decode_replies(value: dict[str, Any]) -> Any:
    output = CODEC.structure(value, ReplyerOutput, path="output")
    assert 1 <= len(output.replies) <= 3
    return output


def shape_decoder(record_type: type) -> Callable[[dict[str, Any]], Any]:
    return lambda value: CODEC.structure(value, record_type, path="output")


KNOWN = ArchitectKnowledge(existing_ids=["dock", "market"], cast_ids=CAST, declared=DECLARED)
CASES: dict[str, tuple[dict[str, Any], Callable[[dict[str, Any]], Any]]] = {
    "keeper": (keeper_schema(DECLARED, CAST), decode_keeper),
    "director": (director_schema(CAST), decode_director),
    "replyer": (replyer_schema(ReplyerOutput, 3), decode_replies),
    "draft_init": (
        architect_schema(ArchitectMode.DRAFT_INIT, ArchitectKnowledge(cast_ids=CAST)),
        shape_decoder(_DraftOutput),
    ),
    "draft_continue": (architect_schema(ArchitectMode.DRAFT_CONTINUE, KNOWN), shape_decoder(_DraftOutput)),
    "graph": (architect_schema(ArchitectMode.GRAPH, ArchitectKnowledge(cast_ids=CAST)), shape_decoder(_GraphOutput)),
}
STRICT = {"keeper", "director", "replyer", "draft_continue"}


@pytest.mark.parametrize("name", list(CASES))
def test_every_value_the_schema_accepts_decodes(name: str) -> None:
    schema, decode = CASES[name]

    @PROPERTY_SETTINGS
    @given(values_of(schema))
    def check(value: dict[str, Any]) -> None:
        decode(value)

    check()


MUTATIONS = ["drop_key", "extra_key", "wrong_type", "wrong_enum"]


@pytest.mark.parametrize("name", list(CASES))
def test_a_value_the_decoder_refuses_is_refused_by_the_schema(name: str) -> None:
    schema, decode = CASES[name]
    validator = jsonschema.Draft202012Validator(schema)

    @PROPERTY_SETTINGS
    @given(values_of(schema), st.sampled_from(MUTATIONS), st.randoms(use_true_random=False))
    def check(value: dict[str, Any], mutation: str, rng: Any) -> None:
        mutated = mutate(value, mutation, rng)
        try:
            decode(mutated)
        except (InvalidParams, AssertionError):
            assert not validator.is_valid(mutated), mutated

    check()


def mutate(value: dict[str, Any], mutation: str, rng: Any) -> Any:
    """`value` with one object somewhere in it broken the named way."""
    mutated = copy.deepcopy(value)
    objects = [item for item in _walk(mutated) if isinstance(item, dict)]
    target = rng.choice(objects)
    keys = sorted(target)
    if mutation == "extra_key" or not keys:
        target["unexpected_key"] = 1
    elif mutation == "drop_key":
        del target[rng.choice(keys)]
    elif mutation == "wrong_type":
        key = rng.choice(keys)
        target[key] = {"nested": True} if not isinstance(target[key], dict) else 7
    else:
        key = rng.choice(keys)
        target[key] = "NotOneOfTheValues"
    return mutated


def _walk(value: Any) -> list[Any]:
    found = [value]
    if isinstance(value, dict):
        for item in value.values():
            found += _walk(item)
    elif isinstance(value, list):
        for item in value:
            found += _walk(item)
    return found


@pytest.mark.parametrize("name", list(CASES))
def test_a_schema_is_strict_exactly_when_the_stubs_strict_check_accepts_it(name: str) -> None:
    schema, _ = CASES[name]
    sent = without_keywords(schema)
    assert is_strict_expressible(schema) is (name in STRICT)
    if name in STRICT:
        assert strict_schema_problem(sent) is None
    else:
        assert strict_schema_problem(sent) is not None


def test_the_generated_plan_schema_is_the_decoders_record_with_every_key_required() -> None:
    schema = record_schema(ResponsePlan)
    assert schema["required"] == ["role_actions", "beats"] and schema["additionalProperties"] is False
    beat_types = [branch["properties"]["type"] for branch in schema["properties"]["beats"]["items"]["anyOf"]]
    assert beat_types == [{"type": "string", "enum": ["Narrator"]}, {"type": "string", "enum": ["Actor"]}]


def test_the_keeper_schema_types_each_declared_key_and_leaves_out_set_current_node() -> None:
    schema = keeper_schema(DECLARED, CAST)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"ops": [{"type": "SetState", "key": "gate_open", "value": True}]})
    assert not validator.is_valid({"ops": [{"type": "SetState", "key": "gate_open", "value": "true"}]})
    assert not validator.is_valid({"ops": [{"type": "SetState", "key": "gate_open,tide=123", "value": True}]})
    assert not validator.is_valid({"ops": [{"type": "SetPlayerState", "key": "courage", "value": 5}]})
    assert not validator.is_valid({"ops": [{"type": "SetCurrentNode", "node_id": "dock"}]})
    assert not validator.is_valid({"ops": [{"type": "AddActiveCharacter", "character": "stranger"}]})
    assert validator.is_valid(
        {"ops": [{"type": "SetCharacterState", "character": "merchant", "key": "trust", "value": 2}]}
    )
    assert not validator.is_valid(
        {"ops": [{"type": "SetCharacterState", "character": "guard", "key": "trust", "value": 2}]}
    )


def test_a_keeper_without_declared_variables_or_cast_may_only_write_no_ops() -> None:
    schema = keeper_schema(DeclaredFields(), [])
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"ops": []})
    assert not validator.is_valid({"ops": [{"type": "SetState", "key": "x", "value": 1}]})
    assert strict_schema_problem(without_keywords(schema)) is None


def test_a_director_with_nobody_present_may_plan_narration_only() -> None:
    validator = jsonschema.Draft202012Validator(director_schema([]))
    assert validator.is_valid({"role_actions": [], "beats": [{"type": "Narrator", "purpose": "DescribeScene"}]})
    assert not validator.is_valid(
        {"role_actions": [], "beats": [{"type": "Actor", "speaker_id": "merchant", "purpose": "AdvanceGoal"}]}
    )


def test_continuing_a_draft_holds_conditions_to_declared_variables() -> None:
    validator = jsonschema.Draft202012Validator(architect_schema(ArchitectMode.DRAFT_CONTINUE, KNOWN))

    def bundle(condition: dict[str, Any]) -> dict[str, Any]:
        node = {
            "id": "alley",
            "title": "Alley",
            "scene": "s",
            "goal": "g",
            "characters": ["merchant"],
            "transitions": [{"to": "dock", "condition": condition}],
            "on_enter_updates": [],
        }
        patch = {"node_id": "market", "add_transitions": [{"to": "alley", "condition": None}]}
        return {"nodes": [node], "transition_patches": [patch], "section_summary": "More."}

    good = {"scope": "global", "character": None, "key": "gate_open", "op": "eq", "value": True}
    assert validator.is_valid(bundle(good))
    assert not validator.is_valid(bundle({**good, "value": "true"}))
    assert not validator.is_valid(bundle({**good, "key": "gate_closed"}))
    assert not validator.is_valid(bundle({**good, "scope": "player"}))
