"""Registrations of `api.*` and `api_group.*`."""

from __future__ import annotations

from runtime.model import apis as model
from runtime.services import api_groups, apis
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method("api.create", model.ApiCreateParams, "api", model.Api, forward(apis.create_api)),
    Method("api.get", model.ApiIdParams, "api", model.Api, forward(apis.get_api)),
    Method("api.list", NoParams, "apis_listed", model.ApisListed, forward_without_params(apis.list_apis)),
    Method("api.update", model.ApiUpdateParams, "api", model.Api, forward(apis.update_api)),
    Method("api.delete", model.ApiIdParams, "api_deleted", model.ApiDeleted, forward(apis.delete_api)),
    Method(
        "api_group.create",
        model.ApiGroupCreateParams,
        "api_group",
        model.ApiGroup,
        forward(api_groups.create_api_group),
    ),
    Method("api_group.get", model.ApiGroupIdParams, "api_group", model.ApiGroup, forward(api_groups.get_api_group)),
    Method(
        "api_group.list",
        NoParams,
        "api_groups_listed",
        model.ApiGroupsListed,
        forward_without_params(api_groups.list_api_groups),
    ),
    Method(
        "api_group.update",
        model.ApiGroupUpdateParams,
        "api_group",
        model.ApiGroup,
        forward(api_groups.update_api_group),
    ),
    Method(
        "api_group.delete",
        model.ApiGroupIdParams,
        "api_group_deleted",
        model.ApiGroupDeleted,
        forward(api_groups.delete_api_group),
    ),
]
