"""Command-line flags that an environment variable can stand for: how they are declared, how their
help shows the default and the variable, and how a value is read into its type.

A flag's value comes from the command line, else from its variable, else from its default. The
variables are read after argparse is done, so a bad value in the environment never stops `--help`;
a bad value anywhere is a `ConfigProblem` whose one-line message names the flag or the variable,
what it got and what it expects.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from transport.settings import SOCKET_LISTEN_PREFIXES

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "k": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gib": 1024**3,
}
SIZE = re.compile(r"\s*(\d+)\s*([a-zA-Z]*)\s*")


class ConfigProblem(Exception):
    """A flag or variable that cannot be used; the message is the whole explanation, in one line."""


Parse = Callable[[str], Any]
"""Reads a flag's text into its value; raises ValueError("expected …") for anything else."""


@attrs.frozen
class Flag:
    """One flag: its name, the variable that stands for it, its default and how its text is read.

    `repeated` flags (`--allowed-origin a --allowed-origin b,c`) give a tuple of every
    comma-separated item; `switch` flags take no value (the variable says `1`/`0`).
    """

    name: str
    help: str
    default: Any = None
    env: str | None = None
    parse: Parse = str
    metavar: str | None = None
    shown_default: str | None = None  # the default as the help writes it, when str(default) says it badly
    switch: bool = False
    repeated: bool = False

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")

    def help_text(self) -> str:
        shown = self.shown_default if self.shown_default is not None else _shown(self.default)
        where = f"default: {shown}" + (f"; env {self.env}" if self.env else "")
        return f"{self.help} [{where}]"

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        if self.switch:
            parser.add_argument(self.name, action="store_true", default=None, help=self.help_text())
            return
        action = "append" if self.repeated else "store"
        parser.add_argument(self.name, action=action, default=None, metavar=self.metavar, help=self.help_text())

    def value(self, args: argparse.Namespace, environ: Mapping[str, str]) -> Any:
        """The flag's value: given on the command line, else from its variable, else the default.
        Raises ConfigProblem naming where a bad value came from."""
        given = getattr(args, self.dest)
        if given is not None:
            return self._read(given, self.name)
        if self.env is not None and environ.get(self.env, "").strip():  # set but empty counts as unset
            return self._read(environ[self.env], self.env)
        return self.default

    def _read(self, given: Any, source: str) -> Any:
        if self.switch:
            return _read_switch(given, source)
        texts = given if isinstance(given, list) else [given]
        try:
            values = [self.parse(text) for text in split_items(texts)] if self.repeated else self.parse(texts[0])
        except ValueError as exc:
            shown = ",".join(texts) if self.repeated else texts[0]
            raise ConfigProblem(f"{source}: {exc}, got {shown!r}") from None
        return tuple(values) if self.repeated else values


def _read_switch(given: bool | str, source: str) -> bool:
    if isinstance(given, bool):
        return given
    word = given.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ConfigProblem(f"{source}: expected 1 or 0 (true/false, yes/no, on/off), got {given!r}")
    return word in TRUE_WORDS


def _shown(default: Any) -> str:
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "off" if not default else "on"
    if isinstance(default, float):
        return f"{default:g}"
    if isinstance(default, tuple):
        return ",".join(map(str, default)) or "none"
    return str(default)


def split_items(values: list[str]) -> list[str]:
    """Repeated flags and comma-separated values alike: `["a,b", "c"]` → `["a", "b", "c"]`."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def add_flags(parser: argparse.ArgumentParser, flags: list[Flag]) -> None:
    for flag in flags:
        flag.add_to(parser)


def read_flags(args: argparse.Namespace, flags: list[Flag], environ: Mapping[str, str]) -> dict[str, Any]:
    """Every flag's value by its `dest`. Raises ConfigProblem for the first bad one."""
    return {flag.dest: flag.value(args, environ) for flag in flags}


# -- readers ---------------------------------------------------------------------------------


def listen_address(text: str) -> str:
    """`HOST:PORT` (`[::1]:PORT` for IPv6), or hypercorn's `unix:PATH` and `fd://N` as they are."""
    text = text.strip()
    if text.startswith(SOCKET_LISTEN_PREFIXES):
        return text
    if text.isdigit():
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:{text} (a port alone has no host)")
    host, colon, port = text.rpartition(":")
    if not colon or not host.strip("[]") or not port.isdigit() or int(port) > 65535:
        raise ValueError("expected HOST:PORT such as 127.0.0.1:8080 (port 0 to 65535; IPv6 as [::1]:8080)")
    return text


def size_in_bytes(text: str) -> int:
    """A positive size: bytes (`33554432`) or with a unit (`32MiB`, `32M`, `500KB`; KiB/MiB/GiB and
    K/M/G count in 1024s, KB/MB/GB in 1000s)."""
    match = SIZE.fullmatch(text)
    if match is None or match.group(2).lower() not in SIZE_UNITS or int(match.group(1)) == 0:
        raise ValueError("expected a positive size in bytes, such as 33554432 or 32MiB")
    return int(match.group(1)) * SIZE_UNITS[match.group(2).lower()]


def positive_int(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError("expected a whole number above 0")
    return value


def positive_seconds(text: str) -> float:
    value = _number(text)
    if not value > 0 or value == float("inf"):
        raise ValueError("expected a positive number of seconds")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError("expected a whole number, 0 or more")
    return value


def non_negative_number(text: str) -> float:
    value = _number(text)
    if not value >= 0 or value == float("inf"):
        raise ValueError("expected a number, 0 or more")
    return value


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        return float("nan")


def one_of(*choices: str, case_sensitive: bool = False) -> Parse:
    """A reader that accepts only `choices` (any case unless `case_sensitive`); it returns the choice."""

    def parse(text: str) -> str:
        for choice in choices:
            if text.strip() == choice or (not case_sensitive and text.strip().lower() == choice.lower()):
                return choice
        raise ValueError(f"expected one of {', '.join(choices)}")

    return parse


def existing_directory(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_dir():
        raise ValueError("expected an existing directory" + (" (it is a file)" if path.exists() else ""))
    return path


def directory_path(text: str) -> Path:
    if not text.strip():
        raise ValueError("expected a directory path")
    return Path(text).expanduser()


def optional_text(text: str) -> str | None:
    return text.strip() or None
