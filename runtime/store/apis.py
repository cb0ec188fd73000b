"""The tables of stored apis and api groups."""

from __future__ import annotations

from runtime.model.apis import ApiGroup, ApiRecord
from runtime.store._documents import DocumentTable

APIS = DocumentTable("apis", "api_id", ApiRecord, "api")
API_GROUPS = DocumentTable(
    "api_groups",
    "api_group_id",
    ApiGroup,
    "api group",
    columns=lambda group: {"api_ids": group.bindings.all_api_ids()},
)
