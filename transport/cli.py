"""The `dramaturg` command: `serve` runs the server, `llm-stub` runs the offline LLM stub, `import` and
`export` move character cards and lorebooks to and from a running server, `snapshot` asks the running server for a
copy of its database."""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import attrs
import trio

from transport.auth import GENERATE, generate_token, token_problem
from transport.bulk_export import CardFormat, ExportOptions, LorebookFormat, run_export
from transport.bulk_import import ImportOptions, run_import
from transport.bulk_transfer import DEFAULT_JOBS, ServerTarget, url_for_listen
from transport.cross_site import CrossSitePolicy
from transport.exposure import exposure_problem
from transport.gc_tuning import settle_after_start
from transport.llm_stub import StubMode, StubSettings, serve_stub
from transport.log_format import configure_logging
from transport.server import run_server
from transport.settings import ENV_PREFIX, Settings
from transport.snapshot_command import add_snapshot_parser, run_snapshot


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def _env_list(name: str) -> list[str]:
    return split_list([_env(name) or ""])


def _env_flag(name: str) -> bool:
    return (_env(name) or "").strip().lower() in ("1", "true", "yes", "on")


def split_list(values: Sequence[str]) -> list[str]:
    """Repeated flags and comma-separated values alike: `["a,b", "c"]` → `["a", "b", "c"]`."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(prog="dramaturg", description="LLM-driven interactive story server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the JSON-RPC API (and the web client, if given)")
    serve.add_argument("--listen", default=_env("LISTEN", defaults.listen), help="host:port to bind")
    serve.add_argument("--data-dir", type=Path, default=Path(_env("DATA_DIR", str(defaults.data_dir))))
    serve.add_argument("--static-dir", type=Path, default=_path_or_none(_env("STATIC_DIR")))
    serve.add_argument(
        "--max-upload-bytes", type=int, default=int(_env("MAX_UPLOAD_BYTES", str(defaults.max_upload_bytes)))
    )
    serve.add_argument("--llm-timeout-s", type=float, default=float(_env("LLM_TIMEOUT_S", str(defaults.llm_timeout_s))))
    serve.add_argument(
        "--session-idle-s",
        type=float,
        default=float(_env("SESSION_IDLE_S", str(defaults.session_idle_s))),
        help="stop a session's actor after this many idle seconds",
    )
    serve.add_argument(
        "--max-player-input-chars",
        type=int,
        default=int(_env("MAX_PLAYER_INPUT_CHARS", str(defaults.max_player_input_chars))),
        help="longest accepted session.run_turn player_input",
    )
    serve.add_argument("--log-level", default=_env("LOG_LEVEL", defaults.log_level))
    add_security_arguments(serve, defaults)
    add_llm_stub_parser(commands)
    add_card_parsers(commands)
    add_snapshot_parser(commands, _env("LISTEN", defaults.listen) or defaults.listen)
    return parser


def add_security_arguments(serve: argparse.ArgumentParser, defaults: Settings) -> None:
    serve.add_argument(
        "--auth-token",
        default=_env("AUTH_TOKEN"),
        help="require this access token on every route but /healthz; 'generate' makes one and prints it once",
    )
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        default=_env_flag("INSECURE_NO_AUTH"),
        help="serve a non-loopback address without a token (only behind a proxy that authenticates)",
    )
    serve.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        help="another origin (scheme://host[:port]) whose pages may call this server; repeatable or comma-separated",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        help="a Host name (optionally :port) besides IP addresses and localhost; repeatable or comma-separated",
    )
    serve.add_argument(
        "--body-timeout-s",
        type=float,
        default=float(_env("BODY_TIMEOUT_S", str(defaults.body_timeout_s))),
        help="refuse a request body that has not fully arrived after this many seconds (408)",
    )


def add_llm_stub_parser(commands: argparse._SubParsersAction) -> None:
    stub_defaults = StubSettings()
    stub = commands.add_parser("llm-stub", help="serve the offline LLM stub (open_ai and anthropic APIs)")
    stub.add_argument("--mode", choices=[mode.value for mode in StubMode], default=stub_defaults.mode.value)
    stub.add_argument("--listen", default=stub_defaults.listen, help="host:port to bind")
    stub.add_argument("--latency-ms", type=int, default=stub_defaults.latency_ms, help="time to first token")
    stub.add_argument(
        "--tokens-per-s",
        type=float,
        default=stub_defaults.tokens_per_s,
        help="stream chunks per second (0: as fast as possible)",
    )
    stub.add_argument("--log-level", default="INFO")


def add_card_parsers(commands: argparse._SubParsersAction) -> None:
    imports = commands.add_parser(
        "import", help="import character cards (PNG, JSON, CHARX) and lorebooks (JSON) into a running server"
    )
    imports.add_argument(
        "paths", nargs="+", type=Path, help="card and lorebook files or folders (searched recursively)"
    )
    imports.add_argument("--schema-id", help="state schema of the imported characters (default: character-card)")
    imports.add_argument("--details", action="store_true", help="print what became of every field of every file")
    imports.add_argument("--json-report", type=Path, help="also write every file's import report to this JSON file")
    exports = commands.add_parser("export", help="export characters (or lorebooks) from a running server as files")
    exports.add_argument("record_ids", nargs="*", help="the characters (or lorebooks) to export (default: all)")
    exports.add_argument("--out", type=Path, required=True, help="folder to write the files to")
    exports.add_argument("--format", choices=[f.value for f in CardFormat], default=CardFormat.PNG.value)
    exports.add_argument("--lorebooks", action="store_true", help="export lorebooks instead of characters")
    exports.add_argument(
        "--book-format",
        choices=[f.value for f in LorebookFormat],
        default=LorebookFormat.WORLD_INFO.value,
        help="with --lorebooks: SillyTavern World Info ({id}.json) or CCv3 lorebook_v3 ({id}.lorebook_v3.json)",
    )
    default_url = url_for_listen(_env("LISTEN") or Settings().listen)
    for command in (imports, exports):
        command.add_argument("--server", default=default_url, help="URL of the running server")
        command.add_argument("--auth-token", default=_env("AUTH_TOKEN"), help="token the server requires, if any")
        command.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="files in flight at once")


def server_target_from(args: argparse.Namespace) -> ServerTarget:
    if args.jobs < 1:
        raise SystemExit("--jobs: expected a positive number")
    return ServerTarget(args.server.rstrip("/"), args.auth_token or None)


def stub_settings_from(args: argparse.Namespace) -> StubSettings:
    if args.latency_ms < 0 or args.tokens_per_s < 0:
        raise SystemExit("--latency-ms and --tokens-per-s: expected numbers >= 0")
    return StubSettings(
        mode=StubMode(args.mode), listen=args.listen, latency_ms=args.latency_ms, tokens_per_s=args.tokens_per_s
    )


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None


def settings_from(args: argparse.Namespace) -> Settings:
    if args.max_upload_bytes <= 0:
        raise SystemExit("--max-upload-bytes: expected a positive number of bytes")
    if args.session_idle_s <= 0 or args.max_player_input_chars <= 0:
        raise SystemExit("--session-idle-s and --max-player-input-chars: expected positive numbers")
    if args.body_timeout_s <= 0:
        raise SystemExit("--body-timeout-s: expected a positive number of seconds")
    origins = split_list(args.allowed_origin) or _env_list("ALLOWED_ORIGINS")
    hosts = split_list(args.allowed_host) or _env_list("ALLOWED_HOSTS")
    try:
        CrossSitePolicy.build(origins, hosts)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    token = args.auth_token.strip() if args.auth_token else None
    if token is not None and token != GENERATE and (problem := token_problem(token)) is not None:
        raise SystemExit(f"--auth-token: {problem}")
    return Settings(
        listen=args.listen,
        data_dir=args.data_dir,
        static_dir=args.static_dir,
        max_upload_bytes=args.max_upload_bytes,
        llm_timeout_s=args.llm_timeout_s,
        session_idle_s=args.session_idle_s,
        max_player_input_chars=args.max_player_input_chars,
        log_level=args.log_level,
        auth_token=token,
        insecure_no_auth=args.insecure_no_auth,
        allowed_origins=tuple(origins),
        allowed_hosts=tuple(hosts),
        body_timeout_s=args.body_timeout_s,
    )


def with_generated_token(settings: Settings) -> Settings:
    """`--auth-token generate` replaced by a fresh token, which is printed once, here."""
    if settings.auth_token != GENERATE:
        return settings
    token = generate_token()
    print(f"dramaturg: access token for this run (shown only now): {token}", flush=True)
    print(
        "dramaturg: sign in at /login in a browser, or send 'Authorization: Bearer <token>' from API clients",
        flush=True,
    )
    return attrs.evolve(settings, auth_token=token)


def exit_if_unsafe_exposure(settings: Settings) -> None:
    """Exit with status 2 and one line on stderr when the settings would serve the network
    without a token; nothing has been opened or bound yet."""
    problem = exposure_problem(settings)
    if problem is not None:
        print(f"dramaturg: {problem}", file=sys.stderr, flush=True)
        raise SystemExit(2)


async def serve_until_signalled(settings: Settings) -> None:
    await run_until_signalled(functools.partial(run_server, settings))


async def serve_stub_until_signalled(settings: StubSettings) -> None:
    await run_until_signalled(functools.partial(serve_stub, settings))


async def run_until_signalled(serve: Callable[..., Awaitable[None]]) -> None:
    """Run `serve(shutdown_trigger, task_status=…)` until SIGINT or SIGTERM."""
    shutdown = trio.Event()

    async def wait_for_signal() -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                shutdown.set()
                return

    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait_for_signal)
        await nursery.start(serve, shutdown.wait)
        settle_after_start()
        await shutdown.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        settings = settings_from(args)
        exit_if_unsafe_exposure(settings)
        settings = with_generated_token(settings)
        configure_logging(settings.log_level)
        trio.run(serve_until_signalled, settings)
        return 0
    if args.command == "llm-stub":
        configure_logging(args.log_level)
        trio.run(serve_stub_until_signalled, stub_settings_from(args))
        return 0
    if args.command == "import":
        options = ImportOptions(server_target_from(args), args.schema_id, args.jobs, args.details, args.json_report)
        return trio.run(run_import, args.paths, options, sys.stdout)
    if args.command == "export":
        export_options = ExportOptions(
            server_target_from(args),
            args.out,
            CardFormat(args.format),
            args.jobs,
            args.lorebooks,
            LorebookFormat(args.book_format),
        )
        return trio.run(run_export, args.record_ids, export_options, sys.stdout)
    if args.command == "snapshot":
        return run_snapshot(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
