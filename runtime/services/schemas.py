"""State schemas: `schema.*` (PROTOCOL §6.8). Fields are checked by `runtime.schema_rules`."""

from __future__ import annotations

from runtime.errors import Conflict, NotFound
from runtime.model.schemas import (
    Schema,
    SchemaCreateParams,
    SchemaDeleted,
    SchemaIdParams,
    SchemasListed,
    SchemaUpdateParams,
)
from runtime.schema_rules import validate_state_fields
from runtime.services._services import Services
from runtime.services._validation import given_changes, require_id
from runtime.store import Cursor, references
from runtime.store.schemas import SCHEMAS


async def create_schema(services: Services, params: SchemaCreateParams) -> Schema:
    """Store a state schema: named, typed fields with defaults."""
    schema_id = require_id(params.schema_id, "schema_id")
    validate_state_fields(params.fields)
    schema = Schema(schema_id, params.display_name, params.tags, params.fields)

    await services.store.write(SCHEMAS.new_document(schema_id, schema))
    return schema


async def get_schema(services: Services, params: SchemaIdParams) -> Schema:
    """One state schema."""
    return await services.store.read(lambda cursor: SCHEMAS.require(cursor, params.schema_id))


async def list_schemas(services: Services) -> SchemasListed:
    """Every state schema, sorted by id."""
    return SchemasListed(await services.store.read(SCHEMAS.list))


async def update_schema(services: Services, params: SchemaUpdateParams) -> Schema:
    """Rename a state schema or replace its fields.

    Omitted fields keep their value; a given `fields` map replaces the stored one whole.
    """
    if params.fields is not None:
        validate_state_fields(params.fields)
    changes = given_changes(params, ("display_name", "tags", "fields"))
    return await services.store.write(lambda cursor: SCHEMAS.change(cursor, params.schema_id, changes))


async def delete_schema(services: Services, params: SchemaIdParams) -> SchemaDeleted:
    """Delete a state schema (refused while anything uses it)."""
    schema_id = params.schema_id

    def delete(cursor: Cursor) -> None:
        if references.schema_in_use(cursor, schema_id):
            raise Conflict(f"schema '{schema_id}' is still referenced")
        if not SCHEMAS.delete(cursor, schema_id):
            raise NotFound.record("schema", schema_id)

    await services.store.write(delete)
    return SchemaDeleted(schema_id)
