"""Data packages: export and import slots and their archives (PROTOCOL §6.19, §16.2)."""

from __future__ import annotations

from runtime.errors import NotImplementedYet
from runtime.files import DownloadedFile, ResourceFilePayload, UploadHeaders
from runtime.services._services import Services


async def upload_import_archive(services: Services, import_id: str, headers: UploadHeaders, body: bytes) -> ResourceFilePayload:
    raise NotImplementedYet("upload package_import:archive")


async def download_export_archive(services: Services, export_id: str) -> DownloadedFile:
    raise NotImplementedYet("download package_export:archive")
