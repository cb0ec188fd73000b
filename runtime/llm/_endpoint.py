"""Where a provider is reached: the normalised base URL and key, validated when a client is built."""

from __future__ import annotations

import attrs

from runtime.errors import InvalidParams
from runtime.model._fields import secret
from runtime.model.apis import Provider

PROVIDER_NAMES = {Provider.OPEN_AI: "OpenAI", Provider.ANTHROPIC: "Anthropic"}
"""How `invalid configuration: {name} API key is required` names each provider."""


@attrs.frozen
class ProviderEndpoint:
    provider: Provider
    base_url: str
    api_key: str = secret()


def provider_endpoint(provider: Provider, base_url: str, api_key: str) -> ProviderEndpoint:
    """The endpoint with its URL trimmed and trailing `/` removed (PROTOCOL §15.1).

    Raises InvalidParams `invalid configuration: {Provider} API key is required` for a blank key.
    """
    key = api_key.strip()
    if not key:
        raise InvalidParams(f"invalid configuration: {PROVIDER_NAMES[provider]} API key is required")
    return ProviderEndpoint(provider, base_url.strip().rstrip("/"), key)


def require_model(model: str) -> str:
    """The trimmed model name; InvalidParams `invalid configuration: model is required` when blank."""
    name = model.strip()
    if not name:
        raise InvalidParams("invalid configuration: model is required")
    return name
