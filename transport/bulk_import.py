"""`dramaturg import PATH…`: send character cards and lorebooks to a running server, one
upload per file.

Folders are searched recursively for `.png`, `.json` and `.charx` files (hidden ones are left
alone). A JSON card with a picture of the same name beside it (`Mira.json` + `Mira.png`,
`.webp`, `.jpg`) is one import through `character.import_card`, the picture becoming the cover;
other cards go to `POST /upload/character_import:new/card`, lorebooks to
`POST /upload/lorebook_import:new/book`. The server tells them apart by their content: a JSON
file goes first where its folder suggests (a `worlds` folder holds lorebooks, as SillyTavern's
does), and when the server answers that it is the other kind, or neither, it goes there next.
A file found in a folder that holds neither (a background picture, a settings file) is
skipped; one named on the command line fails. Each file is reported as it finishes; a bad file
never stops the others; the run ends with a summary table. The exit status is 1 when any file
failed.
"""

from __future__ import annotations

import base64
import enum
import glob
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

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

CARD_SUFFIXES = frozenset({".png", ".json", ".charx"})
PICTURE_TYPES = {".png": "image/png", ".webp": "image/webp", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
LOREBOOK_FOLDERS = frozenset({"worlds"})
NOTHING_HERE = "no character card or lorebook in this file"


class Kind(enum.Enum):
    """What a file holds, and where it is sent: the upload slot, and the answer's id field."""

    CARD = "character"
    LOREBOOK = "lorebook"

    @property
    def upload_path(self) -> str:
        return "/upload/character_import%3Anew/card" if self is Kind.CARD else "/upload/lorebook_import%3Anew/book"

    @property
    def id_field(self) -> str:
        return f"{self.value}_id"

    @property
    def other(self) -> Kind:
        return Kind.LOREBOOK if self is Kind.CARD else Kind.CARD


WRONG_KIND = {
    Kind.CARD: ("this is a lorebook, not a character card", "no character card found", "expected a JSON object"),
    Kind.LOREBOOK: ("this is a character card, not a lorebook", "no lorebook found"),
}
"""Refusals that say the file is not of that kind (so the other kind is tried)."""
NOT_FOUND = ("no character card found", "no lorebook found", "expected a JSON object")


class Status(enum.Enum):
    IMPORTED = "imported"
    WARNINGS = "with warnings"
    FAILED = "failed"
    SKIPPED = "skipped"


@attrs.frozen
class ImportItem:
    """One file to import: `shown` is its path as the user will recognise it."""

    path: Path
    shown: str
    picture: Path | None = None  # a picture beside a JSON card
    in_folder: bool = False  # found by searching a folder (not named on the command line)
    failure: str | None = None  # why it cannot be sent (no such file)
    first_try: Kind = Kind.CARD  # what the file is most likely to hold

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """The kinds to try, in order: only a JSON file may be a lorebook."""
        if self.path.suffix.lower() != ".json":
            return (Kind.CARD,)
        return (self.first_try, self.first_try.other)


@attrs.frozen
class ImportResult:
    item: ImportItem
    status: Status
    record_id: str | None = None
    detail: str = ""
    report: dict[str, Any] | None = None
    kind: Kind | None = None


@attrs.frozen
class ImportOptions:
    target: ServerTarget
    schema_id: str | None = None
    jobs: int = DEFAULT_JOBS
    details: bool = False  # print every field of every report
    json_report: Path | None = None


# -- finding the files ---------------------------------------------------------------------


def find_card_files(paths: Sequence[Path]) -> list[ImportItem]:
    """The files to import, in a stable order: each path as given, folders searched recursively."""
    items: list[ImportItem] = []
    for given in paths:
        if given.is_dir():
            items.extend(_folder_items(given))
        elif given.is_file():
            first_try = _first_try(given, {given.parent.name.lower()})
            items.append(ImportItem(given, str(given), picture=_picture_beside(given), first_try=first_try))
        else:
            items.append(ImportItem(given, str(given), failure="no such file or folder"))
    return items


def _folder_items(root: Path) -> list[ImportItem]:
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    json_cards = {(path.parent, path.stem) for path in files if path.suffix.lower() == ".json"}
    root_name = root.resolve().name
    items: list[ImportItem] = []
    for path in files:
        suffix = path.suffix.lower()
        if suffix not in CARD_SUFFIXES:
            continue
        if suffix == ".png" and (path.parent, path.stem) in json_cards:
            continue  # the picture of the JSON card beside it
        folders = {part.lower() for part in (root_name, *path.relative_to(root).parts[:-1])}
        first_try = _first_try(path, folders)
        items.append(ImportItem(path, str(path), picture=_picture_beside(path), in_folder=True, first_try=first_try))
    return items


def _first_try(path: Path, folders: set[str]) -> Kind:
    """A JSON file in a `worlds` folder is most likely a lorebook; anything else a card."""
    return Kind.LOREBOOK if path.suffix.lower() == ".json" and folders & LOREBOOK_FOLDERS else Kind.CARD


def _picture_beside(path: Path) -> Path | None:
    if path.suffix.lower() != ".json":
        return None
    for sibling in sorted(path.parent.glob(f"{glob.escape(path.stem)}.*")):  # `Mira [v2]` is no pattern
        if sibling.suffix.lower() in PICTURE_TYPES and sibling.is_file():
            return sibling
    return None


# -- importing -------------------------------------------------------------------------------


async def import_files(items: Sequence[ImportItem], options: ImportOptions, out: TextIO) -> list[ImportResult]:
    """Import every item, printing a line (and its warnings) as each one finishes.
    Raises ServerUnreachable when the server cannot be reached."""
    async with options.target.client() as http:

        def finished(done: int, result: ImportResult) -> None:
            print(_progress_line(done, len(items), result, options.details), file=out, flush=True)

        return await run_bounded(items, options.jobs, lambda item: _import_one(http, item, options), finished)


async def _import_one(http: httpx.AsyncClient, item: ImportItem, options: ImportOptions) -> ImportResult:
    if item.failure is not None:
        return ImportResult(item, Status.FAILED, detail=item.failure)
    try:
        data = await trio.to_thread.run_sync(item.path.read_bytes)
        picture = None if item.picture is None else await trio.to_thread.run_sync(item.picture.read_bytes)
    except OSError as exc:
        return ImportResult(item, Status.FAILED, detail=f"cannot read the file: {exc.strerror}")
    errors: list[str] = []
    for kind in item.kinds:
        try:
            answer, error = await _send(http, item, kind, data, picture, options)
        except httpx.ConnectError as exc:
            raise unreachable(options.target, exc) from exc
        except httpx.TransportError as exc:
            return ImportResult(item, Status.FAILED, detail=f"the transfer failed ({type(exc).__name__})")
        if answer is not None:
            return _imported(item, kind, answer)
        errors.append(error)
        if not any(refusal in error for refusal in WRONG_KIND[kind]):
            break
    return _refused(item, errors)


async def _send(
    http: httpx.AsyncClient, item: ImportItem, kind: Kind, data: bytes, picture: bytes | None, options: ImportOptions
) -> tuple[dict[str, Any] | None, str]:
    if kind is Kind.CARD and picture is not None:
        return await _import_with_picture(http, item, data, picture, options)
    return await _upload(http, item, kind, data, options)


def _imported(item: ImportItem, kind: Kind, answer: dict[str, Any]) -> ImportResult:
    report = answer["report"]
    codes = list(dict.fromkeys(warning["code"] for warning in report["warnings"]))
    status = Status.WARNINGS if codes else Status.IMPORTED
    return ImportResult(item, status, answer[kind.id_field], ", ".join(codes), report, kind)


def _refused(item: ImportItem, errors: list[str]) -> ImportResult:
    """A file the server refused: one found by searching a folder that holds neither a card nor
    a lorebook is skipped; anything else failed, with the reason of the kind it most likely is
    (the first kind tried, unless that one only said it is the other kind)."""
    if item.in_folder and all(any(reason in error for reason in NOT_FOUND) for error in errors):
        return ImportResult(item, Status.SKIPPED, detail=NOTHING_HERE)
    meaningful = [error for error in errors if not any(reason in error for reason in NOT_FOUND)]
    return ImportResult(item, Status.FAILED, detail=(meaningful or errors)[0])


async def _upload(
    http: httpx.AsyncClient, item: ImportItem, kind: Kind, data: bytes, options: ImportOptions
) -> tuple[dict[str, Any] | None, str]:
    # UTF-8 bytes: httpx sends str header values as ASCII only, and file names are often not.
    headers = {b"x-file-name": item.path.name.encode("utf-8")}
    if options.schema_id is not None and kind is Kind.CARD:
        headers[b"x-schema-id"] = options.schema_id.encode("utf-8")
    response = await http.post(kind.upload_path, content=data, headers=headers)
    if response.status_code != 200:
        return None, error_text(response)
    return response.json(), ""


async def _import_with_picture(
    http: httpx.AsyncClient, item: ImportItem, data: bytes, picture: bytes, options: ImportOptions
) -> tuple[dict[str, Any] | None, str]:
    assert item.picture is not None
    try:
        card = json.loads(data)
    except (ValueError, RecursionError) as exc:
        return None, f"the card is not valid JSON ({exc})"
    params: dict[str, Any] = {
        "card": card,
        "file_name": item.path.name,
        "picture": {
            "content_type": PICTURE_TYPES[item.picture.suffix.lower()],
            "data_base64": base64.b64encode(picture).decode("ascii"),
        },
    }
    if options.schema_id is not None:
        params["schema_id"] = options.schema_id
    return await call_rpc(http, "character.import_card", params)


# -- output ----------------------------------------------------------------------------------


def _progress_line(done: int, total: int, result: ImportResult, details: bool) -> str:
    head = f"{progress_head(done, total)} {result.status.value:<13} {result.item.shown}"
    if result.item.picture is not None:
        head += f" + {result.item.picture.name}"
    if result.report is None:
        return f"{head}: {result.detail}" if result.detail else head
    lines = [f"{head} → {result.kind.value if result.kind else ''} {result.record_id}"]
    lines += [f"      ! {warning['code']}: {warning['message']}" for warning in result.report["warnings"]]
    if details:
        lines += [f"      {_field_line(field)}" for field in result.report["fields"]]
    return "\n".join(lines)


def _field_line(field: dict[str, Any]) -> str:
    outcome = field["outcome"]
    if outcome == "mapped":
        outcome = f"mapped → {field['target']}"
    elif outcome == "defaulted":
        outcome = f"defaulted = {json.dumps(field['value'], ensure_ascii=False)}"
    note = f"  ({field['note']})" if field.get("note") else ""
    return f"{field['field']}: {outcome}{note}"


def print_summary(results: Sequence[ImportResult], seconds: float, out: TextIO) -> None:
    counts = {status: sum(1 for result in results if result.status is status) for status in Status}
    imported = counts[Status.IMPORTED] + counts[Status.WARNINGS]
    created = {kind: sum(len(r.report["created"][f"{kind.value}s"]) for r in results if r.report) for kind in Kind}
    rate = f" ({imported / seconds:.1f} files/s)" if seconds > 0 and imported else ""
    print(
        f"\nImported {imported} of {len(results)} files ({counts[Status.WARNINGS]} with warnings):"
        f" {_count(created[Kind.CARD], 'character')}, {_count(created[Kind.LOREBOOK], 'lorebook')} created;"
        f" {counts[Status.FAILED]} failed, {counts[Status.SKIPPED]} skipped, in {seconds:.1f} s{rate}.",
        file=out,
    )
    notable = [result for result in results if result.status is not Status.IMPORTED]
    if notable:
        rows = [[r.status.value, r.item.shown, _created(r), r.detail] for r in notable]
        print_table(rows, ["status", "file", "created", "detail"], out)


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


def _created(result: ImportResult) -> str:
    return "-" if result.kind is None or result.record_id is None else f"{result.kind.value} {result.record_id}"


def write_json_report(results: Sequence[ImportResult], path: Path) -> None:
    entries = [
        {
            "file": result.item.shown,
            "status": result.status.value,
            "kind": None if result.kind is None else result.kind.value,
            f"{(result.kind or Kind.CARD).value}_id": result.record_id,
            "detail": result.detail,
            "report": result.report,
        }
        for result in results
    ]
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")


async def run_import(paths: Sequence[Path], options: ImportOptions, out: TextIO) -> int:
    """The whole command: 0 when no file failed, 1 when some did, 2 when the server is unreachable."""
    items = await trio.to_thread.run_sync(find_card_files, paths)
    started = time.perf_counter()
    try:
        results = await import_files(items, options, out)
    except ServerUnreachable as exc:
        print(f"dramaturg import: {exc}", file=out)
        return 2
    print_summary(results, time.perf_counter() - started, out)
    if options.json_report is not None:
        await trio.to_thread.run_sync(write_json_report, results, options.json_report)
    return 1 if any(result.status is Status.FAILED for result in results) else 0
