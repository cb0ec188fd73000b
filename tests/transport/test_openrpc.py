"""`rpc.discover` matches the decoder (issue 10, finding 8): a request built from the document
decodes for every method and every branch of its unions, and a value of the wrong type is refused."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.services import apis
from tests.support.openrpc_values import SchemaValues
from transport.code_docs import first_paragraph
from transport.methods import build_registry
from transport.openrpc import describe
from transport.registry import ALL_METHOD_NAMES, EXTENSION_METHOD_NAMES, Method, Registry
from transport.rpc import decode_params

REGISTRY = build_registry()
DOCUMENT: dict[str, Any] = CODEC.unstructure(describe(REGISTRY))
VALUES = SchemaValues(DOCUMENT)
METHODS = {method["name"]: method for method in DOCUMENT["methods"]}
BRANCHES = 12  # more than the largest union in any params (the StateOp variants)


def request_params(method: dict[str, Any], pick: int) -> dict[str, Any]:
    return {param["name"]: VALUES.example(param["schema"], pick) for param in method["params"] if param["required"]}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_a_request_built_from_the_document_decodes(name: str) -> None:
    registered = REGISTRY.get(name)
    assert registered is not None
    for pick in range(BRANCHES):
        decode_params(registered, request_params(METHODS[name], pick))


@pytest.mark.parametrize("name", sorted(METHODS))
def test_optional_params_from_the_document_decode_too(name: str) -> None:
    registered = REGISTRY.get(name)
    assert registered is not None
    everything = {param["name"]: VALUES.example(param["schema"]) for param in METHODS[name]["params"]}
    decode_params(registered, everything)


def test_every_state_op_in_the_document_names_its_type() -> None:
    update = next(p for p in METHODS["session.update_variables"]["params"] if p["name"] == "update")
    ops = VALUES.resolve(VALUES.resolve(update["schema"])["properties"]["ops"]["items"])
    types = {VALUES.resolve(option)["properties"]["type"]["const"] for option in ops["oneOf"]}
    assert {"SetState", "SetCurrentNode", "RemoveCharacterState"} <= types
    registered = REGISTRY.get("session.update_variables")
    assert registered is not None
    for option in ops["oneOf"]:
        decoded = decode_params(registered, {"update": {"ops": [VALUES.example(option)]}})
        assert type(decoded.update.ops[0]).__name__ == VALUES.resolve(option)["properties"]["type"]["const"]


@pytest.mark.parametrize("name", sorted(name for name, method in METHODS.items() if method["params"]))
def test_a_value_that_breaks_the_schema_is_refused(name: str) -> None:
    registered = REGISTRY.get(name)
    assert registered is not None
    method = METHODS[name]
    valid = request_params(method, 0)
    with pytest.raises(InvalidParams):
        decode_params(registered, {**valid, "no_such_param": 1})
    for param in method["params"]:
        wrong = VALUES.wrong_value(param["schema"])
        if wrong is None:
            continue  # the schema takes any value
        with pytest.raises(InvalidParams) as refused:
            decode_params(registered, {**valid, param["name"]: wrong})
        assert f"params.{param['name']}" in refused.value.message


def test_every_method_has_a_summary_and_every_param_a_description() -> None:
    """One source: the handler's docstring and the docstrings under the params' attrs fields."""
    assert len(METHODS) == len(ALL_METHOD_NAMES) + len(EXTENSION_METHOD_NAMES) + 1  # and rpc.discover
    for name, method in METHODS.items():
        assert method.get("summary"), f"{name}: no summary"
        assert "\n" not in method["summary"] and len(method["summary"]) <= 120, name
        for param in method["params"]:
            assert param.get("description"), f"{name}: params.{param['name']} has no description"


def test_summaries_and_descriptions_come_from_the_docstrings() -> None:
    assert METHODS["api.delete"]["summary"] == first_paragraph(apis.delete_api.__doc__)
    params = {param["name"]: param for param in METHODS["api.update"]["params"]}
    assert params["prices"]["description"] == "New prices; omitted keeps the stored ones, `null` removes them."
    prices = DOCUMENT["components"]["schemas"]["ApiPrices"]["properties"]
    assert "description" not in prices["currency"]  # a field without a docstring has none


def test_the_registry_takes_protocol_extension_and_discover_names_and_refuses_others() -> None:
    async def handler(call: object, params: object) -> None:
        return None

    names = [ALL_METHOD_NAMES[0], EXTENSION_METHOD_NAMES[0], "rpc.discover"]
    registry = Registry.build([[Method(name=name, handler=handler) for name in names]])
    assert all(registry.methods[name].implemented for name in names)
    with pytest.raises(ValueError, match="not in the protocol"):
        Registry.build([[Method(name="session.teleport", handler=handler)]])
    with pytest.raises(ValueError, match="defined twice"):
        Registry.build([[Method(name=names[1], handler=handler)] * 2])
