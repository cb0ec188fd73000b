"""The `dramaturg` command: `serve` runs the server, `llm-stub` runs the offline LLM stub."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Sequence

import trio

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
    serve.add_argument(
        "--llm-timeout-s", type=float, default=float(_env("LLM_TIMEOUT_S", str(defaults.llm_timeout_s)))
    )
    serve.add_argument("--log-level", default=_env("LOG_LEVEL", defaults.log_level))
    return parser


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None


def settings_from(args: argparse.Namespace) -> Settings:
    if args.max_upload_bytes <= 0:
        raise SystemExit("--max-upload-bytes: expected a positive number of bytes")
    return Settings(
        listen=args.listen,
        data_dir=args.data_dir,
        static_dir=args.static_dir,
        max_upload_bytes=args.max_upload_bytes,
        llm_timeout_s=args.llm_timeout_s,
        log_level=args.log_level,
    )


async def serve_until_signalled(settings: Settings) -> None:
    shutdown = trio.Event()

    async def wait_for_signal() -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                shutdown.set()
                return

    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait_for_signal)
        await nursery.start(run_server, settings, shutdown.wait)
        await shutdown.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        settings = settings_from(args)
        configure_logging(settings.log_level)
        trio.run(serve_until_signalled, settings)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
