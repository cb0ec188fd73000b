"""The picture of a PNG card for a character without a PNG cover: a plain generated image.

A PNG card needs a PNG to live in. When a character has no cover, or a JPEG or WebP one (which
cannot carry the card's text chunks), the export writes the card into this placeholder: a
portrait-shaped image in one colour derived from the character's id, so every character gets
a stable picture of its own. It is a few hundred bytes. Pure.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

from runtime.interchange._png import PNG_SIGNATURE, encode_chunk

WIDTH, HEIGHT = 400, 600  # the 2:3 portrait most card sites use
BIT_DEPTH, TRUECOLOUR = 8, 2
NO_FILTER = b"\0"


def placeholder_png(seed: str) -> bytes:
    """A WIDTH×HEIGHT PNG in a muted colour chosen by `seed` (the same seed, the same picture)."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    colour = bytes(64 + byte // 2 for byte in digest[:3])  # mid-range: neither black nor white
    row = NO_FILTER + colour * WIDTH
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, BIT_DEPTH, TRUECOLOUR, 0, 0, 0)
    pixels = zlib.compress(row * HEIGHT, 9)
    return PNG_SIGNATURE + encode_chunk(b"IHDR", header) + encode_chunk(b"IDAT", pixels) + encode_chunk(b"IEND", b"")
