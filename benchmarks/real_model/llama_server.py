"""Start llama-cpp-python's OpenAI-compatible server for the real-model harness, and count its tokens.

Run with the interpreter of the harness's own virtualenv (`.venv-real-model`), never Dramaturg's:

    python llama_server.py TOKEN_LOG -- [llama_cpp.server arguments]

Two things the server's command line cannot do are done here before it starts:

* The model is loaded with `use_extra_bufts=False`. The library's native build enables CPU
  features the build machine advertises; on machines that advertise AMX but trap it, the extra
  buffer types (weight repacking) die with SIGILL on the first completion, and the command line
  has no switch for them.
* Every chat completion appends one JSON line to TOKEN_LOG: the `max_tokens` it was asked for,
  the tokens it generated, whether it streamed and whether the client left early. The server
  reports no usage on streamed answers, so this is how the harness checks that no call went past
  its limit.

This file imports nothing from Dramaturg: it runs in another environment.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import llama_cpp
import llama_cpp.llama_cpp as native
from llama_cpp.server.__main__ import main as serve

_LOG_LOCK = threading.Lock()


def without_extra_buffer_types() -> None:
    """Every model loaded from now on skips the extra (repacking) buffer types."""
    defaults: Callable[[], Any] = native.llama_model_default_params

    @functools.wraps(defaults)
    def params() -> Any:
        value = defaults()
        value.use_extra_bufts = False
        return value

    native.llama_model_default_params = params


def counting_tokens(log_path: str) -> None:
    """Wrap `Llama.create_chat_completion` so that each call logs the tokens it generated (the
    server runs one completion at a time, so one counter serves them all)."""
    original = llama_cpp.Llama.create_chat_completion
    original_sample = llama_cpp.Llama.sample

    def sample(self: llama_cpp.Llama, *args: Any, **kwargs: Any) -> Any:
        _SAMPLED[0] += 1
        return original_sample(self, *args, **kwargs)

    def create_chat_completion(self: llama_cpp.Llama, *args: Any, **kwargs: Any) -> Any:
        _SAMPLED[0] = 0
        started = time.monotonic()
        record = {"max_tokens": kwargs.get("max_tokens"), "stream": bool(kwargs.get("stream"))}
        if not record["stream"]:
            result = original(self, *args, **kwargs)
            _write(log_path, {**record, "tokens": _SAMPLED[0], "seconds": time.monotonic() - started})
            return result
        return _counted_stream(original(self, *args, **kwargs), record, started, log_path)

    llama_cpp.Llama.sample = sample
    llama_cpp.Llama.create_chat_completion = create_chat_completion


_SAMPLED = [0]
"""Tokens sampled by the completion under way."""


def _counted_stream(chunks: Iterator[Any], record: dict[str, Any], started: float, log_path: str) -> Iterator[Any]:
    finished = False
    try:
        yield from chunks
        finished = True
    finally:
        elapsed = time.monotonic() - started
        _write(log_path, {**record, "tokens": _SAMPLED[0], "left_early": not finished, "seconds": elapsed})


def _write(log_path: str, record: dict[str, Any]) -> None:
    with _LOG_LOCK, open(log_path, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


def main() -> None:
    log_path, separator, *server_args = sys.argv[1:]
    if separator != "--":
        raise SystemExit("usage: llama_server.py TOKEN_LOG -- [llama_cpp.server arguments]")
    without_extra_buffer_types()
    counting_tokens(log_path)
    sys.argv = [sys.argv[0], *server_args]
    serve()


if __name__ == "__main__":
    main()
