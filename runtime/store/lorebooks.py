"""The table of stored lorebooks; each document holds its entries in insertion order.

Matching reads lorebooks compiled: `read_story_lore` hands out the compiled version of each
stored document, compiling it only when that exact document was not compiled before.
"""

from __future__ import annotations

from collections.abc import Sequence

from runtime.errors import NotFound
from runtime.lore import COMPILED_LOREBOOKS, CompiledBook, StoryLore
from runtime.model.lorebooks import Lorebook
from runtime.store._documents import Cursor, DocumentTable

LOREBOOKS = DocumentTable("lorebooks", "lorebook_id", Lorebook, "lorebook")


def read_compiled_lorebook(cursor: Cursor, lorebook_id: str) -> CompiledBook:
    """The stored lorebook, compiled for matching. Raises NotFound `lorebook '{id}' not found`."""
    document = LOREBOOKS.get_document(cursor, lorebook_id)
    if document is None:
        raise NotFound.record(LOREBOOKS.thing, lorebook_id)
    return COMPILED_LOREBOOKS.get(lorebook_id, document, LOREBOOKS.decode)


def read_story_lore(cursor: Cursor, lorebook_ids: Sequence[str]) -> StoryLore:
    """The lorebooks, compiled, in the order given (a story's `lorebook_ids`, PROTOCOL §12)."""
    return StoryLore(tuple(read_compiled_lorebook(cursor, lorebook_id) for lorebook_id in lorebook_ids))
