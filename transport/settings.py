"""The server's configuration: one frozen record, built once from flags and environment."""

from __future__ import annotations

from pathlib import Path

import attrs

from transport.log_format import LogFormat

ENV_PREFIX = "DRAMATURG_"
SOCKET_LISTEN_PREFIXES = ("unix:", "fd://")
"""Listen addresses that are not HOST:PORT: a socket file and an inherited socket, which hypercorn opens as
given and which no other machine can reach."""
LISTEN_BACKLOG = 2048  # hypercorn's default of 100 resets connections when a thousand clients connect at once


@attrs.frozen
class Settings:
    listen: str = "127.0.0.1:8080"
    data_dir: Path = Path("data")
    static_dir: Path | None = None
    max_upload_bytes: int = 32 * 1024 * 1024
    llm_timeout_s: float = 180.0
    llm_max_retries: int = 2
    llm_backoff_base_s: float = 1.0
    shutdown_grace_s: float = 3.0
    session_idle_s: float = 300.0  # a session actor idle this long is stopped; it reloads on the next call
    max_player_input_chars: int = 16 * 1024  # a longer `session.run_turn` input is refused with -32602
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.LOGFMT
    # -- security (README "Security") --
    auth_token: str | None = attrs.field(default=None, repr=False)  # None: no token is asked for
    insecure_no_auth: bool = False  # serve a non-loopback address without a token (a proxy authenticates)
    allowed_origins: tuple[str, ...] = ()  # origins besides the server's own that may call it (CORS)
    allowed_hosts: tuple[str, ...] = ()  # Host names besides the listen address and loopback names
    body_timeout_s: float = 60.0  # a request body not complete this long after its first byte is refused (408)
