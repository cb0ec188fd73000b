"""One lorebook file, or one lorebook value, read all the way to the Dramaturg lorebook it gives.

`read_book_upload` takes the bytes of an uploaded file (JSON, recognised by its first bytes),
`read_book_value` a book that arrived parsed (the JSON body of an RPC call); both hold it to
the card import's JSON limits (size, depth, finite numbers) and return a `BookReading`.
`reread_book` reads a stored original again, exactly as its import read it (the start of an
export). Raises `UnreadableBook` when there is no usable lorebook. Blocking and CPU-bound (a
large World Info file takes a while): call them through a worker thread.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from runtime.interchange._book_reader import BookReading, read_book, read_card_book
from runtime.interchange._book_shapes import NotALorebook
from runtime.interchange._bounded_json import JsonLimits, UnsafeJson, check_json_value, parse_json
from runtime.interchange._card_file import image_type
from runtime.model.lorebook_files import BookFormat

JSON_STARTS = (b"{", b"[")
SUBJECT = "lorebook"


class UnreadableBook(Exception):
    """No lorebook could be read from the file; the message says why, without a prefix."""


def read_book_upload(data: bytes, file_name: str | None, limits: JsonLimits = JsonLimits()) -> BookReading:
    """The lorebook in an uploaded file. Raises UnreadableBook."""
    if not data:
        raise UnreadableBook("the file is empty")
    if not data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(JSON_STARTS):
        kind = image_type(data)
        shown = f"a {kind.extension.upper()} picture" if kind is not None else "not JSON"
        raise UnreadableBook(f"no lorebook found: the file is {shown} (lorebooks are JSON files)")
    try:
        value = parse_json(data, limits, SUBJECT)
    except UnsafeJson as exc:
        raise UnreadableBook(str(exc)) from exc
    return _reading(value, file_name)


def read_book_value(value: Any, file_name: str | None, limits: JsonLimits = JsonLimits()) -> BookReading:
    """A lorebook that was parsed already. Raises UnreadableBook."""
    try:
        check_json_value(value, limits, SUBJECT)
    except UnsafeJson as exc:
        raise UnreadableBook(str(exc)) from exc
    return _reading(value, file_name)


def reread_book(raw: Any, book_format: BookFormat, name: str) -> BookReading:
    """A stored original read again as its import read it: the same lorebook (a nameless book
    named `name`, as the import named it), its entries' ids, where each field came from."""
    if book_format is BookFormat.CHARACTER_BOOK:
        return read_card_book(raw, "", name)
    return read_book(raw, name)


def _reading(value: Any, file_name: str | None) -> BookReading:
    try:
        return read_book(value, file_stem(file_name))
    except NotALorebook as exc:
        raise UnreadableBook(str(exc)) from exc


def file_stem(file_name: str | None) -> str | None:
    """`Harbor Lore.json` → `Harbor Lore` (any folders in the name dropped)."""
    if not file_name:
        return None
    name = PurePosixPath(file_name.replace("\\", "/")).name
    return name.rsplit(".", 1)[0] if "." in name else name
