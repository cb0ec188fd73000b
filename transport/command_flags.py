"""The flags of every `dramaturg` command, as data: name, environment variable, default, reader and
help. `transport.cli` builds the parsers from them; the README's Configuration tables list them.

Defaults come from the records the flags fill (`Settings`) or, where importing that record would
load the server or the stub, are written here and checked against it by a test.
"""

from __future__ import annotations

from pathlib import Path

from transport.flags import (
    Flag,
    directory_path,
    existing_directory,
    listen_address,
    non_negative_int,
    non_negative_number,
    one_of,
    optional_text,
    positive_int,
    positive_seconds,
    size_in_bytes,
)
from transport.log_format import LOG_LEVELS, LogFormat
from transport.settings import ENV_PREFIX, Settings

LOG_FORMATS = tuple(log_format.value for log_format in LogFormat)
CARD_FORMATS = ("png", "json", "json-v2", "charx")  # transport.bulk_export.CardFormat, without importing it
BOOK_FORMATS = ("world_info", "lorebook_v3")  # transport.bulk_export.LorebookFormat
DEFAULT_JOBS = 8  # transport.bulk_transfer.DEFAULT_JOBS, without importing it
STUB_MODES = ("auto", "scripted")  # transport.llm_stub.StubMode
STUB_REFUSABLE = ("json_schema", "json_object_schema", "json_object", "tools", "stream_options")  # llm_stub.REFUSABLE
STUB_LISTEN = "127.0.0.1:8090"  # transport.llm_stub.StubSettings' default, without importing the stub

_DEFAULTS = Settings()


def env(name: str) -> str:
    return ENV_PREFIX + name


def logging_flags() -> list[Flag]:
    """`--log-level`, `--log-format` and `--debug`: the same for the server and the stub."""
    return [
        Flag(
            "--log-level",
            "log lines from this level up (DEBUG, INFO, WARNING, ERROR)",
            _DEFAULTS.log_level,
            env("LOG_LEVEL"),
            one_of(*LOG_LEVELS),
            metavar="LEVEL",
        ),
        Flag(
            "--log-format",
            "logfmt lines, or one JSON object per line",
            LOG_FORMATS[0],
            env("LOG_FORMAT"),
            one_of(*LOG_FORMATS),
            metavar="FORMAT",
        ),
        Flag(
            "--debug",
            "show the traceback of a start-up problem after its one-line explanation",
            False,
            env("DEBUG"),
            switch=True,
        ),
    ]


SERVE_FLAGS = [
    Flag(
        "--listen",
        "HOST:PORT to serve on ([::1]:PORT for IPv6, unix:PATH for a socket file)",
        _DEFAULTS.listen,
        env("LISTEN"),
        listen_address,
        metavar="HOST:PORT",
    ),
    Flag(
        "--data-dir",
        "folder of the database (dramaturg.duckdb) and its snapshots; created, owner-only, if missing",
        _DEFAULTS.data_dir,
        env("DATA_DIR"),
        directory_path,
        metavar="DIR",
        shown_default="./data",
    ),
    Flag(
        "--static-dir",
        "a built web client to serve at / (with the single-page-app fallback)",
        None,
        env("STATIC_DIR"),
        existing_directory,
        metavar="DIR",
    ),
    Flag(
        "--max-upload-bytes",
        "largest request body on /rpc and /upload; bytes, or with a unit (32MiB, 500KB)",
        _DEFAULTS.max_upload_bytes,
        env("MAX_UPLOAD_BYTES"),
        size_in_bytes,
        metavar="SIZE",
        shown_default="33554432 (32MiB)",
    ),
    Flag(
        "--llm-timeout-s",
        "time limit of one LLM call, streamed body included",
        _DEFAULTS.llm_timeout_s,
        env("LLM_TIMEOUT_S"),
        positive_seconds,
        metavar="SECONDS",
    ),
    Flag(
        "--session-idle-s",
        "stop a session's actor after this long without a call (it reloads on the next one)",
        _DEFAULTS.session_idle_s,
        env("SESSION_IDLE_S"),
        positive_seconds,
        metavar="SECONDS",
    ),
    Flag(
        "--max-player-input-chars",
        "longest player_input of session.run_turn",
        _DEFAULTS.max_player_input_chars,
        env("MAX_PLAYER_INPUT_CHARS"),
        positive_int,
        metavar="N",
    ),
    *logging_flags(),
    Flag(
        "--auth-token",
        "require this access token (16+ printable ASCII characters) on every route but /healthz; "
        "'generate' makes one and prints it once",
        None,
        env("AUTH_TOKEN"),
        optional_text,
        metavar="TOKEN",
        shown_default="none (no token asked for)",
    ),
    Flag(
        "--insecure-no-auth",
        "serve a non-loopback address without a token (only behind a proxy that authenticates)",
        False,
        env("INSECURE_NO_AUTH"),
        switch=True,
    ),
    Flag(
        "--allowed-origin",
        "another origin (scheme://host[:port]) whose pages may call this server; repeatable or comma-separated",
        (),
        env("ALLOWED_ORIGINS"),
        repeated=True,
        metavar="ORIGIN",
    ),
    Flag(
        "--allowed-host",
        "a Host name (optionally :port) to accept besides IP addresses and localhost; repeatable or comma-separated",
        (),
        env("ALLOWED_HOSTS"),
        repeated=True,
        metavar="HOST",
    ),
    Flag(
        "--body-timeout-s",
        "refuse a request body that has not fully arrived after this long (408)",
        _DEFAULTS.body_timeout_s,
        env("BODY_TIMEOUT_S"),
        positive_seconds,
        metavar="SECONDS",
    ),
]

STUB_FLAGS = [
    Flag(
        "--mode",
        "auto: a plausible answer for every agent; scripted: answers queued under /_stub/ come first",
        STUB_MODES[0],
        env("STUB_MODE"),
        one_of(*STUB_MODES),
        metavar="MODE",
    ),
    Flag("--listen", "HOST:PORT to serve on", STUB_LISTEN, env("STUB_LISTEN"), listen_address, metavar="HOST:PORT"),
    Flag(
        "--latency-ms",
        "time to first token of every answer",
        0,
        env("STUB_LATENCY_MS"),
        non_negative_int,
        metavar="MS",
    ),
    Flag(
        "--tokens-per-s",
        "stream chunks per second (0: as fast as possible)",
        0.0,
        env("STUB_TOKENS_PER_S"),
        non_negative_number,
        metavar="N",
    ),
    Flag(
        "--refuse",
        "request fields to answer with a 400, as an endpoint without them would"
        f" ({', '.join(STUB_REFUSABLE)}); repeatable or comma-separated",
        (),
        env("STUB_REFUSE"),
        one_of(*STUB_REFUSABLE, case_sensitive=True),
        repeated=True,
        metavar="FIELD",
    ),
    *logging_flags(),
]

CLIENT_FLAGS = [
    Flag(
        "--server",
        "URL of the running server",
        None,
        env("SERVER"),
        metavar="URL",
        shown_default="http://127.0.0.1:8080, or the address in DRAMATURG_LISTEN",
    ),
    Flag(
        "--auth-token",
        "the access token the server requires, if any (sent as Authorization: Bearer …)",
        None,
        env("AUTH_TOKEN"),
        optional_text,
        metavar="TOKEN",
    ),
]

JOBS_FLAG = Flag("--jobs", "files in flight at once", DEFAULT_JOBS, parse=positive_int, metavar="N")

IMPORT_FLAGS = [
    Flag(
        "--schema-id",
        "state schema of the imported characters",
        None,
        parse=optional_text,
        shown_default="character-card (created on first use)",
    ),
    Flag("--details", "print what became of every field of every file", False, switch=True),
    Flag("--json-report", "also write every file's import report to this JSON file", None, parse=Path, metavar="FILE"),
    JOBS_FLAG,
    *CLIENT_FLAGS,
]

EXPORT_FLAGS = [
    Flag(
        "--format",
        f"card file format ({', '.join(CARD_FORMATS)})",
        CARD_FORMATS[0],
        parse=one_of(*CARD_FORMATS, case_sensitive=True),
        metavar="FORMAT",
    ),
    Flag("--lorebooks", "export lorebooks instead of characters", False, switch=True),
    Flag(
        "--book-format",
        "with --lorebooks: SillyTavern World Info ({id}.json) or CCv3 lorebook_v3 ({id}.lorebook_v3.json)",
        BOOK_FORMATS[0],
        parse=one_of(*BOOK_FORMATS, case_sensitive=True),
        metavar="FORMAT",
    ),
    JOBS_FLAG,
    *CLIENT_FLAGS,
]

ENVIRONMENT_NOTE = "Each flag with an env variable can be set by it; a flag given on the command line wins."
