"""The `dramaturg` command: `serve` runs the server, `llm-stub` runs the offline LLM stub, `import` and
`export` move character cards and lorebooks to and from a running server, `snapshot` asks the running server for a
copy of its database.

Every flag of `serve` and `llm-stub` can be set by an environment variable (the flag wins); `--help`
shows each default and variable. A flag or variable that cannot be used, and a server that cannot
start, end the command with one line on stderr and status 2. Each subcommand imports what it runs
only when it runs, so the client commands and `--help` start without loading the server.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from transport.command_flags import (
    CLIENT_FLAGS,
    ENVIRONMENT_NOTE,
    EXPORT_FLAGS,
    IMPORT_FLAGS,
    SERVE_FLAGS,
    STUB_FLAGS,
    env,
    logging_flags,
)
from transport.flags import ConfigProblem, Flag, add_flags, read_flags
from transport.log_format import LogFormat
from transport.settings import Settings

if TYPE_CHECKING:
    from transport.bulk_transfer import ServerTarget
    from transport.llm_stub import StubSettings

CONFIG_PROBLEM_STATUS = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and status 2) instead of the usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(CONFIG_PROBLEM_STATUS, f"{self.prog}: {message} (see {self.prog} --help)\n")


class _PrintVersion(argparse.Action):
    """`--version`, reading the installed version only when it is asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        from transport.version import dramaturg_version

        parser.exit(0, f"dramaturg {dramaturg_version()}\n")


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="dramaturg", description="A server that runs interactive stories with LLM agents.")
    parser.add_argument("--version", action=_PrintVersion)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, flags: list[Flag]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary, epilog=ENVIRONMENT_NOTE)
        add_flags(sub, flags)
        return sub

    command("serve", "serve the JSON-RPC API (and the web client, if given)", SERVE_FLAGS)
    command("llm-stub", "serve the offline LLM stub (the open_ai and anthropic APIs)", STUB_FLAGS)
    imports = command(
        "import", "import character cards (PNG, JSON, CHARX) and lorebooks (JSON) into a running server", IMPORT_FLAGS
    )
    imports.add_argument(
        "paths", nargs="+", type=Path, help="card and lorebook files or folders (searched recursively)"
    )
    exports = command("export", "export characters (or lorebooks) from a running server as files", EXPORT_FLAGS)
    exports.add_argument("record_ids", nargs="*", help="the characters (or lorebooks) to export [default: all]")
    exports.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write the files to")
    command(
        "snapshot",
        "write a consistent copy of the running server's database under <data-dir>/snapshots/ and print its path",
        CLIENT_FLAGS,
    )
    return parser


# -- from flags to settings ------------------------------------------------------------------


def settings_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """The server's settings from `dramaturg serve`'s flags and the environment. Raises ConfigProblem."""
    from transport.auth import GENERATE, token_problem
    from transport.cross_site import CrossSitePolicy

    values = read_flags(args, SERVE_FLAGS, os.environ if environ is None else environ)
    try:
        CrossSitePolicy.build(values["allowed_origin"], values["allowed_host"])
    except ValueError as exc:
        raise ConfigProblem(str(exc)) from None
    token = values["auth_token"]
    if token is not None and token != GENERATE and (problem := token_problem(token)) is not None:
        raise ConfigProblem(f"--auth-token: {problem}")
    return Settings(
        listen=values["listen"],
        data_dir=values["data_dir"],
        static_dir=values["static_dir"],
        max_upload_bytes=values["max_upload_bytes"],
        llm_timeout_s=values["llm_timeout_s"],
        session_idle_s=values["session_idle_s"],
        max_player_input_chars=values["max_player_input_chars"],
        log_level=values["log_level"],
        log_format=LogFormat(values["log_format"]),
        auth_token=token,
        insecure_no_auth=values["insecure_no_auth"],
        allowed_origins=values["allowed_origin"],
        allowed_hosts=values["allowed_host"],
        body_timeout_s=values["body_timeout_s"],
    )


def stub_settings_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> StubSettings:
    """The stub's settings from `dramaturg llm-stub`'s flags and the environment. Raises ConfigProblem."""
    from transport.llm_stub import StubMode, StubSettings

    values = read_flags(args, STUB_FLAGS, os.environ if environ is None else environ)
    return StubSettings(
        mode=StubMode(values["mode"]),
        listen=values["listen"],
        latency_ms=values["latency_ms"],
        tokens_per_s=values["tokens_per_s"],
        refused=frozenset(values["refuse"]),
    )


def server_target_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ServerTarget:
    """Where the client commands send their requests, and with which token. Raises ConfigProblem."""
    from transport.bulk_transfer import ServerTarget, url_for_listen

    environ = os.environ if environ is None else environ
    values = read_flags(args, CLIENT_FLAGS, environ)
    url = values["server"] or url_for_listen(environ.get(env("LISTEN")) or Settings().listen)
    return ServerTarget(url.rstrip("/"), values["auth_token"])


# -- the commands ----------------------------------------------------------------------------


def run_serve(args: argparse.Namespace) -> int:
    settings = settings_from(args)  # every flag is checked before the server's code is loaded
    debug = read_flags(args, logging_flags(), os.environ)["debug"]
    from transport.serve_command import serve_in_foreground

    return serve_in_foreground(settings, debug=debug)


def run_llm_stub(args: argparse.Namespace) -> int:
    values = read_flags(args, STUB_FLAGS, os.environ)  # every flag is checked before the stub's code is loaded
    from transport.serve_command import serve_stub_in_foreground

    log_format = LogFormat(values["log_format"])
    return serve_stub_in_foreground(stub_settings_from(args), values["log_level"], log_format, debug=values["debug"])


def run_import(args: argparse.Namespace) -> int:
    import trio

    from transport.bulk_import import ImportOptions, run_import

    values = read_flags(args, IMPORT_FLAGS, os.environ)
    options = ImportOptions(
        server_target_from(args), values["schema_id"], values["jobs"], values["details"], values["json_report"]
    )
    return trio.run(run_import, args.paths, options, sys.stdout)


def run_export(args: argparse.Namespace) -> int:
    import trio

    from transport.bulk_export import CardFormat, ExportOptions, LorebookFormat, run_export

    values = read_flags(args, EXPORT_FLAGS, os.environ)
    options = ExportOptions(
        server_target_from(args),
        args.out,
        CardFormat(values["format"]),
        values["jobs"],
        values["lorebooks"],
        LorebookFormat(values["book_format"]),
    )
    return trio.run(run_export, args.record_ids, options, sys.stdout)


def run_snapshot(args: argparse.Namespace) -> int:
    from transport.snapshot_command import run_snapshot

    return run_snapshot(server_target_from(args))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": run_serve,
    "llm-stub": run_llm_stub,
    "import": run_import,
    "export": run_export,
    "snapshot": run_snapshot,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit status (2 with one line on stderr for a flag, variable or start-up problem)."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigProblem as problem:
        print(f"dramaturg: {problem}", file=sys.stderr, flush=True)
        return CONFIG_PROBLEM_STATUS


if __name__ == "__main__":
    sys.exit(main())
