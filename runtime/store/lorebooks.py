"""The table of stored lorebooks; each document holds its entries in insertion order."""

from __future__ import annotations

from runtime.model.lorebooks import Lorebook
from runtime.store._documents import DocumentTable

LOREBOOKS = DocumentTable("lorebooks", "lorebook_id", Lorebook, "lorebook")
