"""The incremental parser of the Actor's tagged output (PROTOCOL §9.2, §9.3).

The Actor answers with `<thought>…</thought>`, `<dialogue>…</dialogue>` and
`<action>…</action>` segments only. `ActorOutputParser` is fed the provider's deltas one at a
time and returns the events to stream at once: thought and dialogue text as soon as it can no
longer be part of the closing tag, and each action whole when its segment closes.
"""

from __future__ import annotations

import enum
from typing import Final, Union

import attrs

from runtime.errors import BackendError


class SegmentKind(enum.Enum):
    DIALOGUE = "dialogue"
    THOUGHT = "thought"
    ACTION = "action"


_KINDS_BY_TAG: Final = {kind.value: kind for kind in SegmentKind}


class ActorOutputError(BackendError):
    """The Actor's output broke the segment-tag contract. The turn fails (50001, stage Actor)."""


@attrs.frozen
class ActorSegment:
    kind: SegmentKind
    text: str
    """Raw text between the tags, not trimmed."""


@attrs.frozen
class ThoughtDelta:
    text: str


@attrs.frozen
class DialogueDelta:
    text: str


@attrs.frozen
class ActionComplete:
    text: str
    """The whole raw text of the action segment."""


ActorOutputEvent = Union[ThoughtDelta, DialogueDelta, ActionComplete]


@attrs.frozen
class ActorOutput:
    segments: list[ActorSegment]
    """In output order."""
    raw_output: str
    """Every delta fed, concatenated."""


class ActorOutputParser:
    """Parses one Actor response as it streams: `feed` each delta, then `finish` once.

    Raises `ActorOutputError` as soon as the output breaks the contract.
    """

    def __init__(self) -> None:
        self._raw: list[str] = []
        self._pending = ""
        self._open: SegmentKind | None = None
        self._open_text: list[str] = []
        self._segments: list[ActorSegment] = []

    def feed(self, delta: str) -> list[ActorOutputEvent]:
        """Take one provider delta; return the events it completes, in order."""
        self._raw.append(delta)
        self._pending += delta
        events: list[ActorOutputEvent] = []
        while self._step(events):
            pass
        return events

    def finish(self) -> ActorOutput:
        """End of the stream: return the segments, or raise if the output is incomplete or empty."""
        if self._open is not None:
            raise ActorOutputError(f"actor output ended inside an unclosed {self._open.value} segment")
        if self._pending.strip():
            raise ActorOutputError("actor output ended inside an opening tag")
        if not self._segments:
            raise ActorOutputError("actor output contained no segments")
        return ActorOutput(segments=list(self._segments), raw_output="".join(self._raw))

    def _step(self, events: list[ActorOutputEvent]) -> bool:
        """Consume what can be consumed now; True when another step may make progress."""
        if self._open is None:
            return self._read_opening_tag()
        return self._read_segment_text(self._open, events)

    def _read_opening_tag(self) -> bool:
        self._pending = self._pending.lstrip()
        if not self._pending:
            return False
        if self._pending[0] != "<":
            raise ActorOutputError("actor output contained text outside segment tags")
        end = self._pending.find(">")
        if end < 0:
            return False
        name = self._pending[1:end].strip()
        kind = _KINDS_BY_TAG.get(name)
        if kind is None:
            raise ActorOutputError(f"unknown actor segment tag '{name}'")
        self._open = kind
        self._pending = self._pending[end + 1 :]
        return True

    def _read_segment_text(self, kind: SegmentKind, events: list[ActorOutputEvent]) -> bool:
        closing = f"</{kind.value}>"
        end = self._pending.find(closing)
        if end < 0:
            # Only a tail that could still grow into the closing tag is held back.
            ready = len(self._pending) - _held_back_length(self._pending, closing)
            self._take_text(kind, self._pending[:ready], events)
            self._pending = self._pending[ready:]
            return False
        self._take_text(kind, self._pending[:end], events)
        self._pending = self._pending[end + len(closing) :]
        self._close_segment(kind, events)
        return True

    def _take_text(self, kind: SegmentKind, text: str, events: list[ActorOutputEvent]) -> None:
        if not text:
            return
        self._open_text.append(text)
        if kind is SegmentKind.DIALOGUE:
            events.append(DialogueDelta(text))
        elif kind is SegmentKind.THOUGHT:
            events.append(ThoughtDelta(text))

    def _close_segment(self, kind: SegmentKind, events: list[ActorOutputEvent]) -> None:
        text = "".join(self._open_text)
        if not text.strip():
            raise ActorOutputError(f"{kind.value} segment was empty")
        if kind is SegmentKind.ACTION:
            events.append(ActionComplete(text))
        self._segments.append(ActorSegment(kind=kind, text=text))
        self._open = None
        self._open_text = []


def _held_back_length(text: str, closing: str) -> int:
    """Length of the longest tail of `text` that is a proper prefix of `closing`."""
    for length in range(min(len(closing) - 1, len(text)), 0, -1):
        if text.endswith(closing[:length]):
            return length
    return 0


def parse_actor_output(text: str) -> ActorOutput:
    """Parse a whole Actor response at once (previews, tests): `feed` then `finish`."""
    parser = ActorOutputParser()
    parser.feed(text)
    return parser.finish()
