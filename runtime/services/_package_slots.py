"""The temporary slots of data packages (PROTOCOL §6.19): prepared exports and pending imports.

Slots live in memory only; they are meant to last minutes, not restarts. Each expires 30
minutes after it was created (an import slot also 30 minutes after its last upload), and an
expired slot is the same as an unknown one. Used from the trio thread only, except
`is_taken`, which the id allocator calls from the writer thread and which only reads.
"""

from __future__ import annotations

import attrs

from runtime.errors import NotFound

SLOT_LIFETIME_MS = 30 * 60 * 1000
EXPORT_THING = "data package export"
IMPORT_THING = "data package import"


@attrs.frozen
class ExportSlot:
    export_id: str
    archive: bytes = attrs.field(repr=False)
    expires_at_ms: int


@attrs.frozen
class ImportSlot:
    import_id: str
    expires_at_ms: int
    archive: bytes | None = attrs.field(default=None, repr=False)


@attrs.define
class PackageSlots:
    """Every live export and import slot, by id."""

    _exports: dict[str, ExportSlot] = attrs.field(factory=dict)
    _imports: dict[str, ImportSlot] = attrs.field(factory=dict)

    def is_taken(self, slot_id: str) -> bool:
        """Whether a slot (live or expired but not yet dropped) holds this id."""
        return slot_id in self._exports or slot_id in self._imports

    def add_export(self, export_id: str, archive: bytes, now_ms: int) -> ExportSlot:
        self.drop_expired(now_ms)
        slot = ExportSlot(export_id, archive, now_ms + SLOT_LIFETIME_MS)
        self._exports[export_id] = slot
        return slot

    def export(self, export_id: str, now_ms: int) -> ExportSlot:
        """The live export slot, or NotFound `data package export '{id}' not found`."""
        slot = self._exports.get(export_id)
        if slot is None or slot.expires_at_ms <= now_ms:
            self._exports.pop(export_id, None)
            raise NotFound.record(EXPORT_THING, export_id)
        return slot

    def add_import(self, import_id: str, now_ms: int) -> ImportSlot:
        self.drop_expired(now_ms)
        slot = ImportSlot(import_id, now_ms + SLOT_LIFETIME_MS)
        self._imports[import_id] = slot
        return slot

    def import_slot(self, import_id: str, now_ms: int) -> ImportSlot:
        """The live import slot, or NotFound `data package import '{id}' not found`."""
        slot = self._imports.get(import_id)
        if slot is None or slot.expires_at_ms <= now_ms:
            self._imports.pop(import_id, None)
            raise NotFound.record(IMPORT_THING, import_id)
        return slot

    def store_upload(self, import_id: str, archive: bytes, now_ms: int) -> ImportSlot:
        """Replace the slot's bytes and restart its 30 minutes. NotFound when it is gone."""
        slot = attrs.evolve(
            self.import_slot(import_id, now_ms), archive=archive, expires_at_ms=now_ms + SLOT_LIFETIME_MS
        )
        self._imports[import_id] = slot
        return slot

    def remove_import(self, import_id: str) -> None:
        self._imports.pop(import_id, None)

    def drop_expired(self, now_ms: int) -> None:
        """Forget every expired slot, so their archives do not stay in memory."""
        self._exports = {key: slot for key, slot in self._exports.items() if slot.expires_at_ms > now_ms}
        self._imports = {key: slot for key, slot in self._imports.items() if slot.expires_at_ms > now_ms}
