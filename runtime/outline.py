"""Outline extraction for chunked story generation (PROTOCOL §14.2). Pure; no I/O.

A plan is cut into sections, one Architect call each: from Planner-style headings when the
text has them, otherwise from its paragraphs.
"""

from __future__ import annotations

import re
from typing import Final

from runtime.errors import InvalidParams

_OPENING_HEADING: Final = "Opening Situation:"
_BEATS_HEADING: Final = "Suggested Beats:"
_OTHER_HEADINGS: Final = frozenset({"Title:", "Core Conflict:", "Character Roles:", "State Hints:"})
_BEAT_MARKERS: Final = "-*0123456789.) \t"
_BLANK_LINE: Final = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def planned_text(planned_story: str | None, story_concept: str) -> str:
    """The text the outline is cut from: the non-blank plan, else the raw story concept."""
    if planned_story is not None and planned_story.strip():
        return planned_story
    return story_concept


def outline_sections(text: str) -> list[str]:
    """The outline sections of `text`, in order.

    Raises `InvalidParams("invalid story draft: planned_story did not contain any outline
    sections")` when there are none.
    """
    sections = _heading_sections(text) or _paragraph_sections(text)
    if not sections:
        raise InvalidParams("invalid story draft: planned_story did not contain any outline sections")
    return sections


def _heading_sections(text: str) -> list[str]:
    """Sections from `Opening Situation:` lines and the items under `Suggested Beats:`."""
    sections: list[str] = []
    in_beats = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(_OPENING_HEADING):
            in_beats = False
            _append_non_blank(sections, stripped[len(_OPENING_HEADING) :])
        elif stripped == _BEATS_HEADING:
            in_beats = True
        elif stripped in _OTHER_HEADINGS:
            in_beats = False
        elif in_beats:
            _append_non_blank(sections, stripped.lstrip(_BEAT_MARKERS))
    return sections


def _paragraph_sections(text: str) -> list[str]:
    chunks = (chunk.strip() for chunk in _BLANK_LINE.split(text.replace("\r\n", "\n")))
    return [chunk for chunk in chunks if chunk and not chunk.endswith(":")]


def _append_non_blank(sections: list[str], text: str) -> None:
    if text.strip():
        sections.append(text.strip())
