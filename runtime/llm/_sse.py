"""Server-Sent Events decoding: bytes of a response body in, lines, then complete events out."""

from __future__ import annotations

import codecs
import re

import attrs

_LINE_END = re.compile(r"\r\n|\r|\n")


class LineSplitter:
    """Fed the body's bytes as they arrive; gives back its complete lines, without their ends.

    A line ends at CRLF, LF or CR (the SSE rule; not `str.splitlines`, which also splits at
    form feeds and other separators). UTF-8 split across chunks is joined before decoding.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._rest = ""  # the line begun but not ended yet

    def feed(self, data: bytes) -> list[str]:
        text = self._rest + self._decoder.decode(data)
        # A CR at the very end may be the first half of a CRLF: held back until more comes.
        held = "\r" if text.endswith("\r") else ""
        lines = _LINE_END.split(text[: len(text) - len(held)])
        self._rest = lines.pop() + held
        return lines

    def end(self) -> str | None:
        """The last line when the body ended without a line end; None when there is none."""
        rest = (self._rest + self._decoder.decode(b"", final=True)).removesuffix("\r")
        self._rest = ""
        return rest or None


@attrs.frozen
class SseEvent:
    """One event: its `event:` name ("" when absent) and its `data:` lines joined by newlines."""

    name: str
    data: str


@attrs.define
class SseDecoder:
    """Fed one line at a time (without the newline); a blank line completes an event."""

    _name: str = ""
    _data: list[str] = attrs.field(factory=list)

    def feed(self, line: str) -> SseEvent | None:
        if not line:
            return self.flush()
        if line.startswith(":"):
            return None  # a comment, used as a keep-alive
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._name = value
        elif field == "data":
            self._data.append(value)
        return None

    def flush(self) -> SseEvent | None:
        """The pending event, if any (also called at the end of the body)."""
        if not self._data and not self._name:
            return None
        event = SseEvent(self._name, "\n".join(self._data))
        self._name, self._data = "", []
        return event
