"""Agent-to-api bindings: `api_group.*` (PROTOCOL §6.4)."""

from __future__ import annotations

import attrs

from runtime.errors import Conflict, NotFound
from runtime.model.apis import (
    ApiGroup,
    ApiGroupBindings,
    ApiGroupCreateParams,
    ApiGroupDeleted,
    ApiGroupIdParams,
    ApiGroupsListed,
    ApiGroupUpdateParams,
)
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.store import Cursor, references
from runtime.store.apis import API_GROUPS, APIS


def _trimmed_bindings(bindings: ApiGroupBindings) -> ApiGroupBindings:
    """Each binding trimmed and non-empty (checked before anything is looked up)."""
    return ApiGroupBindings(
        **{field.name: require_id(getattr(bindings, field.name), "api_id") for field in attrs.fields(ApiGroupBindings)}
    )


def _require_apis(cursor: Cursor, bindings: ApiGroupBindings) -> None:
    for api_id in bindings.all_api_ids():
        if not APIS.exists(cursor, api_id):
            raise NotFound.record("api", api_id)


async def create_api_group(services: Services, params: ApiGroupCreateParams) -> ApiGroup:
    """Store an api group: which api each of the seven agents calls."""
    group_id = require_id(params.api_group_id, "api_group_id")
    group = ApiGroup(group_id, params.display_name, _trimmed_bindings(params.bindings))

    def insert(cursor: Cursor) -> None:
        if API_GROUPS.exists(cursor, group_id):
            raise Conflict.exists("api group", group_id)
        _require_apis(cursor, group.bindings)
        API_GROUPS.insert(cursor, group_id, group)

    await services.store.write(insert)
    return group


async def get_api_group(services: Services, params: ApiGroupIdParams) -> ApiGroup:
    """One api group and its seven bindings."""
    group_id = require_id(params.api_group_id, "api_group_id")
    return await services.store.read_cached(
        ("api_group.get", group_id), lambda cursor: API_GROUPS.require(cursor, group_id)
    )


async def list_api_groups(services: Services) -> ApiGroupsListed:
    """Every api group, sorted by id."""
    return await services.store.read_cached(
        ("api_group.list",), lambda cursor: ApiGroupsListed(API_GROUPS.list(cursor))
    )


async def update_api_group(services: Services, params: ApiGroupUpdateParams) -> ApiGroup:
    """Rename an api group or replace all seven of its bindings."""
    group_id = require_id(params.api_group_id, "api_group_id")
    bindings = None if params.bindings is None else _trimmed_bindings(params.bindings)

    def update(cursor: Cursor) -> ApiGroup:
        group = API_GROUPS.require(cursor, group_id)
        if params.display_name is not None:
            group = attrs.evolve(group, display_name=params.display_name)
        if bindings is not None:
            _require_apis(cursor, bindings)
            group = attrs.evolve(group, bindings=bindings)
        API_GROUPS.update(cursor, group_id, group)
        return group

    return await services.store.write(update)


async def delete_api_group(services: Services, params: ApiGroupIdParams) -> ApiGroupDeleted:
    """Delete an api group (refused while a draft or session uses it)."""
    group_id = require_id(params.api_group_id, "api_group_id")

    def delete(cursor: Cursor) -> None:
        if references.api_group_in_drafts_or_sessions(cursor, group_id):
            raise Conflict(f"api group '{group_id}' is still referenced by draft or session")
        if not API_GROUPS.delete(cursor, group_id):
            raise NotFound.record("api group", group_id)

    await services.store.write(delete)
    return ApiGroupDeleted(group_id)
