"""Stored LLM connections and agent-to-api bindings (PROTOCOL §6.3, §6.4)."""

from __future__ import annotations

import enum

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
    structured_output: StructuredOutput | None = omittable()
    structured_output_in_use: StructuredOutput | None = omittable()


@attrs.frozen
class ApiCreateParams:
    api_id: str
    display_name: str
    provider: Provider
    base_url: str
    model: str
    api_key: str = secret()
    structured_output: StructuredOutput | None = omittable()


@attrs.frozen
class ApiIdParams:
    api_id: str


@attrs.frozen
class ApiUpdateParams:
    api_id: str
    display_name: str | None = None
    provider: Provider | None = None
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = secret(default=None)
    structured_output: StructuredOutput | None = None


@attrs.frozen
class ApiListModelsParams:
    provider: Provider
    base_url: str
    api_key: str = secret()


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
    display_name: str
    bindings: ApiGroupBindings


@attrs.frozen
class ApiGroupIdParams:
    api_group_id: str


@attrs.frozen
class ApiGroupUpdateParams:
    api_group_id: str
    display_name: str | None = None
    bindings: ApiGroupBindings | None = None


@attrs.frozen
class ApiGroupsListed:
    api_groups: list[ApiGroup]


@attrs.frozen
class ApiGroupDeleted:
    api_group_id: str
