"""Log lines: logfmt that splits back into its fields, JSON lines, UTC millisecond timestamps."""

from __future__ import annotations

import json
import logging
import re
import shlex
import sys

import pytest

from transport.log_format import (
    JsonFormatter,
    LogfmtFormatter,
    LogFormat,
    configure_logging,
    logfmt_value,
    utc_timestamp,
)

CREATED_S = 1_796_675_462.123_4  # 2026-12-07T20:31:02.123Z


def a_record(event: str = "rpc", level: int = logging.INFO, **fields: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "transport.rpc", "levelno": level, "levelname": logging.getLevelName(level)}
    )
    record.msg, record.created = event, CREATED_S
    for key, value in fields.items():
        setattr(record, key, value)
    return record


def test_timestamps_are_utc_with_milliseconds() -> None:
    assert utc_timestamp(CREATED_S) == "2026-12-07T20:31:02.123Z"


def test_logfmt_line_splits_back_into_its_fields_in_order() -> None:
    line = LogfmtFormatter().format(
        a_record(method="session.run_turn", error='bad "value" = x', note="two\nlines", empty="", ok=True, n=3)
    )
    pairs = [token.split("=", 1) for token in shlex.split(line.replace("\\n", "\n"))]
    assert pairs == [
        ["ts", "2026-12-07T20:31:02.123Z"],
        ["level", "info"],
        ["logger", "transport.rpc"],
        ["event", "rpc"],
        ["method", "session.run_turn"],
        ["error", 'bad "value" = x'],
        ["note", "two\nlines"],
        ["empty", ""],
        ["ok", "true"],
        ["n", "3"],
    ]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain", "plain"),
        ("with space", '"with space"'),
        ("a=b", '"a=b"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("bell\x07", '"bell\\u0007"'),
        (None, ""),
        (False, "false"),
        (12.5, "12.5"),
    ],
)
def test_logfmt_quotes_only_what_would_be_ambiguous(value: object, written: str) -> None:
    assert logfmt_value(value) == written


def test_logfmt_traceback_follows_the_line_indented() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = a_record("rpc_handler_crashed", logging.ERROR)
        record.exc_info = sys.exc_info()
    first, *rest = LogfmtFormatter().format(record).splitlines()
    assert first.endswith("event=rpc_handler_crashed") and " level=error " in first
    assert rest and all(row.startswith("    ") for row in rest) and rest[-1].strip() == "RuntimeError: boom"


def test_json_lines_carry_the_same_fields() -> None:
    line = json.loads(JsonFormatter().format(a_record(method="api.get", duration_ms=1.5, session_id=None)))
    assert line == {
        "ts": "2026-12-07T20:31:02.123Z",
        "level": "info",
        "logger": "transport.rpc",
        "event": "rpc",
        "method": "api.get",
        "duration_ms": 1.5,
        "session_id": None,
    }


def test_an_unknown_level_is_refused_with_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match=re.escape("unknown log level 'verbose' (expected one of debug, info")):
        configure_logging("verbose")


def test_library_request_lines_are_quiet_at_info(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    httpx_logger = logging.getLogger("httpx")
    monkeypatch.setattr(httpx_logger, "level", httpx_logger.level)
    configure_logging("info", LogFormat.JSON)
    assert not httpx_logger.isEnabledFor(logging.INFO)
    assert httpx_logger.isEnabledFor(logging.WARNING)
    assert isinstance(root.handlers[0].formatter, JsonFormatter)
