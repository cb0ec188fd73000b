"""`api.list_models`: ask a provider which models it offers (PROTOCOL §6.3). Nothing is stored."""

from __future__ import annotations

from runtime.errors import BackendError
from runtime.llm import ChatClients, provider_endpoint
from runtime.model.apis import ApiListModelsParams, ApiModelsListed
from runtime.services._services import Services


def require_llm(services: Services) -> ChatClients:
    """The LLM clients, or BackendError when this process was started without them."""
    if services.llm is None:
        raise BackendError("no LLM clients are configured in this process")
    return services.llm


async def list_models(services: Services, params: ApiListModelsParams) -> ApiModelsListed:
    """Ask a provider which models it offers, with a URL and key given in the call; nothing is stored.

    The provider's model ids in its order; -32602 for a blank key, 50002 when the provider fails.
    """
    endpoint = provider_endpoint(params.provider, params.base_url, params.api_key)
    models = await require_llm(services).list_models(endpoint)
    return ApiModelsListed(provider=endpoint.provider, base_url=endpoint.base_url, models=models)
