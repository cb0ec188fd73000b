"""Log lines: one per event, as logfmt (the default) or as JSON, with UTC timestamps in milliseconds.

A record's message is its event name (`log.info("rpc", extra={...})`); its `extra` fields follow
in the order given. logfmt quotes a value whenever it holds a space, a quote, an equals sign or
a control character, so every line splits back into the same fields:

    ts=2026-12-07T20:51:02.123Z level=info logger=transport.rpc event=rpc method=api.get outcome=ok

Tracebacks (only on unexpected failures) follow the line, indented, in logfmt; in JSON they are
the `exception` field of the same line.
"""

from __future__ import annotations

import datetime
import enum
import json
import logging
import sys
from typing import Any

_STANDARD = {*vars(logging.makeLogRecord({})), "message", "asctime", "taskName"}

QUIET_LIBRARY_LOGGERS = ("httpx", "httpcore", "hpack")
"""Libraries whose INFO lines repeat what Dramaturg logs itself (httpx logs every request, which the
`llm_call` line already says); they speak only from WARNING up."""


class LogFormat(enum.Enum):
    LOGFMT = "logfmt"
    JSON = "json"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def utc_timestamp(created_s: float) -> str:
    """ISO-8601 in UTC with milliseconds: `2026-12-07T20:51:02.123Z`."""
    moment = datetime.datetime.fromtimestamp(created_s, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra` fields of `record`, in the order they were given."""
    return {key: value for key, value in vars(record).items() if key not in _STANDARD}


def logfmt_value(value: object) -> str:
    """One value as logfmt writes it: bare when that is unambiguous, else double-quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    if text and not any(char in text for char in ' "=\\') and text.isprintable():
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    escaped = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in escaped)
    return f'"{escaped}"'


def line_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Every field of the record's line, in order: when, level, logger, event, then its `extra` fields."""
    return {
        "ts": utc_timestamp(record.created),
        "level": record.levelname.lower(),
        "logger": record.name,
        "event": record.getMessage(),
        **record_fields(record),
    }


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = " ".join(f"{key}={logfmt_value(value)}" for key, value in line_fields(record).items())
        if record.exc_info:
            trace = self.formatException(record.exc_info)
            line = line + "\n" + "\n".join("    " + row for row in trace.splitlines())
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = line_fields(record)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: LogFormat = LogFormat.LOGFMT) -> None:
    """Send every log line to stderr at `level` (one of LOG_LEVELS, any case) in `log_format`.

    Raises ValueError naming the accepted levels for any other level.
    """
    if level.upper() not in LOG_LEVELS:
        raise ValueError(f"unknown log level {level!r} (expected one of {', '.join(LOG_LEVELS).lower()})")
    # The formatters never show file and line, so skip the stack walk logging does per record.
    logging._srcfile = None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.JSON else LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
