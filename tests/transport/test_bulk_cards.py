"""`dramaturg import` and `dramaturg export` against a real server: a SillyTavern-like folder in,
a folder of cards out, and the summary and exit status in between."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.support.cards import HYBRID_CARD, V1_CARD, V2_CARD, V3_CARD, card_in_png, charx, png_card, tiny_png
from tests.support.processes import free_port
from tests.support.server import RunningServer
from transport.bulk_export import CardFormat, ExportOptions, LorebookFormat, run_export
from transport.bulk_import import ImportOptions, Kind, Status, find_card_files, run_import
from transport.bulk_transfer import ServerTarget, url_for_listen
from transport.cli import build_parser, server_target_from

WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20)


def sillytavern_folder(root: Path, *, broken: bool) -> Path:
    characters = root / "characters"
    (characters / "sub").mkdir(parents=True)
    (root / "worlds").mkdir()
    (root / ".git").mkdir()
    (characters / "Mira.png").write_bytes(png_card(V2_CARD))
    (characters / "Xan.png").write_bytes(png_card({**V3_CARD, "data": {**V3_CARD["data"], "name": "Xan"}}, "ccv3"))
    (characters / "plain.png").write_bytes(tiny_png())  # a picture without a card: skipped
    (characters / "Duo.json").write_bytes(json.dumps({**V1_CARD, "name": "Duo"}).encode())
    (characters / "Duo.webp").write_bytes(WEBP)
    (characters / "sub" / "Other.charx").write_bytes(charx({**V3_CARD, "data": {**V3_CARD["data"], "name": "Other"}}))
    (characters / "notes.txt").write_text("not a card")
    (root / "worlds" / "Coast.json").write_text(
        json.dumps({"entries": {"0": {"uid": 0, "key": ["cliff"], "content": "Chalk cliffs."}}})
    )
    (root / ".git" / "Hidden.png").write_bytes(png_card(HYBRID_CARD))
    if broken:
        (characters / "Broken.png").write_bytes(png_card(V1_CARD)[:-30])
    return root


def options(server: RunningServer, **changes: object) -> ImportOptions:
    return ImportOptions(ServerTarget(server.url), **changes)  # type: ignore[arg-type]


def test_finding_files_pairs_json_with_its_picture_and_sends_worlds_as_lorebooks_first(tmp_path: Path) -> None:
    root = sillytavern_folder(tmp_path / "st", broken=False)

    items = {Path(item.shown).relative_to(root).as_posix(): item for item in find_card_files([root])}

    assert sorted(items) == [
        "characters/Duo.json",
        "characters/Mira.png",
        "characters/Xan.png",
        "characters/plain.png",
        "characters/sub/Other.charx",
        "worlds/Coast.json",
    ]
    assert items["characters/Duo.json"].picture == root / "characters" / "Duo.webp"
    assert items["worlds/Coast.json"].kinds == (Kind.LOREBOOK, Kind.CARD)
    assert items["characters/Duo.json"].kinds == (Kind.CARD, Kind.LOREBOOK)
    assert items["characters/Mira.png"].kinds == (Kind.CARD,)
    assert [item.failure for item in find_card_files([tmp_path / "missing.png"])] == ["no such file or folder"]


def test_a_picture_is_found_beside_a_card_whose_name_has_glob_characters(tmp_path: Path) -> None:
    for stem in ("Mira [v2]", "Xan*", "Zed?"):
        (tmp_path / f"{stem}.json").write_bytes(json.dumps({**V1_CARD, "name": stem}).encode())
        (tmp_path / f"{stem}.webp").write_bytes(WEBP)

    items = find_card_files([tmp_path])

    assert [(Path(item.shown).name, item.picture and item.picture.name) for item in items] == [
        ("Mira [v2].json", "Mira [v2].webp"),
        ("Xan*.json", "Xan*.webp"),
        ("Zed?.json", "Zed?.webp"),
    ]


async def test_import_a_folder_reports_each_file_and_ends_with_a_summary(server: RunningServer, tmp_path: Path) -> None:
    root = sillytavern_folder(tmp_path / "st", broken=True)
    out = io.StringIO()

    status = await run_import([root], options(server, json_report=tmp_path / "report.json"), out)

    text = out.getvalue()
    assert status == 1  # Broken.png failed
    assert [line[:5] for line in text.splitlines() if line.startswith("[")] == [f"[{n}/7]" for n in range(1, 8)]
    assert "Imported 5 of 7 files (2 with warnings): 4 characters, 3 lorebooks created; 1 failed, 1 skipped" in text
    assert "characters/Broken.png: invalid character card: damaged or hostile PNG: truncated PNG" in text
    assert "worlds/Coast.json → lorebook coast" in text
    assert "! unknown_decorator" in text
    summary = text[text.index("\nImported") :]
    assert "no character card or lorebook in this file" in summary
    listed = await server.client.result("character.list")
    assert sorted(c["character_id"] for c in listed["characters"]) == ["duo", "mira", "other", "xan"]
    duo = await server.client.result("character.get", {"character_id": "duo"})
    assert duo["cover_mime_type"] == "image/webp"  # the picture beside the JSON
    report = json.loads((tmp_path / "report.json").read_text())
    assert {entry["status"] for entry in report} == {status.value for status in Status}
    assert next(entry for entry in report if entry.get("character_id") == "mira")["report"]["container"] == "png"
    assert next(entry for entry in report if entry.get("lorebook_id") == "coast")["report"]["format"] == "world_info"


async def test_a_clean_import_exits_0_and_prints_fields_on_request(server: RunningServer, tmp_path: Path) -> None:
    (tmp_path / "Mira.json").write_text(json.dumps(V1_CARD))
    out = io.StringIO()

    status = await run_import([tmp_path / "Mira.json"], options(server, details=True), out)

    assert status == 0
    assert "description: mapped → personality" in out.getvalue()
    assert 'creator_notes: defaulted = ""' in out.getvalue()


async def test_a_file_named_on_the_command_line_without_a_card_fails(server: RunningServer, tmp_path: Path) -> None:
    (tmp_path / "plain.png").write_bytes(tiny_png())
    out = io.StringIO()

    assert await run_import([tmp_path / "plain.png", tmp_path / "gone.png"], options(server), out) == 1
    assert "no character card found: the PNG has no chara or ccv3 text chunk" in out.getvalue()
    assert "no such file or folder" in out.getvalue()


async def test_an_unreachable_server_stops_the_run_with_status_2(tmp_path: Path) -> None:
    (tmp_path / "Mira.png").write_bytes(png_card(V1_CARD))
    out = io.StringIO()
    target = ServerTarget(f"http://127.0.0.1:{free_port()}")

    assert await run_import([tmp_path], ImportOptions(target), out) == 2
    assert "cannot reach the Dramaturg server at http://127.0.0.1:" in out.getvalue()


async def test_export_writes_a_card_file_per_character(server: RunningServer, tmp_path: Path) -> None:
    await run_import([sillytavern_folder(tmp_path / "st", broken=False)], options(server), io.StringIO())
    out = io.StringIO()

    status = await run_export([], ExportOptions(ServerTarget(server.url), tmp_path / "out"), out)

    assert status == 0
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["duo.png", "mira.png", "other.png", "xan.png"]
    assert card_in_png((tmp_path / "out" / "mira.png").read_bytes(), "ccv3")["data"]["name"] == "Mira"
    assert "Exported 4 of 4 characters" in out.getvalue()
    progress = [line.split(" → ")[0].split(" ") for line in out.getvalue().splitlines() if line.startswith("[")]
    assert [head for head, _ in progress] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]  # counted as they finish
    assert sorted(record_id for _, record_id in progress) == ["duo", "mira", "other", "xan"]


async def test_export_of_one_format_and_a_missing_character(server: RunningServer, tmp_path: Path) -> None:
    await run_import([sillytavern_folder(tmp_path / "st", broken=False)], options(server), io.StringIO())
    out = io.StringIO()
    export_options = ExportOptions(ServerTarget(server.url), tmp_path / "out", CardFormat.JSON_V2)

    status = await run_export(["xan", "ghost"], export_options, out)

    assert status == 1
    assert json.loads((tmp_path / "out" / "xan.v2.json").read_text())["spec"] == "chara_card_v2"
    assert "character 'ghost' not found" in out.getvalue()


async def test_ids_that_make_the_same_file_name_are_exported_to_files_of_their_own(
    server: RunningServer, tmp_path: Path
) -> None:
    for character_id in ("a:b", "a?b", "a_b"):
        await server.client.result("character.import_card", {"card": V1_CARD, "character_id": character_id})
    out = io.StringIO()

    status = await run_export([], ExportOptions(ServerTarget(server.url), tmp_path / "out", CardFormat.JSON), out)

    assert status == 0
    names = {json.loads(path.read_text())["data"]["name"] for path in (tmp_path / "out").iterdir()}
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["a_b-2.json", "a_b-3.json", "a_b.json"]
    assert names == {"Mira"}


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000"),
        ("[::1]:80", "http://[::1]:80"),
    ],
)
def test_the_default_server_url_follows_the_listen_address(listen: str, url: str) -> None:
    assert url_for_listen(listen) == url


def test_the_command_line_builds_the_target_with_its_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAMATURG_LISTEN", "0.0.0.0:9999")
    monkeypatch.setenv("DRAMATURG_AUTH_TOKEN", "s3cret")
    args = build_parser().parse_args(["import", "cards/", "--jobs", "2"])

    target = server_target_from(args)

    assert (target.url, target.auth_token) == ("http://127.0.0.1:9999", "s3cret")
    assert "s3cret" not in repr(target)
    assert target.client().headers["Authorization"] == "Bearer s3cret"


async def test_a_non_ascii_file_name_reaches_the_server_intact(server: RunningServer, tmp_path: Path) -> None:
    nameless = {key: value for key, value in V1_CARD.items() if key != "name"}
    (tmp_path / "Žofie.png").write_bytes(png_card(nameless))

    assert await run_import([tmp_path], options(server), io.StringIO()) == 0

    character = await server.client.result("character.get", {"character_id": "zofie"})
    assert (character["content"]["name"], character["cover_file_name"]) == ("Žofie", "Žofie.png")


async def test_lorebooks_are_told_from_cards_by_their_content_wherever_they_are(
    server: RunningServer, tmp_path: Path
) -> None:
    (tmp_path / "worlds").mkdir()
    (tmp_path / "worlds" / "Mira.json").write_text(json.dumps(V1_CARD))  # a card in the worlds folder
    (tmp_path / "Kobold.json").write_text(json.dumps([{"key": "dragon", "content": "A dragon."}]))
    (tmp_path / "Tides.json").write_text(json.dumps({"spec": "lorebook_v3", "data": {"name": "Tides", "entries": []}}))
    (tmp_path / "settings.json").write_text(json.dumps({"theme": "dark"}))
    out = io.StringIO()

    status = await run_import([tmp_path], options(server), out)

    text = out.getvalue()
    assert status == 0, text
    assert "Imported 3 of 4 files (1 with warnings): 1 character, 2 lorebooks created; 0 failed, 1 skipped" in text
    assert "worlds/Mira.json → character mira" in text
    assert "Kobold.json → lorebook kobold" in text
    assert "settings.json: no character card or lorebook in this file" in text
    books_listed = await server.client.result("lorebook.list")
    assert sorted(book["lorebook_id"] for book in books_listed["lorebooks"]) == ["kobold", "tides"]


async def test_a_broken_lorebook_named_on_the_command_line_fails_with_its_reason(
    server: RunningServer, tmp_path: Path
) -> None:
    (tmp_path / "worlds").mkdir()
    (tmp_path / "worlds" / "Bad.json").write_text('{"entries": {"0": {"order": NaN}}}')
    out = io.StringIO()

    assert await run_import([tmp_path / "worlds" / "Bad.json"], options(server), out) == 1
    assert "invalid lorebook: the lorebook is not valid JSON (NaN is not a JSON value)" in out.getvalue()


async def test_export_writes_a_file_per_lorebook_in_the_chosen_format(server: RunningServer, tmp_path: Path) -> None:
    world = {"entries": {"0": {"uid": 0, "key": ["cliff"], "content": "Chalk cliffs.", "vectorized": True}}}
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "Coast.json").write_text(json.dumps(world))
    await run_import([tmp_path / "in"], options(server), io.StringIO())
    out = io.StringIO()
    target = ServerTarget(server.url)

    assert await run_export([], ExportOptions(target, tmp_path / "wi", lorebooks=True), out) == 0
    v3_options = ExportOptions(target, tmp_path / "v3", lorebooks=True, book_format=LorebookFormat.LOREBOOK_V3)
    assert await run_export(["coast", "ghost"], v3_options, out) == 1

    assert json.loads((tmp_path / "wi" / "coast.json").read_text()) == world
    assert json.loads((tmp_path / "v3" / "coast.lorebook_v3.json").read_text())["spec"] == "lorebook_v3"
    assert "Exported 1 of 1 lorebooks" in out.getvalue()
    assert "lorebook 'ghost' not found" in out.getvalue()
    args = build_parser().parse_args(["export", "--lorebooks", "--book-format", "lorebook_v3", "--out", "x", "a"])
    assert (args.lorebooks, args.book_format, args.record_ids) == (True, "lorebook_v3", ["a"])
