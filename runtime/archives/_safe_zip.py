"""Reading an uploaded ZIP that is hostile until proven otherwise (PROTOCOL §16.3).

`read_zip_entries` returns every file of the archive by name, or raises `UnsafeArchive`
with a one-line reason. It refuses bytes that are not a ZIP or are truncated, entry names
that could escape a directory or are ambiguous, duplicated names, encrypted entries,
compression methods other than stored and deflate, and archives that are too big once
decompressed. Sizes are counted on the bytes actually produced while decompressing, chunk
by chunk; the sizes written in the headers are never relied on.

Blocking and CPU-bound: call it through `trio.to_thread.run_sync`.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib

import attrs

MIB = 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024  # decompress this much at a time, so a bomb is caught early
CENTRAL_HEADER_SIGNATURE = b"PK\x01\x02"
ALLOWED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
ENCRYPTED_FLAG = 0x1
SHOWN_NAME_CHARS = 120  # a hostile name may be 64 KiB long; messages show its start

_DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")

# What zipfile raises on damaged or truncated input; all of it means "not a usable ZIP".
_CORRUPTION_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    OverflowError,
    UnicodeDecodeError,
)


class UnsafeArchive(Exception):
    """The archive was refused; the message says why, without a prefix."""


@attrs.frozen(kw_only=True)
class ZipLimits:
    """How much an uploaded archive may hold once decompressed."""

    max_entries: int = 10_000
    max_total_bytes: int = 256 * MIB
    max_entry_bytes: int = 64 * MIB


def read_zip_entries(data: bytes, limits: ZipLimits = ZipLimits()) -> dict[str, bytes]:
    """Every file entry of the ZIP in `data`, name → decompressed bytes, in archive order.

    Directory entries (names ending in `/`, without content) are checked like any other
    name and then left out. Raises UnsafeArchive; never anything else for bad input.
    """
    _refuse_too_many_headers(data, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_entries(infos)
            return _decompress_all(archive, infos, limits)
    except _CORRUPTION_ERRORS as exc:
        raise UnsafeArchive(_corruption_reason(exc)) from exc


def _corruption_reason(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile) and "File is not a zip file" in str(exc):
        return "not a ZIP archive"
    return f"damaged or truncated ZIP archive ({exc})"


def _refuse_too_many_headers(data: bytes, limits: ZipLimits) -> None:
    # zipfile builds an object per central-directory entry before we could count them, and
    # a 32 MiB upload can hold hundreds of thousands. Every entry it parses starts with this
    # signature, so the signature count bounds the entries before any parsing is done.
    if data.count(CENTRAL_HEADER_SIGNATURE) > limits.max_entries:
        raise UnsafeArchive(f"more than {limits.max_entries} entries")


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    for info in infos:
        _check_name(info.orig_filename)
        shown = describe_entry_name(info.filename)
        if info.filename in seen:
            raise UnsafeArchive(f"entry {shown} appears more than once")
        seen.add(info.filename)
        if info.flag_bits & ENCRYPTED_FLAG:
            raise UnsafeArchive(f"entry {shown} is encrypted")
        if info.compress_type not in ALLOWED_METHODS:
            raise UnsafeArchive(f"entry {shown} uses compression method {info.compress_type} (only stored and deflate)")


def _check_name(name: str) -> None:
    """A plain relative path: no `\\`, no control character, no leading `/` or drive, no empty, `.` or `..` segment."""
    shown = describe_entry_name(name)
    if not name:
        raise UnsafeArchive("an entry has an empty name")
    if "\\" in name:
        raise UnsafeArchive(f"entry name {shown} contains a backslash")
    if any(unicodedata.category(character) == "Cc" for character in name):
        raise UnsafeArchive(f"entry name {shown} contains a control character")
    if name.startswith("/") or _DRIVE_PREFIX.match(name):
        raise UnsafeArchive(f"entry name {shown} is an absolute path")
    segments = name.removesuffix("/").split("/")
    if ".." in segments:
        raise UnsafeArchive(f"entry name {shown} contains a '..' segment")
    if any(segment in ("", ".") for segment in segments):
        raise UnsafeArchive(f"entry name {shown} contains an empty or '.' segment")


def describe_entry_name(name: str) -> str:
    """The name quoted for a message: control characters escaped, very long names cut."""
    escaped = name if name.isprintable() else name.encode("unicode_escape").decode("ascii")
    if len(escaped) > SHOWN_NAME_CHARS:
        escaped = escaped[:SHOWN_NAME_CHARS] + "…"
    return f"'{escaped}'"


def _decompress_all(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: ZipLimits) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    total_bytes = 0
    for info in infos:
        content = _decompress_entry(archive, info, limits, limits.max_total_bytes - total_bytes)
        total_bytes += len(content)
        if info.filename.endswith("/"):
            if content:
                raise UnsafeArchive(f"directory entry {describe_entry_name(info.filename)} has content")
            continue
        entries[info.filename] = content
    return entries


def _decompress_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits, total_left: int) -> bytes:
    produced = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(READ_CHUNK_BYTES):
            produced += chunk
            if len(produced) > limits.max_entry_bytes:
                raise UnsafeArchive(
                    f"entry {describe_entry_name(info.filename)} is larger than {limits.max_entry_bytes} bytes"
                    " once decompressed"
                )
            if len(produced) > total_left:
                raise UnsafeArchive(f"archive is larger than {limits.max_total_bytes} bytes once decompressed")
    return bytes(produced)
