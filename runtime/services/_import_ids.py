"""The ids of imported records: chosen by the caller, or a slug of the record's name made unique.

A chosen id must be free (Conflict otherwise); a derived one takes the first free of `slug`,
`slug-2`, `slug-3`… and says so in a `renamed_id` warning. `unique_ids` finds the ids of many
imports at once (one query), as importing them one after the other would. Runs on a cursor.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from runtime.errors import Conflict
from runtime.model.cards import ImportWarning, ImportWarningCode
from runtime.store import Cursor, DocumentTable

MAX_SLUG_CHARS = 64
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str, fallback: str) -> str:
    """A lower-case id from a name: ASCII letters and digits joined by `-` (accents dropped);
    `fallback` for a name without any."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")
    return text[:MAX_SLUG_CHARS].rstrip("-") or fallback


def unique_ids(
    cursor: Cursor, table: DocumentTable[Any], wanted: Sequence[tuple[str, bool]]
) -> list[tuple[str, list[ImportWarning]]]:
    """Each `(id, chosen)`'s id, in order, with its warnings. Raises Conflict for a chosen id that is taken."""
    taken = _taken_ids(cursor, table, [want for want, _ in wanted])
    ids: list[tuple[str, list[ImportWarning]]] = []
    for want, chosen in wanted:
        if chosen and want in taken:
            raise Conflict.exists(table.thing, want)
        record_id = want if want not in taken else _first_free(want, taken)
        taken.add(record_id)
        warnings = [] if record_id == want else [_renamed(table.thing, want, record_id)]
        ids.append((record_id, warnings))
    return ids


def _taken_ids(cursor: Cursor, table: DocumentTable[Any], wanted: list[str]) -> set[str]:
    """The stored ids that are one of `wanted` or one of them followed by `-N` (one query; a
    filter on each row, rather than a join of the rows with `wanted`, costs a third less)."""
    key = table.key
    rows = cursor.execute(
        f"SELECT {key} FROM {table.table}"
        f" WHERE list_contains(?, {key}) OR list_contains(?, regexp_extract({key}, '^(.*)-[0-9]+$', 1))",
        [wanted, wanted],
    ).fetchall()
    return {row[0] for row in rows}


def _first_free(wanted: str, taken: set[str]) -> str:
    number = 2
    while f"{wanted}-{number}" in taken:
        number += 1
    return f"{wanted}-{number}"


def _renamed(thing: str, wanted: str, record_id: str) -> ImportWarning:
    message = f"the {thing} id '{wanted}' is taken: imported as '{record_id}'"
    return ImportWarning(ImportWarningCode.RENAMED_ID, message)
