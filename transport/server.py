"""Running the whole server: the store, the services, the app and hypercorn, under one nursery."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import attrs
import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from actors.drafts import open_draft_actors
from actors.sessions import TurnEngine, open_session_actors
from runtime.analytics import SNAPSHOTS_DIR_NAME
from runtime.llm import LlmSettings, TurnCallCounter, open_call_recorder, open_llm_http
from runtime.services import Services
from runtime.services._services import Limits
from runtime.store import open_store
from runtime.turns import RunTurn, run_turn
from transport.app import AppOptions, create_app
from transport.cross_site import CrossSitePolicy
from transport.exposure import refuse_unsafe_exposure
from transport.methods import build_registry
from transport.settings import LISTEN_BACKLOG, Settings
from transport.version import dramaturg_version

log = logging.getLogger(__name__)


def hypercorn_config(settings: Settings) -> Config:
    config = Config()
    config.bind = [settings.listen]
    config.graceful_timeout = settings.shutdown_grace_s
    config.accesslog = None  # transport.rpc logs one line per call, with the method name
    config.errorlog = logging.getLogger("hypercorn.error")
    config.keep_alive_timeout = 75
    config.backlog = LISTEN_BACKLOG
    return config


def app_options(settings: Settings) -> AppOptions:
    return AppOptions(
        static_dir=settings.static_dir,
        policy=CrossSitePolicy.build(settings.allowed_origins, settings.allowed_hosts),
        auth_token=settings.auth_token,
        body_timeout_s=settings.body_timeout_s,
    )


def llm_settings(settings: Settings) -> LlmSettings:
    return LlmSettings(
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        backoff_base_s=settings.llm_backoff_base_s,
    )


async def run_server(
    settings: Settings,
    shutdown_trigger: Callable[[], Awaitable[None]],
    *,
    turn_engine: RunTurn = run_turn,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until `shutdown_trigger` returns; reports the bound URLs through `task_status`.

    Raises UnsafeExposure before anything is opened or bound when `settings.listen` is not a
    loopback address and no token is required (see `transport.exposure`).
    """
    refuse_unsafe_exposure(settings)
    options = app_options(settings)
    async with (
        open_store(settings.data_dir) as store,
        open_call_recorder(store) as recorder,
        # Every call passes the turn-call counter on its way to the recorder (a turn's `turns` row counts them).
        open_llm_http(llm_settings(settings), recorder=(turn_calls := TurnCallCounter(recorder))) as llm,
    ):
        limits = Limits(
            max_upload_bytes=settings.max_upload_bytes, max_player_input_chars=settings.max_player_input_chars
        )
        snapshots_dir = settings.data_dir / SNAPSHOTS_DIR_NAME
        services = Services(
            store=store,
            limits=limits,
            llm=llm,
            telemetry=recorder,
            turn_calls=turn_calls,
            snapshots_dir=snapshots_dir,
        )
        async with (
            open_draft_actors(services) as draft_actors,
            open_session_actors(
                services, TurnEngine(turn_engine), idle_timeout_s=settings.session_idle_s
            ) as session_actors,
        ):
            services = attrs.evolve(services, drafts=draft_actors, sessions=session_actors)
            app = create_app(services, build_registry(), options)
            async with trio.open_nursery() as nursery:
                binds = await nursery.start(
                    functools.partial(serve, app, hypercorn_config(settings), shutdown_trigger=shutdown_trigger)
                )
                log.info("serving", extra=start_line_fields(settings, binds))
                task_status.started(binds)
                started_s = trio.current_time()
            stopping_s = trio.current_time()
    log.info(
        "stopped",
        extra={
            "uptime_s": round(stopping_s - started_s, 3),
            "closing_ms": round((trio.current_time() - stopping_s) * 1000, 1),
        },
    )


def start_line_fields(settings: Settings, binds: list[str]) -> dict[str, object]:
    """What the `serving` line says: enough to tell which server this is and how it is set up."""
    return {
        "version": dramaturg_version(),
        "urls": ",".join(binds),
        "data_dir": str(settings.data_dir.resolve()),
        "static_dir": str(settings.static_dir.resolve()) if settings.static_dir else None,
        "auth": "on" if settings.auth_token else "off",
        "max_upload_bytes": settings.max_upload_bytes,
    }
