"""`dramaturg export [ID…] --out DIR`: download characters from a running server as card files.

Every character (or the ones named) is written to the folder as `{id}.png` (a PNG card with
`chara` and `ccv3` chunks), `{id}.json` (V3), `{id}.v2.json` (V2) or `{id}.charx`, using the
`character:{id}/card.*` download slots. Existing files are replaced. The exit status is 1 when
any character could not be exported.
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


@attrs.frozen
class ExportOptions:
    target: ServerTarget
    out_dir: Path
    card_format: CardFormat = CardFormat.PNG
    jobs: int = DEFAULT_JOBS


@attrs.frozen
class ExportResult:
    character_id: str
    file: Path | None
    error: str = ""


async def _character_ids(http: httpx.AsyncClient, wanted: Sequence[str]) -> tuple[list[str], str]:
    if wanted:
        return list(dict.fromkeys(wanted)), ""
    result, error = await call_rpc(http, "character.list", {})
    if result is None:
        return [], error
    return [summary["character_id"] for summary in result["characters"]], ""


async def export_characters(wanted: Sequence[str], options: ExportOptions, out: TextIO) -> list[ExportResult] | str:
    """Export each character, printing a line as each finishes; an error text when none could be
    listed. Raises ServerUnreachable."""
    await trio.to_thread.run_sync(lambda: options.out_dir.mkdir(parents=True, exist_ok=True))
    async with options.target.client() as http:
        try:
            ids, error = await _character_ids(http, wanted)
        except httpx.ConnectError as exc:
            raise unreachable(options.target, exc) from exc
        if error:
            return error
        results: list[ExportResult | None] = [None] * len(ids)
        done = 0

        async def work(index: int, character_id: str) -> None:
            nonlocal done
            results[index] = result = await _export_one(http, character_id, options)
            done += 1
            shown = str(result.file) if result.file is not None else f"failed: {result.error}"
            print(f"[{done:>{len(str(len(ids)))}}/{len(ids)}] {character_id} → {shown}", file=out, flush=True)

        await run_bounded(ids, options.jobs, work)
    return [result for result in results if result is not None]


async def _export_one(http: httpx.AsyncClient, character_id: str, options: ExportOptions) -> ExportResult:
    path = f"/download/{quote('character:' + character_id, safe='')}/{options.card_format.file_id}"
    try:
        response = await http.get(path)
    except httpx.ConnectError as exc:
        raise unreachable(options.target, exc) from exc
    except httpx.TransportError as exc:
        return ExportResult(character_id, None, f"the transfer failed ({type(exc).__name__})")
    if response.status_code != 200:
        return ExportResult(character_id, None, error_text(response))
    file = options.out_dir / f"{_safe_file_stem(character_id)}{options.card_format.suffix}"
    await trio.to_thread.run_sync(file.write_bytes, response.content)
    return ExportResult(character_id, file)


def _safe_file_stem(character_id: str) -> str:
    """The id as a file name: path separators and other troublesome characters replaced by `_`."""
    return "".join(c if c.isalnum() or c in "-_. " else "_" for c in character_id).strip(". ") or "_"


async def run_export(wanted: Sequence[str], options: ExportOptions, out: TextIO) -> int:
    """The whole command: 0 when every character was written, 1 otherwise, 2 when the server is unreachable."""
    try:
        results = await export_characters(wanted, options, out)
    except ServerUnreachable as exc:
        print(f"dramaturg export: {exc}", file=out)
        return 2
    if isinstance(results, str):
        print(f"dramaturg export: cannot list the characters: {results}", file=out)
        return 1
    failed = [result for result in results if result.file is None]
    print(f"\nExported {len(results) - len(failed)} of {len(results)} characters to {options.out_dir}.", file=out)
    if failed:
        print_table([[r.character_id, r.error] for r in failed], ["character", "failed because"], out)
    return 1 if failed else 0
