"""The incremental parser of the Actor's tagged output (PROTOCOL §9.2, §9.3), tolerant of small slips.

The Actor answers with `<thought>…</thought>`, `<dialogue>…</dialogue>` and
`<action>…</action>` segments. `ActorOutputParser` is fed the provider's deltas one at a time
and returns the events to stream at once: thought and dialogue text as soon as it can no longer
be part of the closing tag, and each action whole when its segment closes.

A model that bends the contract is read as well as it can be instead of failing the turn (a
Dramaturg change of §9.3): text outside the tags is kept as dialogue (streamed as it comes), a
tag name in other case or an invented tag (`<speech>`) is read as the nearest segment, a stray
closing tag is skipped, an empty segment is dropped, and a segment still open at the end is
kept. Each such slip is noted once in `warnings`, which the caller records as a format warning.
Only an answer with no text at all is an error.
"""

from __future__ import annotations

import enum
import re
from typing import Final, Union

import attrs

from runtime.errors import BackendError


class SegmentKind(enum.Enum):
    DIALOGUE = "dialogue"
    THOUGHT = "thought"
    ACTION = "action"


_KINDS_BY_TAG: Final = {kind.value: kind for kind in SegmentKind}
_TAG_NAME: Final = re.compile(r"/?[A-Za-z][A-Za-z_-]{0,23}")
MAX_TAG_CHARS: Final = 26
"""A `<` followed by this many characters without `>` is text, not the start of a tag."""

TEXT_OUTSIDE_TAGS: Final = "text outside segment tags was kept as dialogue"


class ActorOutputError(BackendError):
    """The Actor's output had no text to perform. The turn fails (50001, stage Actor)."""


@attrs.frozen
class ActorSegment:
    kind: SegmentKind
    text: str
    """Raw text between the tags, not trimmed (text outside tags: trimmed at its ends)."""


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
    warnings: tuple[str, ...] = ()
    """How the output bent the contract, each slip once, in the order first seen."""


@attrs.frozen
class _Open:
    """The segment being read: its kind and the closing tag that ends it."""

    kind: SegmentKind
    closing: str


class ActorOutputParser:
    """Parses one Actor response as it streams: `feed` each delta, then `finish` once."""

    def __init__(self) -> None:
        self._raw: list[str] = []
        self._pending = ""
        self._open: _Open | None = None
        self._open_text: list[str] = []
        self._loose: list[str] = []  # text outside tags, read as dialogue
        self._segments: list[ActorSegment] = []
        self._warnings: dict[str, None] = {}

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self._warnings)

    def feed(self, delta: str) -> list[ActorOutputEvent]:
        """Take one provider delta; return the events it completes, in order."""
        self._raw.append(delta)
        self._pending += delta
        events: list[ActorOutputEvent] = []
        while self._step(events):
            pass
        return events

    def end(self) -> list[ActorOutputEvent]:
        """The stream has ended: keep what is left (a segment left open, text after the last
        tag) and return the events that completes, in order. Idempotent."""
        events: list[ActorOutputEvent] = []
        if self._open is not None:
            if "".join(self._open_text).strip() or self._pending.strip():
                self._warn(f"output ended inside an unclosed {self._open.kind.value} segment; its text was kept")
            pending = self._pending.lower()
            if _held_back_length(pending, self._open.closing) < len(pending):  # not half a closing tag
                self._take_text(self._open.kind, self._pending, events)
            self._pending = ""
            self._close_segment(events)
        elif self._pending.strip():
            self._take_loose(self._pending, events)
            self._pending = ""
        self._close_loose()
        return events

    def finish(self) -> ActorOutput:
        """The segments, after `end` (whose events are then dropped: call `end` first to stream them).

        Raises ActorOutputError when the output holds no text at all.
        """
        self.end()
        if not self._segments:
            raise ActorOutputError("actor output contained no text")
        return ActorOutput(list(self._segments), "".join(self._raw), self.warnings)

    def _warn(self, warning: str) -> None:
        self._warnings.setdefault(warning)

    def _step(self, events: list[ActorOutputEvent]) -> bool:
        """Consume what can be consumed now; True when another step may make progress."""
        if self._open is None:
            return self._read_outside(events)
        return self._read_segment_text(self._open, events)

    # -- outside segments ----------------------------------------------------------------

    def _read_outside(self, events: list[ActorOutputEvent]) -> bool:
        start = self._pending.find("<")
        if start < 0:
            self._take_loose(self._pending, events)
            self._pending = ""
            return False
        self._take_loose(self._pending[:start], events)
        self._pending = self._pending[start:]
        end = self._pending.find(">")
        if end < 0:
            if len(self._pending) <= MAX_TAG_CHARS:
                return False  # maybe a tag cut across deltas
            self._take_loose("<", events)
            self._pending = self._pending[1:]
            return True
        inside = self._pending[1:end].strip()
        if not _TAG_NAME.fullmatch(inside):
            self._take_loose(self._pending[: end + 1], events)
            self._pending = self._pending[end + 1 :]
            return True
        self._pending = self._pending[end + 1 :]
        self._open_tag(inside)
        return True

    def _open_tag(self, name: str) -> None:
        if name.startswith("/"):
            self._warn(f"a closing tag <{name}> without its opening tag was skipped")
            return
        kind = _KINDS_BY_TAG.get(name.lower())
        if kind is None:
            kind = SegmentKind.DIALOGUE
            self._warn(f"unknown tag <{name}> was read as dialogue")
        elif name != kind.value:
            self._warn(f"tag <{name}> was read as <{kind.value}>")
        self._close_loose()
        self._open = _Open(kind, f"</{name.lower()}>")

    def _take_loose(self, text: str, events: list[ActorOutputEvent]) -> None:
        if not self._loose:
            text = text.lstrip()
        if not text:
            return
        self._warn(TEXT_OUTSIDE_TAGS)
        self._loose.append(text)
        events.append(DialogueDelta(text))

    def _close_loose(self) -> None:
        text = "".join(self._loose).strip()
        self._loose = []
        if text:
            self._segments.append(ActorSegment(SegmentKind.DIALOGUE, text))

    # -- inside a segment ----------------------------------------------------------------

    def _read_segment_text(self, segment: _Open, events: list[ActorOutputEvent]) -> bool:
        closing = segment.closing
        end = self._pending.lower().find(closing)
        if end < 0:
            # Only a tail that could still grow into the closing tag is held back.
            ready = len(self._pending) - _held_back_length(self._pending.lower(), closing)
            self._take_text(segment.kind, self._pending[:ready], events)
            self._pending = self._pending[ready:]
            return False
        self._take_text(segment.kind, self._pending[:end], events)
        self._pending = self._pending[end + len(closing) :]
        self._close_segment(events)
        return True

    def _take_text(self, kind: SegmentKind, text: str, events: list[ActorOutputEvent]) -> None:
        if not text:
            return
        self._open_text.append(text)
        if kind is SegmentKind.DIALOGUE:
            events.append(DialogueDelta(text))
        elif kind is SegmentKind.THOUGHT:
            events.append(ThoughtDelta(text))

    def _close_segment(self, events: list[ActorOutputEvent]) -> None:
        assert self._open is not None
        kind = self._open.kind
        text = "".join(self._open_text)
        self._open, self._open_text = None, []
        if not text.strip():
            self._warn(f"an empty {kind.value} segment was dropped")
            return
        if kind is SegmentKind.ACTION:
            events.append(ActionComplete(text))
        self._segments.append(ActorSegment(kind=kind, text=text))


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
