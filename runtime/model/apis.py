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
    """An api as stored. The key is a secret: it never leaves the server."""

    api_id: str
    display_name: str
    provider: Provider
    base_url: str
    model: str
    api_key: str = secret()
    prices: ApiPrices | None = omittable()


@attrs.frozen
class Api:
    api_id: str
    display_name: str
    provider: Provider
    base_url: str
    model: str
    has_api_key: bool
    api_key_masked: str | None = omittable()
    prices: ApiPrices | None = omittable()


@attrs.frozen
class ApiCreateParams:
    api_id: str
    display_name: str
    provider: Provider
    base_url: str
    model: str
    api_key: str = secret()
    prices: ApiPrices | None = None


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
    # Unlike the other fields, null is not "omitted": it removes the prices (KEEP_PRICES when absent).
    prices: ApiPrices | None = KEEP_PRICES


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
