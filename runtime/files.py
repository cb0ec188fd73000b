"""Files that travel on the binary routes: upload headers, downloads and the upload payload."""

from __future__ import annotations

from typing import Protocol

import attrs

OCTET_STREAM = "application/octet-stream"


class HeaderLookup(Protocol):
    """Request headers by name, case-insensitively, as the web framework holds them."""

    def get(self, key: str, /) -> str | None: ...


@attrs.frozen
class UploadHeaders:
    """The request headers an upload slot reads: the two of PROTOCOL §5.2, and `x-schema-id`
    (the schema of a character imported from a card; a Dramaturg extension)."""

    content_type: str = OCTET_STREAM
    file_name: str | None = None
    schema_id: str | None = None

    @classmethod
    def from_request(cls, headers: HeaderLookup) -> UploadHeaders:
        content_type = (headers.get("Content-Type") or "").strip() or OCTET_STREAM
        file_name = _utf8_text(headers.get("x-file-name") or "").strip() or None
        schema_id = _utf8_text(headers.get("x-schema-id") or "").strip() or None
        return cls(content_type, file_name, schema_id)


def _utf8_text(value: str) -> str:
    """A header value as its sender wrote it: the server decodes header bytes as Latin-1, so a
    non-ASCII name sent as UTF-8 (as `dramaturg import` sends file names) is decoded again."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


@attrs.frozen
class DownloadedFile:
    data: bytes
    content_type: str
    file_name: str | None = None


@attrs.frozen
class ResourceFilePayload:
    """The JSON answer of a successful upload (PROTOCOL §5.3)."""

    resource_id: str
    file_id: str
    file_name: str | None
    content_type: str
    size_bytes: int
