"""What kind of file a run of bytes is, told by its first bytes (its magic numbers), never by a name
or a declared content type: the picture types a cover may have, and a short description of
anything else for the error that refuses it."""

from __future__ import annotations

from runtime.interchange._png import is_png
from runtime.model.characters import CoverMimeType

SHOWN_TEXT_CHARS = 24
SHOWN_BYTES = 8
# Other formats worth naming in an error: a signature at the start of the file, and what it is.
KNOWN_SIGNATURES = (
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an ICO icon"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip file"),
)


def image_type(data: bytes) -> CoverMimeType | None:
    """The picture type the bytes start with, if it is one a cover may have."""
    if is_png(data):
        return CoverMimeType.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return CoverMimeType.JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return CoverMimeType.WEBP
    return None


def what_the_bytes_are(data: bytes) -> str:
    """A short description of what the bytes start with, for a refusal: `a GIF image`,
    `text starting 'hello'`, or `bytes starting 00 01 02 …`."""
    if not data:
        return "no bytes"
    if (picture := image_type(data)) is not None:
        return f"a {picture.extension.upper()} image"
    for signature, name in KNOWN_SIGNATURES:
        if data.startswith(signature):
            return name
    if data[4:8] == b"ftyp":
        return "an ISO media file (AVIF, HEIC or MP4)"
    try:
        text = data[:256].decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and all(char.isprintable() or char in "\t\r\n" for char in text):
        shown = " ".join(text.split())[:SHOWN_TEXT_CHARS]
        return f"text starting {shown!r}"
    return "bytes starting " + " ".join(f"{byte:02x}" for byte in data[:SHOWN_BYTES])
