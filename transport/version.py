"""The version of Dramaturg that is running: the installed distribution's, as pyproject.toml gives it."""

from __future__ import annotations

import functools
from importlib import metadata

DISTRIBUTION = "dramaturg"


@functools.cache
def dramaturg_version() -> str:
    """`0.2.0`, or `unknown` when the code runs without being installed (`pip install -e .` installs it)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"
