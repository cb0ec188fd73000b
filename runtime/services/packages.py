"""Data packages: `data_package.*` and their binary slots (PROTOCOL §6.19, §5.4, §16.2).

An export is read in one snapshot, zipped in a worker thread and kept in a slot for 30
minutes. An import slot receives the uploaded ZIP; the commit parses it in a worker thread
and writes it in one transaction (`_package_import.write_package`), or writes nothing.
"""

from __future__ import annotations

import trio

from runtime.archives import (
    PKG_MIME,
    DataPackage,
    data_package_file_name,
    invalid_package,
    read_data_package,
    write_data_package,
)
from runtime.errors import InvalidParams
from runtime.files import DownloadedFile, ResourceFilePayload, UploadHeaders
from runtime.model.packages import (
    ArchiveSlot,
    ExportPrepared,
    ExportPrepareParams,
    ImportCommitParams,
    ImportCommitted,
    ImportPrepared,
)
from runtime.services._package_export import ExportSelection, read_export_package
from runtime.services._package_import import write_package
from runtime.services._services import Services
from runtime.store import Cursor, allocate_id

EXPORT_ID_PREFIX = "package-export-"
IMPORT_ID_PREFIX = "package-import-"
EXPORT_RESOURCE_KIND = "package_export"
IMPORT_RESOURCE_KIND = "package_import"
ARCHIVE_FILE_ID = "archive"


def _export_slot(export_id: str) -> ArchiveSlot:
    return ArchiveSlot(f"{EXPORT_RESOURCE_KIND}:{export_id}", ARCHIVE_FILE_ID)


def _import_slot(import_id: str) -> ArchiveSlot:
    return ArchiveSlot(f"{IMPORT_RESOURCE_KIND}:{import_id}", ARCHIVE_FILE_ID)


async def _allocate_slot_id(services: Services, prefix: str) -> str:
    """A `{prefix}N` from the persisted counter (R1): slot ids are never reused, even across restarts."""
    return await services.store.write(lambda cursor: allocate_id(cursor, prefix, services.packages.is_taken))


# -- export ------------------------------------------------------------------------------


async def export_prepare(services: Services, params: ExportPrepareParams) -> ExportPrepared:
    """Build a data package (ZIP) of the chosen records and what they need, ready to download.

    Read the selection and its dependencies in one snapshot, build the ZIP, keep it in a slot.
    """
    selection = ExportSelection.from_params(params)
    if selection.is_empty():
        raise InvalidParams("data package selection must not be empty")
    created_at_ms = services.clock.now_ms()

    def read(cursor: Cursor) -> DataPackage:
        return read_export_package(cursor, selection, created_at_ms)

    package = await services.store.read(read)
    archive = await trio.to_thread.run_sync(write_data_package, package)
    export_id = await _allocate_slot_id(services, EXPORT_ID_PREFIX)
    services.packages.add_export(export_id, archive, services.clock.now_ms())
    return ExportPrepared(export_id, _export_slot(export_id), package.contents())


async def download_export_archive(services: Services, export_id: str) -> DownloadedFile:
    """The prepared ZIP; 40404 `data package export '{id}' not found` when unknown or expired."""
    slot = services.packages.export(export_id, services.clock.now_ms())
    return DownloadedFile(slot.archive, PKG_MIME, data_package_file_name(export_id))


# -- import ------------------------------------------------------------------------------


async def import_prepare(services: Services) -> ImportPrepared:
    """Open an upload slot for a data package (kept 30 minutes); commit it with data_package.import_commit."""
    import_id = await _allocate_slot_id(services, IMPORT_ID_PREFIX)
    services.packages.add_import(import_id, services.clock.now_ms())
    return ImportPrepared(import_id, _import_slot(import_id))


async def upload_import_archive(
    services: Services, import_id: str, headers: UploadHeaders, body: bytes
) -> ResourceFilePayload:
    """Keep the bytes in the slot (replacing any earlier upload) and restart its 30 minutes.

    Nothing is parsed here; the commit does that. The request's content type is ignored.
    """
    if not body:
        raise invalid_package("the uploaded archive is empty")
    services.packages.store_upload(import_id, body, services.clock.now_ms())
    file_name = headers.file_name or data_package_file_name(import_id)
    return ResourceFilePayload(_import_slot(import_id).resource_id, ARCHIVE_FILE_ID, file_name, PKG_MIME, len(body))


async def import_commit(services: Services, params: ImportCommitParams) -> ImportCommitted:
    """Import the data package uploaded into a slot, all of it or nothing.

    Parse the uploaded ZIP and write all of it in one transaction; the slot goes on success only.
    """
    import_id = params.import_id
    now_ms = services.clock.now_ms()
    slot = services.packages.import_slot(import_id, now_ms)
    if slot.archive is None:
        raise invalid_package(f"no archive has been uploaded to data package import '{import_id}'")
    package = await trio.to_thread.run_sync(read_data_package, slot.archive, services.limits.archive)
    if package.is_empty():
        raise InvalidParams("archive does not contain any resources")
    await services.store.write(lambda cursor: write_package(cursor, package, now_ms))
    services.packages.remove_import(import_id)
    return ImportCommitted(import_id, package.contents())
