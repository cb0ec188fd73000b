"""Character cards: CRUD, covers and `.chr` archives (PROTOCOL §6.11, §5.4, §16.1)."""

from __future__ import annotations

from runtime.errors import NotImplementedYet
from runtime.files import DownloadedFile, ResourceFilePayload, UploadHeaders
from runtime.services._services import Services


async def upload_cover(services: Services, character_id: str, headers: UploadHeaders, body: bytes) -> ResourceFilePayload:
    raise NotImplementedYet("upload character:cover")


async def import_archive(services: Services, character_id: str, headers: UploadHeaders, body: bytes) -> ResourceFilePayload:
    raise NotImplementedYet("upload character:archive")


async def download_cover(services: Services, character_id: str) -> DownloadedFile:
    raise NotImplementedYet("download character:cover")


async def export_archive(services: Services, character_id: str) -> DownloadedFile:
    raise NotImplementedYet("download character:archive")
