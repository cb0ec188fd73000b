"""Where a streamed JSON answer's top-level value ends, found as the text arrives.

A JSON agent's answer is one object. Once that object is closed nothing more of the answer is
useful, and a model held only by `max_tokens` may go on for thousands of tokens (a second
object, prose, a fence), so the stream stops reading there and closes its connection, which
also tells a local server to stop generating. Text before the first `{` or `[` (a fence, a
sentence) is let through: the agent's parser deals with it.
"""

from __future__ import annotations

from typing import Final

_OPENERS: Final = {"{": "}", "[": "]"}
_CLOSERS: Final = frozenset("}]")


class JsonEndScanner:
    """Fed the deltas in order; `feed` returns how much of a delta belongs to the answer."""

    def __init__(self) -> None:
        self._depth = 0
        self._started = False
        self._in_string = False
        self._escaped = False
        self.complete = False

    def feed(self, text: str) -> int:
        """The length of the prefix of `text` up to and including the character that closes the
        top-level value; `len(text)` while it is still open. Once complete, 0."""
        if self.complete:
            return 0
        for index, char in enumerate(text):
            if self._step(char):
                self.complete = True
                return index + 1
        return len(text)

    def _step(self, char: str) -> bool:
        """Take one character; True when it closed the top-level value."""
        if not self._started:
            if char in _OPENERS:
                self._started, self._depth = True, 1
            return False
        if self._in_string:
            if self._escaped:
                self._escaped = False
            elif char == "\\":
                self._escaped = True
            elif char == '"':
                self._in_string = False
            return False
        if char == '"':
            self._in_string = True
        elif char in _OPENERS:
            self._depth += 1
        elif char in _CLOSERS:
            self._depth -= 1
            return self._depth == 0
        return False
