"""PNG files as character cards carry them: the chunk walk, the card's text chunks, and writing.

A PNG is an 8-byte signature followed by chunks of `length (4, big-endian) · type (4) · data ·
CRC-32 (4)`, ending with `IEND`. A card lives in a text chunk whose keyword is `chara` (V1/V2)
or `ccv3` (V3): `tEXt` (keyword, NUL, Latin-1 text), `zTXt` (keyword, NUL, method, deflated
text) or `iTXt` (keyword, NUL, compression flag, method, language, NUL, translated keyword,
NUL, UTF-8 text, deflated when the flag is set).

The file is hostile until read: the number of chunks and the size of each are bounded, a chunk
that runs past the end of the file is refused, and compressed text is inflated with the output
counted as it is produced (never trusted from a header). Only the card chunks are inflated.
Every failure is an `UnsafePng` whose message says why, without a prefix. Pure; no I/O.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable

import attrs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIB = 1024 * 1024
CARD_KEYWORDS = ("ccv3", "chara")  # in order of precedence: a V3 card wins over its V2 backfill
TEXT_CHUNK_TYPES = frozenset({b"tEXt", b"zTXt", b"iTXt"})
MAX_KEYWORD_BYTES = 79  # PNG §11.3.4: keywords are 1–79 bytes
_LENGTH_AND_TYPE = struct.Struct(">I4s")
_CRC = struct.Struct(">I")


class UnsafePng(Exception):
    """The PNG was refused; the message says why, without a prefix."""


@attrs.frozen(kw_only=True)
class PngLimits:
    """How much a PNG card may hold. Units are in the names."""

    max_chunks: int = 20_000  # a 32 MiB image in 8 KiB IDAT chunks needs about 4,000
    max_chunk_bytes: int = 32 * MIB
    max_text_bytes: int = 16 * MIB  # one card text once inflated


@attrs.frozen
class PngChunk:
    """One chunk: its type and where it sits in the file (`start` at the length field, `end` after the CRC)."""

    type: bytes
    start: int
    end: int

    @property
    def data_start(self) -> int:
        return self.start + _LENGTH_AND_TYPE.size

    @property
    def data_end(self) -> int:
        return self.end - _CRC.size


@attrs.frozen
class CardText:
    """The text of a card chunk: its keyword as written, the chunk type, the text, and whether its CRC held."""

    keyword: str
    chunk_type: str
    text: str
    crc_ok: bool


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def read_chunks(data: bytes, limits: PngLimits = PngLimits()) -> list[PngChunk]:
    """Every chunk up to and including `IEND`; bytes after it are ignored. Raises UnsafePng."""
    if not is_png(data):
        raise UnsafePng("not a PNG file")
    chunks: list[PngChunk] = []
    position = len(PNG_SIGNATURE)
    while True:
        if len(chunks) >= limits.max_chunks:
            raise UnsafePng(f"more than {limits.max_chunks} chunks")
        chunk = _next_chunk(data, position, limits)
        chunks.append(chunk)
        if chunk.type == b"IEND":
            return chunks
        position = chunk.end


def _next_chunk(data: bytes, position: int, limits: PngLimits) -> PngChunk:
    if position + _LENGTH_AND_TYPE.size > len(data):
        raise UnsafePng("truncated PNG: the file ends before its IEND chunk")
    length, chunk_type = _LENGTH_AND_TYPE.unpack_from(data, position)
    if length > limits.max_chunk_bytes:
        raise UnsafePng(
            f"a {_shown_type(chunk_type)} chunk of {length} bytes is over the limit of {limits.max_chunk_bytes}"
        )
    end = position + _LENGTH_AND_TYPE.size + length + _CRC.size
    if end > len(data):
        raise UnsafePng(f"truncated PNG: the {_shown_type(chunk_type)} chunk runs past the end of the file")
    return PngChunk(chunk_type, position, end)


def _shown_type(chunk_type: bytes) -> str:
    return chunk_type.decode("latin-1").encode("unicode_escape").decode("ascii")


def chunk_keyword(data: bytes, chunk: PngChunk) -> str | None:
    """The keyword of a text chunk (None for other chunks or a keyword without its NUL)."""
    if chunk.type not in TEXT_CHUNK_TYPES:
        return None
    head = data[chunk.data_start : min(chunk.data_end, chunk.data_start + MAX_KEYWORD_BYTES + 1)]
    end = head.find(b"\0")
    return None if end < 1 else head[:end].decode("latin-1")


def is_card_keyword(keyword: str | None) -> bool:
    """`chara` or `ccv3`, compared case-insensitively (RisuAI's `chara-ext-asset_:…` is not)."""
    return keyword is not None and keyword.lower() in CARD_KEYWORDS


def card_texts(data: bytes, chunks: Iterable[PngChunk], limits: PngLimits = PngLimits()) -> dict[str, list[CardText]]:
    """The card chunks' texts by lower-case keyword (`ccv3`, `chara`), in file order. Raises UnsafePng."""
    found: dict[str, list[CardText]] = {}
    for chunk in chunks:
        keyword = chunk_keyword(data, chunk)
        if is_card_keyword(keyword):
            assert keyword is not None
            found.setdefault(keyword.lower(), []).append(_card_text(data, chunk, keyword, limits))
    return found


def _card_text(data: bytes, chunk: PngChunk, keyword: str, limits: PngLimits) -> CardText:
    body = data[chunk.data_start : chunk.data_end]
    crc_ok = zlib.crc32(chunk.type + body) == _CRC.unpack_from(data, chunk.data_end)[0]
    after_keyword = body[len(keyword.encode("latin-1")) + 1 :]
    chunk_type = chunk.type.decode("ascii")
    if chunk.type == b"tEXt":
        text = after_keyword.decode("latin-1")
    elif chunk.type == b"zTXt":
        text = _inflate(after_keyword[1:], limits.max_text_bytes, chunk_type).decode("latin-1")
    else:
        text = _international_text(after_keyword, limits)
    return CardText(keyword, chunk_type, text, crc_ok)


def _international_text(body: bytes, limits: PngLimits) -> str:
    """The text of an iTXt chunk after its keyword: flag, method, language NUL, translated keyword NUL, text."""
    if len(body) < 2:
        raise UnsafePng("damaged iTXt chunk: no compression flag")
    compressed = body[0] == 1
    language_end = body.find(b"\0", 2)
    translated_end = -1 if language_end < 0 else body.find(b"\0", language_end + 1)
    if translated_end < 0:
        raise UnsafePng("damaged iTXt chunk: the language or translated keyword is not terminated")
    text = body[translated_end + 1 :]
    if compressed:
        text = _inflate(text, limits.max_text_bytes, "iTXt")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafePng("damaged iTXt chunk: the text is not UTF-8") from exc


def _inflate(compressed: bytes, limit: int, chunk_type: str) -> bytes:
    """Inflate, producing at most `limit` bytes: the inflater stops one byte past the limit, so a
    bomb is caught after `limit + 1` bytes of output whatever its header claims."""
    inflater = zlib.decompressobj()
    try:
        produced = inflater.decompress(compressed, limit + 1)
    except zlib.error as exc:
        raise UnsafePng(f"damaged {chunk_type} chunk: {exc}") from exc
    if len(produced) > limit:
        raise UnsafePng(f"a {chunk_type} chunk inflates to more than {limit} bytes")
    if not inflater.eof:
        raise UnsafePng(f"damaged {chunk_type} chunk: the compressed text is truncated")
    return produced


# -- writing -----------------------------------------------------------------------------


def without_chunks(data: bytes, chunks: list[PngChunk], drop: Callable[[PngChunk], bool]) -> bytes:
    """The PNG without the chunks for which `drop` is true (and without bytes after IEND)."""
    dropped = [chunk for chunk in chunks if drop(chunk)]
    if not dropped and chunks[-1].end == len(data):
        return data
    kept = [data[chunk.start : chunk.end] for chunk in chunks if not drop(chunk)]
    return PNG_SIGNATURE + b"".join(kept)


def text_chunk(keyword: str, text: str) -> bytes:
    """A `tEXt` chunk (the text must be Latin-1; card texts are base64, so ASCII)."""
    return encode_chunk(b"tEXt", keyword.encode("latin-1") + b"\0" + text.encode("latin-1"))


def encode_chunk(chunk_type: bytes, body: bytes) -> bytes:
    return _LENGTH_AND_TYPE.pack(len(body), chunk_type) + body + _CRC.pack(zlib.crc32(chunk_type + body))


def with_chunks_before_end(data: bytes, chunks: list[PngChunk], extra: Iterable[bytes]) -> bytes:
    """The PNG with `extra` encoded chunks inserted just before its IEND."""
    end = chunks[-1]
    return b"".join([data[: end.start], *extra, data[end.start : end.end]])
