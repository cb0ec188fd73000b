"""Stored LLM connections: `api.*` (PROTOCOL §6.3). Keys are stored, never returned."""

from __future__ import annotations

import math
import re

import attrs

from runtime.errors import Conflict, InvalidParams, NotFound
from runtime.llm import check_api_key, check_base_url, check_model, default_structured_output
from runtime.model.apis import (
    KEEP_PRICES,
    PROVIDER_STRUCTURED_OUTPUTS,
    Api,
    ApiCreateParams,
    ApiDeleted,
    ApiIdParams,
    ApiPrices,
    ApiRecord,
    ApisListed,
    ApiUpdateParams,
    Provider,
    StructuredOutput,
)
from runtime.services._services import Services
from runtime.services._validation import given_changes, require_id
from runtime.store import Cursor, references
from runtime.store.apis import APIS

MASK_VISIBLE_CHARS = 4  # shown at each end of a long key
SHORT_KEY_CHARS = 8  # keys this short are masked entirely
CURRENCY_CODE = re.compile(r"[A-Z]{3}")  # ISO 4217: three capital letters


def mask_api_key(key: str) -> str | None:
    """`sk-abcdefgh1234` → `sk-a...1234`; short keys become stars; an empty key has no mask."""
    if not key:
        return None
    if len(key) <= SHORT_KEY_CHARS:
        return "*" * len(key)
    return f"{key[:MASK_VISIBLE_CHARS]}...{key[-MASK_VISIBLE_CHARS:]}"


def api_payload(record: ApiRecord) -> Api:
    """The payload as stored; `structured_output_in_use` is filled in by `with_mode_in_use`."""
    return Api(
        api_id=record.api_id,
        display_name=record.display_name,
        provider=record.provider,
        base_url=record.base_url,
        model=record.model,
        has_api_key=bool(record.api_key.strip()),
        api_key_masked=mask_api_key(record.api_key),
        prices=record.prices,
        structured_output=record.structured_output_mode,
    )


def with_mode_in_use(services: Services, payload: Api) -> Api:
    """The payload with the structured-output mode its next JSON call uses: what the LLM layer
    learned of the endpoint under `auto`, so never cached with the stored record."""
    llm = services.llm
    in_use = default_structured_output(payload) if llm is None else llm.structured_output_in_use(payload)
    return attrs.evolve(payload, structured_output_in_use=in_use)


def require_structured_output(provider: Provider, mode: StructuredOutput | None) -> None:
    """InvalidParams naming `structured_output` when the provider cannot use the mode."""
    allowed = PROVIDER_STRUCTURED_OUTPUTS[provider]
    if mode is None or mode in allowed:
        return
    expected = ", ".join(item.value for item in allowed)
    raise InvalidParams(
        f"params.structured_output: '{mode.value}' is not available for provider {provider.value}"
        f" (expected one of {expected})"
    )


def check_connection_settings(base_url: str | None, api_key: str | None, model: str | None) -> None:
    """The given settings as a provider call will need them; InvalidParams `invalid configuration: …`
    otherwise, so a key that cannot be sent is refused when stored, not in the middle of a turn."""
    if base_url is not None:
        check_base_url(base_url)
    if api_key is not None:
        check_api_key(api_key)
    if model is not None:
        check_model(model)


def check_prices(prices: ApiPrices | None) -> None:
    """Refuse a price table analytics could not use: InvalidParams naming the field."""
    if prices is None:
        return
    for name in ("input_per_million_tokens", "output_per_million_tokens"):
        value = getattr(prices, name)
        if not math.isfinite(value) or value < 0:
            raise InvalidParams(f"params.prices.{name}: expected a number >= 0, got {value}")
    if not CURRENCY_CODE.fullmatch(prices.currency):
        raise InvalidParams(
            f"params.prices.currency: expected a three-letter ISO 4217 code such as USD, got {prices.currency!r}"
        )


async def create_api(services: Services, params: ApiCreateParams) -> Api:
    """Store a new LLM connection: provider, base URL, model and key (the key is never sent back)."""
    api_id = require_id(params.api_id, "api_id")
    check_connection_settings(params.base_url, params.api_key, params.model)
    check_prices(params.prices)
    require_structured_output(params.provider, params.structured_output)
    record = ApiRecord(
        api_id,
        params.display_name,
        params.provider,
        params.base_url,
        params.model,
        params.api_key,
        prices=params.prices,
        structured_output=params.structured_output,
    )

    await services.store.write(APIS.new_document(api_id, record))
    return with_mode_in_use(services, api_payload(record))


async def get_api(services: Services, params: ApiIdParams) -> Api:
    """One stored LLM connection, its key masked."""
    api_id = require_id(params.api_id, "api_id")
    payload = await services.store.read_cached(
        ("api.get", api_id), lambda cursor: api_payload(APIS.require(cursor, api_id))
    )
    return with_mode_in_use(services, payload)


async def list_apis(services: Services) -> ApisListed:
    """Every stored LLM connection, sorted by id, keys masked."""
    listed = await services.store.read_cached(("api.list",), _apis_listed)
    return ApisListed([with_mode_in_use(services, payload) for payload in listed.apis])


def _apis_listed(cursor: Cursor) -> ApisListed:
    return ApisListed([api_payload(record) for record in APIS.list(cursor)])


async def update_api(services: Services, params: ApiUpdateParams) -> Api:
    """Change an LLM connection; omitted fields keep their value."""
    api_id = require_id(params.api_id, "api_id")
    check_connection_settings(params.base_url, params.api_key, params.model)
    changes = given_changes(params, ("display_name", "provider", "base_url", "model", "api_key", "structured_output"))
    if params.prices is not KEEP_PRICES:
        check_prices(params.prices)
        changes["prices"] = params.prices

    def change(cursor: Cursor) -> ApiRecord:
        changed = attrs.evolve(APIS.require(cursor, api_id), **changes)
        require_structured_output(changed.provider, changed.structured_output)
        APIS.update(cursor, api_id, changed)
        return changed

    return with_mode_in_use(services, api_payload(await services.store.write(change)))


async def delete_api(services: Services, params: ApiIdParams) -> ApiDeleted:
    """Delete an LLM connection (refused while an api group binds it)."""
    api_id = require_id(params.api_id, "api_id")

    def delete(cursor: Cursor) -> None:
        if references.api_in_api_groups(cursor, api_id):
            raise Conflict(f"api '{api_id}' is still referenced by api group")
        if not APIS.delete(cursor, api_id):
            raise NotFound.record("api", api_id)

    await services.store.write(delete)
    return ApiDeleted(api_id)
