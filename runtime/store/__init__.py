"""Persistence in DuckDB: the database and its writer, migrations, id counters, document tables."""

from runtime.store._database import DATABASE_FILE_NAME as DATABASE_FILE_NAME
from runtime.store._database import Cursor as Cursor
from runtime.store._database import Store as Store
from runtime.store._database import open_store as open_store
from runtime.store._documents import DocumentTable as DocumentTable
from runtime.store._ids import allocate_id as allocate_id
from runtime.store._ids import allocate_ids as allocate_ids

__all__ = ["DATABASE_FILE_NAME", "Cursor", "DocumentTable", "Store", "allocate_id", "allocate_ids", "open_store"]
