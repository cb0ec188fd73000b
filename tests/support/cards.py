"""Hand-made community character cards for tests: PNG, JSON and CHARX, built from scratch here.

The PNG writer is deliberately independent of `runtime.interchange._png` (it uses `struct` and
`zlib` directly), so a test can catch the reader and the writer agreeing on a mistake.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zipfile
import zlib
from typing import Any

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(chunk_type: bytes, body: bytes, *, crc: int | None = None) -> bytes:
    value = zlib.crc32(chunk_type + body) if crc is None else crc
    return struct.pack(">I", len(body)) + chunk_type + body + struct.pack(">I", value)


def tiny_png(*extra_chunks: bytes, width: int = 2, height: int = 2, rgb: bytes = b"\x10\x20\x30") -> bytes:
    """A valid RGB PNG of one colour, with `extra_chunks` between IHDR and IDAT."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress((b"\0" + rgb * width) * height)
    return SIGNATURE + chunk(b"IHDR", header) + b"".join(extra_chunks) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def b64_json(card: Any) -> bytes:
    return base64.b64encode(json.dumps(card).encode("utf-8"))


def text_chunk(keyword: str, card: Any) -> bytes:
    return chunk(b"tEXt", keyword.encode("latin-1") + b"\0" + b64_json(card))


def ztxt_chunk(keyword: str, card: Any) -> bytes:
    return chunk(b"zTXt", keyword.encode("latin-1") + b"\0\0" + zlib.compress(b64_json(card)))


def itxt_chunk(keyword: str, card: Any, *, compressed: bool) -> bytes:
    text = zlib.compress(b64_json(card)) if compressed else b64_json(card)
    flag = b"\x01\x00" if compressed else b"\x00\x00"
    return chunk(b"iTXt", keyword.encode("latin-1") + b"\0" + flag + b"en\0Card\0" + text)


def png_card(card: Any, keyword: str = "chara") -> bytes:
    return tiny_png(text_chunk(keyword, card))


def png_text_chunks(data: bytes) -> dict[str, bytes]:
    """Every tEXt chunk of a PNG, keyword → text, read with struct alone (duplicates: the last wins)."""
    assert data.startswith(SIGNATURE)
    found: dict[str, bytes] = {}
    position = len(SIGNATURE)
    while position < len(data):
        length, chunk_type = struct.unpack_from(">I4s", data, position)
        body = data[position + 8 : position + 8 + length]
        crc = struct.unpack_from(">I", data, position + 8 + length)[0]
        assert crc == zlib.crc32(chunk_type + body), chunk_type
        if chunk_type == b"tEXt":
            keyword, _, text = body.partition(b"\0")
            found[keyword.decode("latin-1")] = text
        position += 12 + length
    return found


def card_in_png(data: bytes, keyword: str) -> Any:
    return json.loads(base64.b64decode(png_text_chunks(data)[keyword]))


def charx(card: Any, files: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("card.json", json.dumps(card))
        for path, data in (files or {}).items():
            archive.writestr(path, data)
    return buffer.getvalue()


def charx_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


V1_CARD: dict[str, Any] = {
    "name": "Mira",
    "description": "A courier who knows every alley of <BOT>'s harbor town.",
    "personality": "wary, quick",
    "scenario": "Night at the docks.",
    "first_mes": "*Mira looks up.* Who sent you, {{user}}?",
    "mes_example": "<START>\n{{USER}}: Hello.\n<bot>: Keep your voice down, <user>.",
}

V2_CARD: dict[str, Any] = {
    "spec": "chara_card_v2",
    "spec_version": "2.0",
    "data": {
        **V1_CARD,
        "creator_notes": "Best with a slow burn.",
        "system_prompt": "{{original}}\nWrite as {{char}}.",
        "post_history_instructions": "Stay terse.",
        "alternate_greetings": ["*She nods.*"],
        "tags": ["courier", "harbor"],
        "creator": "someone",
        "character_version": "1.2",
        "extensions": {"talkativeness": "0.6", "custom_tool": {"nested": [1, 2, {"deep": True}]}},
        "unknown_data_field": "keep me",
    },
}

V3_CARD: dict[str, Any] = {
    "spec": "chara_card_v3",
    "spec_version": "3.0",
    "data": {
        **V2_CARD["data"],
        "nickname": "Mi",
        "group_only_greetings": ["*Mira waves at everyone.*"],
        "source": ["https://example.invalid/mira"],
        "creation_date": 1700000000,
        "modification_date": 1700000500,
        "creator_notes_multilingual": {"de": "Am besten langsam."},
        "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
        "character_book": {
            "name": "Harbor",
            "extensions": {},
            "entries": [
                {
                    "keys": ["tide"],
                    "content": "@@depth 4\n@@risu_only 2\n@@@activate_only_after 2\nThe tide floods the docks.",
                    "extensions": {"position": 4},
                    "enabled": True,
                    "insertion_order": 10,
                    "use_regex": False,
                }
            ],
        },
    },
    "unknown_root_field": {"kept": True},
}

HYBRID_CARD: dict[str, Any] = {
    **V1_CARD,
    "creatorcomment": "Best with a slow burn.",
    "talkativeness": "0.6",
    "fav": False,
    "tags": ["courier"],
    "create_date": "2024-1-1 @12h 00m 00s 000ms",
    "avatar": "none",
    "chat": "Mira - 2024-1-1",
    "spec": "chara_card_v2",
    "spec_version": "2.0",
    "data": {
        **V1_CARD,
        "creator_notes": "Best with a slow burn.",
        "system_prompt": "",
        "post_history_instructions": "",
        "alternate_greetings": [],
        "tags": ["courier"],
        "creator": "",
        "character_version": "",
        "extensions": {
            "talkativeness": "0.6",
            "fav": False,
            "world": "Harbor Lore",
            "depth_prompt": {"prompt": "Mira distrusts strangers.", "depth": 4, "role": "system"},
        },
    },
}
