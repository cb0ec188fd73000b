"""Server-Sent Events decoding: lines of a response body in, complete events out."""

from __future__ import annotations

import attrs


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
