"""The command line: values from flags or variables, sizes with units, help that shows each default and
variable, defaults that match the records they fill, and client commands that start without the server."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from transport.bulk_export import CardFormat, LorebookFormat
from transport.bulk_transfer import DEFAULT_JOBS as BULK_DEFAULT_JOBS
from transport.cli import (
    build_parser,
    server_target_from,
    settings_from,
    stub_settings_from,
)
from transport.command_flags import (
    BOOK_FORMATS,
    CARD_FORMATS,
    DEFAULT_JOBS,
    SERVE_FLAGS,
    STUB_FLAGS,
    STUB_MODES,
    STUB_REFUSABLE,
    logging_flags,
)
from transport.flags import ConfigProblem, listen_address, size_in_bytes
from transport.llm_stub import REFUSABLE, StubMode, StubSettings
from transport.log_format import LogFormat

NO_ENV: dict[str, str] = {}
REPO_ROOT = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


@pytest.mark.parametrize(
    ("text", "size"),
    [("33554432", 33_554_432), ("32MiB", 32 * 1024**2), ("32 mib", 32 * 1024**2), ("32M", 32 * 1024**2),
     ("500KB", 500_000), ("1GiB", 1024**3), ("2gb", 2_000_000_000), ("7b", 7)],
)  # fmt: skip
def test_sizes_take_units(text: str, size: int) -> None:
    assert size_in_bytes(text) == size


@pytest.mark.parametrize("text", ["", "0", "-5", "32 parsecs", "3.5MiB", "MiB", "32MiB extra"])
def test_a_size_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a positive size in bytes"):
        size_in_bytes(text)


@pytest.mark.parametrize("text", ["127.0.0.1:8080", "[::1]:0", "localhost:65535", "unix:/run/d.sock", "fd://3"])
def test_listen_addresses_that_can_be_bound_pass(text: str) -> None:
    assert listen_address(text) == text


@pytest.mark.parametrize("text", ["8481", ":8080", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", "[]:80"])
def test_listen_addresses_without_host_or_port_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        listen_address(text)


def test_a_variable_stands_for_its_flag_and_the_flag_wins() -> None:
    env = {"DRAMATURG_MAX_UPLOAD_BYTES": "32MiB", "DRAMATURG_LOG_FORMAT": "json", "DRAMATURG_LISTEN": "127.0.0.1:9000"}
    settings = settings_from(parse("serve"), env)
    assert (settings.max_upload_bytes, settings.log_format, settings.listen) == (
        32 * 1024**2,
        LogFormat.JSON,
        "127.0.0.1:9000",
    )
    assert settings_from(parse("serve", "--listen", "127.0.0.1:9001"), env).listen == "127.0.0.1:9001"


def test_an_empty_variable_counts_as_unset() -> None:
    settings = settings_from(parse("serve"), {"DRAMATURG_STATIC_DIR": "", "DRAMATURG_AUTH_TOKEN": " "})
    assert settings.static_dir is None and settings.auth_token is None


def test_a_bad_variable_names_the_variable_and_the_bad_flag_names_the_flag() -> None:
    with pytest.raises(
        ConfigProblem, match=r"^DRAMATURG_SESSION_IDLE_S: expected a positive number of seconds, got 'x'$"
    ):
        settings_from(parse("serve"), {"DRAMATURG_SESSION_IDLE_S": "x"})
    with pytest.raises(ConfigProblem, match=r"^--session-idle-s: expected a positive number of seconds, got 'inf'$"):
        settings_from(parse("serve", "--session-idle-s", "inf"), NO_ENV)


def test_the_stub_reads_its_own_variables() -> None:
    env = {
        "DRAMATURG_STUB_LISTEN": "127.0.0.1:9100",
        "DRAMATURG_STUB_MODE": "scripted",
        "DRAMATURG_STUB_LATENCY_MS": "40",
    }
    assert stub_settings_from(parse("llm-stub"), env) == StubSettings(
        mode=StubMode.SCRIPTED, listen="127.0.0.1:9100", latency_ms=40
    )
    assert stub_settings_from(parse("llm-stub"), {"DRAMATURG_LISTEN": "127.0.0.1:1"}).listen == "127.0.0.1:8090"


def test_the_stub_refuses_the_fields_it_is_told_to_and_no_unknown_one() -> None:
    refused = stub_settings_from(parse("llm-stub", "--refuse", "json_schema,tools"), NO_ENV).refused
    assert refused == frozenset({"json_schema", "tools"})
    from_env = stub_settings_from(parse("llm-stub"), {"DRAMATURG_STUB_REFUSE": "stream_options"}).refused
    assert from_env == frozenset({"stream_options"})
    with pytest.raises(ConfigProblem, match=r"--refuse: expected one of json_schema, .*, got 'grammar'"):
        stub_settings_from(parse("llm-stub", "--refuse", "grammar"), NO_ENV)


def test_the_command_lines_defaults_are_those_of_the_records_they_fill() -> None:
    assert stub_settings_from(parse("llm-stub"), NO_ENV) == StubSettings()
    assert settings_from(parse("serve"), NO_ENV) == type(settings_from(parse("serve"), NO_ENV))()
    assert tuple(card_format.value for card_format in CardFormat) == CARD_FORMATS
    assert tuple(book_format.value for book_format in LorebookFormat) == BOOK_FORMATS
    assert tuple(mode.value for mode in StubMode) == STUB_MODES
    assert frozenset(STUB_REFUSABLE) == REFUSABLE
    assert DEFAULT_JOBS == BULK_DEFAULT_JOBS


def test_every_flag_shows_its_default_and_variable_in_help() -> None:
    for command, flags in (("serve", SERVE_FLAGS), ("llm-stub", STUB_FLAGS)):
        text = " ".join(help_of(command).split())
        for flag in flags:
            assert flag.name in text and f"env {flag.env}" in text, (command, flag.name)
        assert text.count("[default: ") == len(flags)


def help_of(command: str) -> str:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[command].format_help()


@pytest.mark.parametrize("command", [["snapshot"], ["import", "cards/"], ["export", "--out", "cards/"]])
def test_every_client_command_takes_the_server_and_token_alike(command: list[str]) -> None:
    env = {"DRAMATURG_LISTEN": "0.0.0.0:9999", "DRAMATURG_AUTH_TOKEN": "from-the-env"}
    target = server_target_from(parse(*command), env)
    assert (target.url, target.auth_token) == ("http://127.0.0.1:9999", "from-the-env")
    given = parse(*command, "--server", "http://h.example:1/", "--auth-token", "from-a-flag")
    assert (server_target_from(given, env).url, server_target_from(given, env).auth_token) == (
        "http://h.example:1",
        "from-a-flag",
    )
    assert server_target_from(parse(*command), {**env, "DRAMATURG_SERVER": "http://s.example:2"}).url == (
        "http://s.example:2"
    )


def test_client_commands_start_without_loading_the_server() -> None:
    probe = (
        "import sys; from transport.cli import main; status = main(['snapshot', '--server', 'http://127.0.0.1:9']); "
        "heavy = {'duckdb', 'quart', 'hypercorn', 'networkx', 'runtime.services'} & set(sys.modules); "
        "print(status, sorted(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "2 []", result.stderr


def readme_rows(heading: str, until: str) -> list[str]:
    """The table rows of the README between two headings."""
    text = (REPO_ROOT / "README.md").read_text()
    return [row for row in text[text.index(heading) : text.index(until)].splitlines() if row.startswith("| `")]


def test_the_readme_configuration_tables_list_every_flag_with_its_variable_and_default() -> None:
    rows = readme_rows("## Configuration", "## Logs")
    for flag in [*SERVE_FLAGS, *STUB_FLAGS[: -len(logging_flags())]]:
        shown = f"{flag.default:g}" if isinstance(flag.default, float) else str(flag.default)
        expected = [f"`{flag.env}`"] + ([shown.removeprefix("data")] if flag.default not in (None, (), False) else [])
        assert any(row.startswith(f"| `{flag.name}`") and all(part in row for part in expected) for row in rows), (
            flag.name,
            expected,
        )


def test_the_readme_walk_is_marked_for_its_runner() -> None:
    spec = importlib.util.spec_from_file_location("readme_walk", REPO_ROOT / ".ci" / "readme_walk.py")
    assert spec is not None and spec.loader is not None
    walk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(walk)
    script = walk.walk_script((REPO_ROOT / "README.md").read_text())
    assert "walk_start stub" in script and "walk_start run" in script and "walk_stop run" in script
    assert "session.run_turn" in script and "8080" not in script and "8090" not in script
