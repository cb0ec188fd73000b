"""`dramaturg serve` and `dramaturg llm-stub` in the foreground: start, serve until SIGINT or SIGTERM,
stop; a server that cannot start says why in one line on stderr and exits with status 2."""

from __future__ import annotations

import functools
import logging
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import attrs
import trio

from transport.auth import GENERATE, generate_token
from transport.exposure import exposure_problem
from transport.gc_tuning import settle_after_start
from transport.log_format import LogFormat, configure_logging
from transport.settings import ENV_PREFIX, Settings
from transport.startup_problems import ListenSource, startup_problem, try_listen_address

if TYPE_CHECKING:
    from transport.llm_stub import StubSettings

STARTUP_PROBLEM_STATUS = 2

log = logging.getLogger(__name__)


def serve_in_foreground(settings: Settings, *, debug: bool = False) -> int:
    """Serve until signalled; 0 after a clean stop, 2 with one line on stderr when it cannot start."""
    problem = exposure_problem(settings)
    if problem is not None:  # before anything is opened or bound
        return _refuse(problem)

    def serve() -> None:
        from transport.server import run_server

        configure_logging(settings.log_level, settings.log_format)
        trio.run(run_until_signalled, functools.partial(run_server, with_generated_token(settings)))

    listen = ListenSource(settings.listen, ENV_PREFIX + "LISTEN")
    return _run(serve, listen, debug, data_dir_variable=ENV_PREFIX + "DATA_DIR")


def serve_stub_in_foreground(
    settings: StubSettings, log_level: str, log_format: LogFormat, *, debug: bool = False
) -> int:
    """The LLM stub, as `serve_in_foreground` runs the server."""

    def serve() -> None:
        from transport.llm_stub import serve_stub

        configure_logging(log_level, log_format)
        trio.run(run_until_signalled, functools.partial(serve_stub, settings))
        log.info("llm_stub_stopped")

    return _run(serve, ListenSource(settings.listen, ENV_PREFIX + "STUB_LISTEN"), debug)


def _run(serve: Callable[[], None], listen: ListenSource, debug: bool, data_dir_variable: str | None = None) -> int:
    """`serve()` once the address has been tried; 2 and one line when it cannot start."""
    try:
        try_listen_address(listen.address)
        serve()
    except Exception as error:
        problem = startup_problem(error, listen, data_dir_variable)
        if problem is None:
            raise
        if debug:
            traceback.print_exception(error)
        return _refuse(problem)
    return 0


def _refuse(problem: str) -> int:
    print(f"dramaturg: {problem}", file=sys.stderr, flush=True)
    return STARTUP_PROBLEM_STATUS


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
