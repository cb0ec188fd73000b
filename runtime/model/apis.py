"""Stored LLM connections and agent-to-api bindings (PROTOCOL §6.3, §6.4)."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from runtime.model._fields import omittable, secret


class Provider(enum.Enum):
    OPEN_AI = "open_ai"
    ANTHROPIC = "anthropic"


class Agent(enum.Enum):
    PLANNER = "planner"
    ARCHITECT = "architect"
    DIRECTOR = "director"
    ACTOR = "actor"
    NARRATOR = "narrator"
    KEEPER = "keeper"
    REPLYER = "replyer"


class StructuredOutput(enum.Enum):
    """How an api's JSON agents send their output schema (a Dramaturg extension of PROTOCOL §15).

    `AUTO` tries the provider's strongest way first and falls back once per refusal (learned
    per api); the others name one way. `JSON_OBJECT_SCHEMA` and `JSON_OBJECT` exist for
    OpenAI-compatible endpoints only.
    """

    AUTO = "auto"
    JSON_SCHEMA = (
        "json_schema"  # open_ai: response_format json_schema (strict when expressible); anthropic: a forced tool
    )
    JSON_OBJECT_SCHEMA = "json_object_schema"  # open_ai: response_format json_object with a `schema` (llama.cpp)
    JSON_OBJECT = (
        "json_object"  # open_ai: response_format json_object, the schema only in the prompt (the reference's way)
    )
    NONE = "none"  # nothing but the prompt's output contract


PROVIDER_STRUCTURED_OUTPUTS: dict[Provider, tuple[StructuredOutput, ...]] = {
    Provider.OPEN_AI: tuple(StructuredOutput),
    Provider.ANTHROPIC: (StructuredOutput.AUTO, StructuredOutput.JSON_SCHEMA, StructuredOutput.NONE),
}
"""The modes each provider can use."""


# -- api ---------------------------------------------------------------------------------


@attrs.frozen
class ApiPrices:
    """What an api's tokens cost, for the cost of the analytics reports (a Dramaturg extension).

    Prices are per million tokens in `currency` (an ISO 4217 code such as `USD`); they apply to
    every call of the api, recorded before or after they were set.
    """

    input_per_million_tokens: float
    output_per_million_tokens: float
    currency: str = "USD"


KEEP_PRICES: Any = object()
"""`api.update` without `prices`: the stored prices stay. (`"prices": null` removes them.)"""


@attrs.frozen
class ApiRecord:
    """An api as stored. The key is a secret: it never leaves the server.

    `structured_output` None means `auto` (records stored before the field existed have none).
    """

    api_id: str
    display_name: str
    provider: Provider
    base_url: str
    model: str
    api_key: str = secret()
    prices: ApiPrices | None = omittable()
    structured_output: StructuredOutput | None = omittable()

    @property
    def structured_output_mode(self) -> StructuredOutput:
        return self.structured_output or StructuredOutput.AUTO


@attrs.frozen
class Api:
    """`structured_output` is the api's setting (`auto` when never set); `structured_output_in_use`
    the mode its next JSON call uses (for `auto`: what the endpoint was found to accept, else the
    first mode `auto` tries)."""

    api_id: str
    display_name: str
    provider: Provider
    base_url: str
    model: str
    has_api_key: bool
    api_key_masked: str | None = omittable()
    prices: ApiPrices | None = omittable()
    structured_output: StructuredOutput | None = omittable()
    structured_output_in_use: StructuredOutput | None = omittable()


@attrs.frozen
class ApiCreateParams:
    api_id: str
    """The new api's id, chosen by the client; trimmed, must not be empty or taken."""
    display_name: str
    """The name shown to people."""
    provider: Provider
    """Which protocol the api speaks: `open_ai` (and compatible servers) or `anthropic`."""
    base_url: str
    """The provider's base URL, an absolute http(s) URL such as `https://api.openai.com/v1`."""
    model: str
    """The model name sent with every call, such as `gpt-4o-mini`."""
    api_key: str = secret()
    """The provider's key; stored as given, never returned (answers show `api_key_masked`)."""
    prices: ApiPrices | None = None
    """What a million input and output tokens cost, for the cost in analytics reports (a Dramaturg extension)."""
    structured_output: StructuredOutput | None = omittable()
    """How JSON agents' output schemas are sent: `auto` (omitted), `json_schema`, `json_object_schema`,
    `json_object` or `none` (a Dramaturg extension)."""


@attrs.frozen
class ApiIdParams:
    api_id: str
    """The api's id (chosen by the client when it was created)."""


@attrs.frozen
class ApiUpdateParams:
    api_id: str
    """The api's id (chosen by the client when it was created)."""
    display_name: str | None = None
    """A new name; omitted keeps the stored one."""
    provider: Provider | None = None
    """A new provider (`open_ai` or `anthropic`); omitted keeps the stored one."""
    base_url: str | None = None
    """A new base URL; omitted keeps the stored one."""
    model: str | None = None
    """A new model name; omitted keeps the stored one."""
    api_key: str | None = secret(default=None)
    """A new key (rotation: the next call uses it); omitted keeps the stored one."""
    # Unlike the other fields, null is not "omitted": it removes the prices (KEEP_PRICES when absent).
    prices: ApiPrices | None = KEEP_PRICES
    """New prices; omitted keeps the stored ones, `null` removes them."""
    structured_output: StructuredOutput | None = None
    """A new structured-output mode; omitted keeps the stored one."""


@attrs.frozen
class ApiListModelsParams:
    provider: Provider
    """Which protocol the api speaks: `open_ai` (and compatible servers) or `anthropic`."""
    base_url: str
    """The provider's base URL, an absolute http(s) URL such as `https://api.openai.com/v1`."""
    api_key: str = secret()
    """The provider's key, used for this one request and not stored."""


@attrs.frozen
class ApisListed:
    apis: list[Api]


@attrs.frozen
class ApiModelsListed:
    provider: Provider
    base_url: str
    models: list[str]


@attrs.frozen
class ApiDeleted:
    api_id: str


# -- api group ---------------------------------------------------------------------------


@attrs.frozen
class ApiGroupBindings:
    planner_api_id: str
    architect_api_id: str
    director_api_id: str
    actor_api_id: str
    narrator_api_id: str
    keeper_api_id: str
    replyer_api_id: str

    def api_id_for(self, agent: Agent) -> str:
        return getattr(self, f"{agent.value}_api_id")

    def all_api_ids(self) -> list[str]:
        return [self.api_id_for(agent) for agent in Agent]


@attrs.frozen
class ApiGroup:
    api_group_id: str
    display_name: str
    bindings: ApiGroupBindings


@attrs.frozen
class ApiGroupCreateParams:
    api_group_id: str
    """The new api group's id, chosen by the client."""
    display_name: str
    """The name shown to people."""
    bindings: ApiGroupBindings
    """The api each of the seven agents calls (`planner_api_id` … `replyer_api_id`); each must exist."""


@attrs.frozen
class ApiGroupIdParams:
    api_group_id: str
    """The api group's id."""


@attrs.frozen
class ApiGroupUpdateParams:
    api_group_id: str
    """The api group's id."""
    display_name: str | None = None
    """A new name; omitted keeps the stored one."""
    bindings: ApiGroupBindings | None = None
    """All seven bindings, replacing the stored ones; omitted keeps them."""


@attrs.frozen
class ApiGroupsListed:
    api_groups: list[ApiGroup]


@attrs.frozen
class ApiGroupDeleted:
    api_group_id: str
