"""Files that travel on the binary routes: upload headers, downloads and the upload payload."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

OCTET_STREAM = "application/octet-stream"


@attrs.frozen
class UploadHeaders:
    """The request headers an upload slot reads: the two of PROTOCOL §5.2, and `x-schema-id`
    (the schema of a character imported from a card; a Dramaturg extension)."""

    content_type: str = OCTET_STREAM
    file_name: str | None = None
    schema_id: str | None = None

    @classmethod
    def from_request(cls, headers: Mapping[str, str]) -> UploadHeaders:
        content_type = (headers.get("Content-Type") or "").strip() or OCTET_STREAM
        file_name = (headers.get("x-file-name") or "").strip() or None
        schema_id = (headers.get("x-schema-id") or "").strip() or None
        return cls(content_type, file_name, schema_id)


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
