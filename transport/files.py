"""The binary routes: which slot a path names, who handles it, and how errors look there.

Slots (PROTOCOL §5.2) are `{kind}:{record_id}` / `{file_id}`. Each handled pair maps to an
upload or a download function of the runtime; everything else is an invalid reference.
Errors are a bare `{code, message}` with the HTTP status of §5.6.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import attrs

from runtime.codec import CODEC
from runtime.errors import DramaturgError, InvalidParams
from runtime.files import DownloadedFile, UploadHeaders
from runtime.services import (
    Services,
    card_export,
    card_import,
    characters,
    lorebook_export,
    lorebook_import,
    packages,
)

log = logging.getLogger(__name__)

UploadFn = Callable[[Services, str, UploadHeaders, bytes], Awaitable[Any]]
DownloadFn = Callable[[Services, str], Awaitable[DownloadedFile]]

UPLOADS: dict[tuple[str, str], UploadFn] = {
    ("character", "cover"): characters.upload_cover,
    ("character", "archive"): characters.import_archive,
    ("package_import", "archive"): packages.upload_import_archive,
    (card_import.UPLOAD_KIND, card_import.UPLOAD_FILE_ID): card_import.upload_card,
    (lorebook_import.UPLOAD_KIND, lorebook_import.UPLOAD_FILE_ID): lorebook_import.upload_book,
}
DOWNLOADS: dict[tuple[str, str], DownloadFn] = {
    ("character", "cover"): characters.download_cover,
    ("character", "archive"): characters.export_archive,
    ("package_export", "archive"): packages.download_export_archive,
    ("character", card_export.PNG_CARD_FILE_ID): card_export.download_png_card,
    ("character", card_export.JSON_CARD_FILE_ID): card_export.download_json_card,
    ("character", card_export.JSON_V2_CARD_FILE_ID): card_export.download_json_v2_card,
    ("character", card_export.CHARX_FILE_ID): card_export.download_charx_card,
    ("lorebook", lorebook_export.WORLD_INFO_FILE_ID): lorebook_export.download_world_info,
    ("lorebook", lorebook_export.LOREBOOK_V3_FILE_ID): lorebook_export.download_lorebook_v3,
}

_STATUS_BY_CODE = {-32700: 400, -32600: 400, -32602: 400, 40404: 404, 40909: 409}


@attrs.frozen
class FileError:
    status: int
    body: dict[str, Any]


def slot_from_raw_path(raw_path: bytes, prefix: str) -> tuple[str, str]:
    """Split `/upload/{resource_id}/{file_id}` on the raw path, then percent-decode each segment."""
    text = raw_path.decode("latin-1").split("?", 1)[0]
    rest = text[len(prefix) :] if text.startswith(prefix) else text
    resource, _, file_id = rest.partition("/")
    return _decode(resource), _decode(file_id)


def _decode(segment: str) -> str:
    return unquote_to_bytes(segment).decode("utf-8", errors="replace").strip()


def _parse_slot(resource_id: str, file_id: str) -> tuple[str, str]:
    kind, colon, record_id = resource_id.partition(":")
    if not colon or not record_id.strip():
        raise _invalid_reference(resource_id, file_id)
    return kind, record_id.strip()


def _invalid_reference(resource_id: str, file_id: str) -> InvalidParams:
    return InvalidParams(f"invalid resource file reference '{resource_id}/{file_id or '<empty>'}'")


def error_body(exc: DramaturgError) -> FileError:
    return FileError(_STATUS_BY_CODE.get(exc.code, 500), {"code": exc.code, "message": exc.message})


async def upload(
    services: Services, resource_id: str, file_id: str, headers: UploadHeaders, body: bytes
) -> tuple[int, Mapping[str, Any]]:
    """Store an upload. Returns the HTTP status and the JSON body (payload or bare error)."""
    started = time.perf_counter()
    status, answer = await _upload(services, resource_id, file_id, headers, body)
    _log_file_request("upload", resource_id, file_id, status, started)
    return status, answer


async def _upload(
    services: Services, resource_id: str, file_id: str, headers: UploadHeaders, body: bytes
) -> tuple[int, Mapping[str, Any]]:
    try:
        kind, record_id = _parse_slot(resource_id, file_id)
        handler = UPLOADS.get((kind, file_id))
        if handler is None:
            raise _invalid_reference(resource_id, file_id)
        payload = await handler(services, record_id, headers, body)
    except DramaturgError as exc:
        failure = error_body(exc)
        return failure.status, failure.body
    except Exception:
        log.exception("upload_crashed", extra={"resource_id": resource_id, "file_id": file_id})
        return 500, {"code": 50001, "message": "internal error while storing the upload"}
    return 200, CODEC.unstructure(payload)


async def download(services: Services, resource_id: str, file_id: str) -> DownloadedFile | FileError:
    """The file of a slot, or the error to answer with."""
    started = time.perf_counter()
    result = await _download(services, resource_id, file_id)
    _log_file_request(
        "download", resource_id, file_id, result.status if isinstance(result, FileError) else 200, started
    )
    return result


def _log_file_request(route: str, resource_id: str, file_id: str, status: int, started: float) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    log.info(route, extra={"slot": f"{resource_id}/{file_id}", "status": status, "duration_ms": duration_ms})


async def _download(services: Services, resource_id: str, file_id: str) -> DownloadedFile | FileError:
    try:
        kind, record_id = _parse_slot(resource_id, file_id)
        handler = DOWNLOADS.get((kind, file_id))
        if handler is None:
            raise _invalid_reference(resource_id, file_id)
        return await handler(services, record_id)
    except DramaturgError as exc:
        return error_body(exc)
    except Exception:
        log.exception("download_crashed", extra={"resource_id": resource_id, "file_id": file_id})
        return FileError(500, {"code": 50001, "message": "internal error while reading the file"})


def content_disposition(file_name: str) -> str:
    """`attachment; filename="…"` with `"` and `\\` replaced by `_` (PROTOCOL §5.5)."""
    safe = file_name.replace('"', "_").replace("\\", "_")
    try:
        safe.encode("latin-1")
    except UnicodeEncodeError:
        ascii_name = safe.encode("ascii", "replace").decode().replace("?", "_")
        return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe)}"
    return f'attachment; filename="{safe}"'
