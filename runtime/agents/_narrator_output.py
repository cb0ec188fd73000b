"""The Narrator's output check (PROTOCOL §9.4): plain text, which must not be blank."""

from __future__ import annotations

from runtime.errors import BackendError


class NarratorOutputError(BackendError):
    """The Narrator produced no text. The turn fails (50001, stage Narrator)."""


def require_narration(text: str) -> str:
    """`text` unchanged (untrimmed) when it holds any non-whitespace; else `NarratorOutputError`."""
    if not text.strip():
        raise NarratorOutputError("narrator output contained no text")
    return text
