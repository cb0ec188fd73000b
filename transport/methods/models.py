"""Registration of `api.list_models`, which asks a provider for its models."""

from __future__ import annotations

from runtime.model.apis import ApiListModelsParams, ApiModelsListed
from runtime.services import models
from transport.registry import Method, forward

METHODS: list[Method] = [
    Method("api.list_models", ApiListModelsParams, "api_models_listed", ApiModelsListed, forward(models.list_models)),
]
