"""Registrations of `schema.*`."""

from __future__ import annotations

from runtime.model import schemas as model
from runtime.services import schemas
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method("schema.create", model.SchemaCreateParams, "schema", model.Schema, forward(schemas.create_schema)),
    Method("schema.get", model.SchemaIdParams, "schema", model.Schema, forward(schemas.get_schema)),
    Method(
        "schema.list", NoParams, "schemas_listed", model.SchemasListed, forward_without_params(schemas.list_schemas)
    ),
    Method("schema.update", model.SchemaUpdateParams, "schema", model.Schema, forward(schemas.update_schema)),
    Method(
        "schema.delete", model.SchemaIdParams, "schema_deleted", model.SchemaDeleted, forward(schemas.delete_schema)
    ),
]
