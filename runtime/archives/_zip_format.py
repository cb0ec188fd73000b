"""What both archive formats share: writing deterministic ZIPs and reading validated entries.

Entries are deflated, stamped with one time and the Unix mode 0644; JSON entries are
pretty-printed. Reading goes through an `ArchiveEntries` that names the format in its errors.
"""

from __future__ import annotations

import datetime
import io
import json
import stat
import zipfile
from collections.abc import Iterable
from typing import TypeVar

import attrs

from runtime.archives._safe_zip import describe_entry_name
from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.json_input import JsonInputError, check_json_value, parse_json_text

T = TypeVar("T")

ENTRY_MODE = 0o644
UNIX_CREATOR = 3  # ZIP "version made by" host: the external attributes hold a Unix mode
EARLIEST_ZIP_TIME = datetime.datetime(1980, 1, 1, tzinfo=datetime.UTC)  # DOS dates start here


def pretty_json(record: object) -> bytes:
    return json.dumps(CODEC.unstructure(record), indent=2, ensure_ascii=False).encode("utf-8")


def write_zip(entries: Iterable[tuple[str, bytes]], modified_at_ms: int) -> bytes:
    """A ZIP of `entries` in the given order, all stamped with `modified_at_ms`."""
    date_time = _zip_date_time(modified_at_ms)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in entries:
            archive.writestr(_entry_info(name, date_time), payload)
    return buffer.getvalue()


def _entry_info(name: str, date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = UNIX_CREATOR
    info.external_attr = (stat.S_IFREG | ENTRY_MODE) << 16
    return info


def _zip_date_time(epoch_ms: int) -> tuple[int, int, int, int, int, int]:
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    moment = max(moment, EARLIEST_ZIP_TIME)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


@attrs.frozen
class ArchiveEntries:
    """The entries of a safely read archive, with the format's wording for its errors.

    `missing_entry` is the message prefix of a missing entry (`missing … archive entry: `);
    `error_prefix` starts every other error (`invalid … archive: `).
    """

    entries: dict[str, bytes]
    missing_entry: str
    error_prefix: str

    def invalid(self, detail: str) -> InvalidParams:
        return InvalidParams(f"{self.error_prefix}{detail}")

    def require(self, name: str) -> bytes:
        if name not in self.entries:
            raise InvalidParams(f"{self.missing_entry}{name}")
        return self.entries[name]

    def structure(self, name: str, record_type: type[T]) -> T:
        """The JSON entry `name` as `record_type`; InvalidParams naming the entry and field otherwise."""
        raw = self.require(name)
        try:
            value = parse_json_text(raw)
        except JsonInputError as exc:
            raise self.invalid(f"{name} is {exc.reason}") from exc
        try:
            check_json_value(value, name)
        except JsonInputError as exc:
            raise self.invalid(str(exc)) from exc
        try:
            return CODEC.structure(value, record_type, path=name)
        except InvalidParams as exc:
            raise self.invalid(exc.message) from exc
        except RecursionError as exc:
            raise self.invalid(f"{name} is nested too deeply") from exc

    def refuse_unexpected(self, expected: set[str], template: str) -> None:
        """Refuse the first entry outside `expected`, worded by `template` (`{entry}` is its name)."""
        unexpected = next((name for name in self.entries if name not in expected), None)
        if unexpected is not None:
            raise self.invalid(template.format(entry=describe_entry_name(unexpected)))
