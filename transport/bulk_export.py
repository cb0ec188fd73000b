"""`dramaturg export [ID…] --out DIR`: download characters, or lorebooks, from a running server
as community files.

Every character (or the ones named) is written to the folder as `{id}.png` (a PNG card with
`chara` and `ccv3` chunks), `{id}.json` (V3), `{id}.v2.json` (V2) or `{id}.charx`, using the
`character:{id}/card.*` download slots. With `--lorebooks`, every lorebook (or the ones named)
is written as `{id}.json` (SillyTavern World Info) or `{id}.lorebook_v3.json`, using the
`lorebook:{id}/…` slots. An id that would make the same file name as an earlier one of the run
(`a:b` after `a/b`) gets `-2`, `-3`… after it. Existing files are replaced. The exit status is 1
when any record could not be exported.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

import attrs
import httpx
import trio

from transport.bulk_transfer import (
    DEFAULT_JOBS,
    ServerTarget,
    ServerUnreachable,
    call_rpc,
    error_text,
    print_table,
    progress_head,
    run_bounded,
    unreachable,
)


class CardFormat(enum.Enum):
    """The `--format` choices: the download slot and the file's ending."""

    PNG = "png"
    JSON = "json"
    JSON_V2 = "json-v2"
    CHARX = "charx"

    @property
    def file_id(self) -> str:
        return {"png": "card.png", "json": "card.json", "json-v2": "card_v2.json", "charx": "card.charx"}[self.value]

    @property
    def suffix(self) -> str:
        return {"png": ".png", "json": ".json", "json-v2": ".v2.json", "charx": ".charx"}[self.value]


class LorebookFormat(enum.Enum):
    """The `--book-format` choices (with `--lorebooks`): the download slot and the file's ending."""

    WORLD_INFO = "world_info"
    LOREBOOK_V3 = "lorebook_v3"

    @property
    def file_id(self) -> str:
        return f"{self.value}.json"

    @property
    def suffix(self) -> str:
        return ".json" if self is LorebookFormat.WORLD_INFO else ".lorebook_v3.json"


@attrs.frozen
class Records:
    """What is exported: characters or lorebooks, how they are listed and downloaded."""

    kind: str  # the slot kind and the id prefix: `character`, `lorebook`
    plural: str
    file_format: CardFormat | LorebookFormat

    @property
    def list_method(self) -> str:
        return f"{self.kind}.list"


@attrs.frozen
class ExportOptions:
    target: ServerTarget
    out_dir: Path
    card_format: CardFormat = CardFormat.PNG
    jobs: int = DEFAULT_JOBS
    lorebooks: bool = False  # export lorebooks instead of characters
    book_format: LorebookFormat = LorebookFormat.WORLD_INFO

    @property
    def records(self) -> Records:
        if self.lorebooks:
            return Records("lorebook", "lorebooks", self.book_format)
        return Records("character", "characters", self.card_format)


@attrs.frozen
class ExportResult:
    record_id: str
    file: Path | None
    error: str = ""


async def _record_ids(http: httpx.AsyncClient, records: Records, wanted: Sequence[str]) -> tuple[list[str], str]:
    if wanted:
        return list(dict.fromkeys(wanted)), ""
    result, error = await call_rpc(http, records.list_method, {})
    if result is None:
        return [], error
    return [summary[f"{records.kind}_id"] for summary in result[records.plural]], ""


async def export_records(wanted: Sequence[str], options: ExportOptions, out: TextIO) -> list[ExportResult] | str:
    """Export each record, printing a line as each finishes; an error text when none could be
    listed. Raises ServerUnreachable."""
    await trio.to_thread.run_sync(lambda: options.out_dir.mkdir(parents=True, exist_ok=True))
    async with options.target.client() as http:
        try:
            ids, error = await _record_ids(http, options.records, wanted)
        except httpx.ConnectError as exc:
            raise unreachable(options.target, exc) from exc
        if error:
            return error
        files = _file_names(ids, options.records.file_format.suffix)

        def finished(done: int, result: ExportResult) -> None:
            shown = str(result.file) if result.file is not None else f"failed: {result.error}"
            print(f"{progress_head(done, len(ids))} {result.record_id} → {shown}", file=out, flush=True)

        async def work(record_id: str) -> ExportResult:
            return await _export_one(http, record_id, options.out_dir / files[record_id], options)

        return await run_bounded(ids, options.jobs, work, finished)


async def _export_one(http: httpx.AsyncClient, record_id: str, file: Path, options: ExportOptions) -> ExportResult:
    records = options.records
    path = f"/download/{quote(f'{records.kind}:{record_id}', safe='')}/{records.file_format.file_id}"
    try:
        response = await http.get(path)
    except httpx.ConnectError as exc:
        raise unreachable(options.target, exc) from exc
    except httpx.TransportError as exc:
        return ExportResult(record_id, None, f"the transfer failed ({type(exc).__name__})")
    if response.status_code != 200:
        return ExportResult(record_id, None, error_text(response))
    await trio.to_thread.run_sync(file.write_bytes, response.content)
    return ExportResult(record_id, file)


def _file_names(ids: Sequence[str], suffix: str) -> dict[str, str]:
    """Each id's file name: the id made safe for a file name, with `-2`, `-3`… when an earlier id
    of the run made the same name (letter case aside, as some file systems ignore it)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for record_id in ids:
        stem = _safe_file_stem(record_id)
        name, number = f"{stem}{suffix}", 1
        while name.lower() in taken:
            number += 1
            name = f"{stem}-{number}{suffix}"
        taken.add(name.lower())
        names[record_id] = name
    return names


def _safe_file_stem(record_id: str) -> str:
    """The id as a file name: path separators and other troublesome characters replaced by `_`."""
    return "".join(c if c.isalnum() or c in "-_. " else "_" for c in record_id).strip(". ") or "_"


async def run_export(wanted: Sequence[str], options: ExportOptions, out: TextIO) -> int:
    """The whole command: 0 when every record was written, 1 otherwise, 2 when the server is unreachable."""
    records = options.records
    try:
        results = await export_records(wanted, options, out)
    except ServerUnreachable as exc:
        print(f"dramaturg export: {exc}", file=out)
        return 2
    if isinstance(results, str):
        print(f"dramaturg export: cannot list the {records.plural}: {results}", file=out)
        return 1
    failed = [result for result in results if result.file is None]
    print(f"\nExported {len(results) - len(failed)} of {len(results)} {records.plural} to {options.out_dir}.", file=out)
    if failed:
        print_table([[r.record_id, r.error] for r in failed], [records.kind, "failed because"], out)
    return 1 if failed else 0
