"""Serving the stub with hypercorn under trio, until a shutdown trigger fires."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from transport.llm_stub._app import create_stub_app
from transport.llm_stub._responses import StreamCut
from transport.llm_stub._script import ScriptBook
from transport.llm_stub._settings import StubSettings
from transport.settings import LISTEN_BACKLOG

log = logging.getLogger(__name__)
ERROR_LOGGER = "transport.llm_stub.hypercorn"


class _HideStreamCuts(logging.Filter):
    """A deliberate `StreamCut` is the scripted behaviour, not a server error worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not _only_stream_cuts(error)


def _only_stream_cuts(error: BaseException | None) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_only_stream_cuts(inner) for inner in error.exceptions)
    return isinstance(error, StreamCut)


def stub_hypercorn_config(settings: StubSettings) -> Config:
    error_log = logging.getLogger(ERROR_LOGGER)
    if not any(isinstance(existing, _HideStreamCuts) for existing in error_log.filters):
        error_log.addFilter(_HideStreamCuts())
    config = Config()
    config.bind = [settings.listen]
    config.graceful_timeout = settings.shutdown_grace_s
    config.accesslog = None  # requests carry prompts and keys: never logged
    config.errorlog = error_log
    config.keep_alive_timeout = 75
    config.backlog = LISTEN_BACKLOG
    return config


async def serve_stub(
    settings: StubSettings,
    shutdown_trigger: Callable[[], Awaitable[None]],
    *,
    book: ScriptBook | None = None,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until `shutdown_trigger` returns; reports the bound URLs through `task_status`."""
    app = create_stub_app(settings, book)
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            functools.partial(serve, app, stub_hypercorn_config(settings), shutdown_trigger=shutdown_trigger)
        )
        log.info("llm_stub_serving", extra={"urls": ",".join(binds), "mode": settings.mode.value})
        task_status.started(binds)
