"""The `dramaturg` command: `serve` runs the server, `llm-stub` runs the offline LLM stub."""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import trio

from transport.gc_tuning import settle_after_start
from transport.llm_stub import REFUSABLE, StubMode, StubSettings, serve_stub
from transport.log_format import configure_logging
from transport.server import run_server
from transport.settings import ENV_PREFIX, Settings


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


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
    add_llm_stub_parser(commands)
    return parser


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
    stub.add_argument(
        "--refuse",
        default="",
        help=f"comma-separated request fields to refuse with a 400, as an endpoint without them would: {', '.join(sorted(REFUSABLE))}",
    )
    stub.add_argument("--log-level", default="INFO")


def stub_settings_from(args: argparse.Namespace) -> StubSettings:
    if args.latency_ms < 0 or args.tokens_per_s < 0:
        raise SystemExit("--latency-ms and --tokens-per-s: expected numbers >= 0")
    refused = frozenset(name.strip() for name in args.refuse.split(",") if name.strip())
    if refused - REFUSABLE:
        raise SystemExit(f"--refuse: expected names among {', '.join(sorted(REFUSABLE))}")
    return StubSettings(
        mode=StubMode(args.mode),
        listen=args.listen,
        latency_ms=args.latency_ms,
        tokens_per_s=args.tokens_per_s,
        refused=refused,
    )


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None


def settings_from(args: argparse.Namespace) -> Settings:
    if args.max_upload_bytes <= 0:
        raise SystemExit("--max-upload-bytes: expected a positive number of bytes")
    if args.session_idle_s <= 0 or args.max_player_input_chars <= 0:
        raise SystemExit("--session-idle-s and --max-player-input-chars: expected positive numbers")
    return Settings(
        listen=args.listen,
        data_dir=args.data_dir,
        static_dir=args.static_dir,
        max_upload_bytes=args.max_upload_bytes,
        llm_timeout_s=args.llm_timeout_s,
        session_idle_s=args.session_idle_s,
        max_player_input_chars=args.max_player_input_chars,
        log_level=args.log_level,
    )


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
        configure_logging(settings.log_level)
        trio.run(serve_until_signalled, settings)
        return 0
    if args.command == "llm-stub":
        configure_logging(args.log_level)
        trio.run(serve_stub_until_signalled, stub_settings_from(args))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
