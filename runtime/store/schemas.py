"""The table of stored state schemas."""

from __future__ import annotations

from runtime.model.schemas import Schema
from runtime.store._documents import DocumentTable

SCHEMAS = DocumentTable("schemas", "schema_id", Schema, "schema")
