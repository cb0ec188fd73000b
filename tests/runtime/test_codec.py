"""The strict codec: no coercion, unknown keys refused, one-line messages with field paths."""

from __future__ import annotations

import enum
from typing import Any, ClassVar

import attrs
import pytest

from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.model._fields import omittable
from runtime.model.state import SetState, StateUpdate


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@attrs.frozen
class Item:
    name: str
    tags: list[str] = attrs.field(factory=list)


@attrs.frozen
class Loose:
    codec_ignores_unknown_keys: ClassVar[bool] = True
    name: str


@attrs.frozen
class Params:
    limit: int
    ratio: float = 1.0
    flag: bool = False
    colour: Colour = Colour.RED
    items: list[Item] = attrs.field(factory=list)
    fields: dict[str, Item] = attrs.field(factory=dict)
    loose: Loose | None = None
    value: Any = None
    note: str | None = omittable()


def message_for(value: object) -> str:
    with pytest.raises(InvalidParams) as caught:
        CODEC.structure(value, Params)
    return caught.value.message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"limit": "5"}, "params.limit: expected int, got string"),
        ({"limit": 5.7}, "params.limit: expected int, got float"),
        ({"limit": 5.0}, "params.limit: expected int, got float"),
        ({"limit": True}, "params.limit: expected int, got boolean"),
        ({"limit": 2**70}, "params.limit: expected int, got int"),
        ({"limit": 1, "ratio": "1"}, "params.ratio: expected number, got string"),
        ({"limit": 1, "flag": 1}, "params.flag: expected boolean, got int"),
        ({}, "params.limit: missing required field"),
        ({"limit": 1, "bogus": 2}, "params.bogus: unknown field"),
        ({"limit": 1, "colour": "green"}, 'params.colour: expected one of red, blue, got "green"'),
        ({"limit": 1, "items": "abc"}, "params.items: expected array, got string"),
        ({"limit": 1, "items": {"a": 1}}, "params.items: expected array, got object"),
        ({"limit": 1, "items": [{"name": "a"}, {}]}, "params.items[1].name: missing required field"),
        ({"limit": 1, "fields": {"trust": {"name": 3}}}, "params.fields.trust.name: expected string, got int"),
        ({"limit": 1, "items": [{"name": "a", "x": 1}]}, "params.items[0].x: unknown field"),
    ],
)
def test_bad_values_are_named_by_path(value: object, message: str) -> None:
    assert message_for(value) == message


def test_several_failures_are_joined_on_one_line() -> None:
    assert message_for({"limit": "x", "flag": 2}) == (
        "params.limit: expected int, got string; params.flag: expected boolean, got int"
    )


def test_tolerant_classes_ignore_unknown_keys() -> None:
    assert CODEC.structure({"limit": 1, "loose": {"name": "a", "extra": 1}}, Params).loose == Loose("a")


def test_integers_are_accepted_as_floats_and_kept_as_given() -> None:
    assert CODEC.structure({"limit": 1, "ratio": 2}, Params).ratio == 2


def test_omittable_fields_are_left_out_when_none_and_nullable_fields_are_null() -> None:
    output = CODEC.unstructure(Params(limit=1))
    assert "note" not in output and output["loose"] is None and output["colour"] == "red"
    assert CODEC.unstructure(Params(limit=1, note="n"))["note"] == "n"


def test_tagged_unions_round_trip_and_name_unknown_tags() -> None:
    update = CODEC.structure({"ops": [{"type": "SetState", "key": "k", "value": [1]}]}, StateUpdate)
    assert update == StateUpdate([SetState("k", [1])])
    assert CODEC.unstructure(update) == {"ops": [{"type": "SetState", "key": "k", "value": [1]}]}
    with pytest.raises(InvalidParams, match=r'params.ops\[0\]: unknown op "Teleport"'):
        CODEC.structure({"ops": [{"type": "Teleport"}]}, StateUpdate)
    with pytest.raises(InvalidParams, match=r"params.ops\[0\].key: missing required field"):
        CODEC.structure({"ops": [{"type": "SetState", "value": 1}]}, StateUpdate)


def test_a_non_object_top_level_is_refused() -> None:
    with pytest.raises(InvalidParams, match="params: expected object, got array"):
        CODEC.structure([1], Params)
