"""Where a provider is reached: the normalised base URL and key, validated when an api is stored
and again when a client is built (an api stored by an older version is checked before its use).

A key goes into an HTTP header, so it must be printable ASCII without spaces: anything else
would fail inside the HTTP library, whose error quotes the header, key included. No message
here ever quotes a key.
"""

from __future__ import annotations

import attrs
import httpx

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
    check_api_key(key)
    url = base_url.strip().rstrip("/")
    check_base_url(url)
    return ProviderEndpoint(provider, url, key)


MAX_KEY_CHARS = 4096
MAX_MODEL_CHARS = 256
MAX_URL_CHARS = 2048


def check_api_key(api_key: str) -> None:
    """InvalidParams unless the trimmed key is printable ASCII without spaces (it goes into an
    HTTP header). An empty key passes: it means "no key yet" (`has_api_key` false)."""
    key = api_key.strip()
    if len(key) > MAX_KEY_CHARS:
        raise InvalidParams(f"invalid configuration: api_key must be at most {MAX_KEY_CHARS} characters")
    for position, char in enumerate(key, start=1):
        if not "!" <= char <= "~":
            raise InvalidParams(
                f"invalid configuration: api_key must be printable ASCII without spaces (character {position} is not)"
            )


def check_base_url(base_url: str) -> None:
    """InvalidParams unless the trimmed URL is blank (not configured yet) or an absolute http or
    https URL with a host and without spaces or control characters."""
    url = base_url.strip()
    if not url:
        return
    expected = "invalid configuration: base_url must be an absolute http or https URL"
    if len(url) > MAX_URL_CHARS or not url.isprintable() or " " in url:
        raise InvalidParams(f"{expected} without spaces or control characters, of at most {MAX_URL_CHARS} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise InvalidParams(expected) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidParams(expected)


def check_model(model: str) -> None:
    """InvalidParams when the model name holds control characters or is over-long."""
    if len(model) > MAX_MODEL_CHARS or not model.isprintable():
        raise InvalidParams(
            f"invalid configuration: model must be printable text of at most {MAX_MODEL_CHARS} characters"
        )


def require_model(model: str) -> str:
    """The trimmed model name; InvalidParams `invalid configuration: model is required` when blank."""
    name = model.strip()
    if not name:
        raise InvalidParams("invalid configuration: model is required")
    return name
