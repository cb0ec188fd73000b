"""Keywords as the matcher reads them: literal text or a regular expression, with its options.

A literal keyword is searched as text (folded to lower case unless case-sensitive), optionally
only as a whole word. A regex keyword is compiled once, with the `regex` library, which can
stop a runaway pattern after a time limit instead of freezing the server (Python's `re`
cannot). A keyword that does not compile never matches and is reported. Pure.
"""

from __future__ import annotations

import enum
import json
import re
from typing import Final

import attrs
import regex

from runtime.model.lorebooks import KeyMode

REGEX_SEARCH_LIMIT_S: Final = 0.05
"""How long one regex keyword may search one text. A pattern that takes longer is catastrophic
(nested repetition); it then counts as not matching and the trace says so."""

_SLASHED = re.compile(r"^/(.+)/([A-Za-z]*)$", re.DOTALL)

_FLAGS: Final = {"i": regex.IGNORECASE, "m": regex.MULTILINE, "s": regex.DOTALL}
_NEUTRAL_FLAGS: Final = frozenset("gyudv")  # JavaScript flags that change nothing for a search


class KeyKind(enum.Enum):
    LITERAL = "literal"
    REGEX = "regex"
    INVALID = "invalid"


@attrs.frozen
class Keyword:
    """One keyword. `text` is what a literal keyword searches for (lower-cased unless
    `case_sensitive`); `pattern` is a regex keyword's compiled pattern; `error` says why an
    invalid keyword never matches."""

    written: str
    kind: KeyKind
    text: str = ""
    case_sensitive: bool = False
    whole_words: bool = False
    pattern: regex.Pattern[str] | None = attrs.field(default=None, eq=False)
    error: str | None = None

    @property
    def identity(self) -> tuple[object, ...]:
        """Keywords with the same identity match the same texts (they share one search)."""
        if self.kind is KeyKind.REGEX:
            assert self.pattern is not None
            return (self.kind, self.pattern.pattern, self.pattern.flags)
        return (self.kind, self.text, self.case_sensitive, self.whole_words)


def read_keyword(written: str, mode: KeyMode, *, case_sensitive: bool, whole_words: bool) -> Keyword:
    """The keyword `written` (already trimmed, not blank) as `mode` reads it."""
    if mode is KeyMode.LITERAL:
        return _literal(written, written, case_sensitive, whole_words)
    slashed = _SLASHED.match(written)
    if slashed is not None:
        return _regex(written, slashed.group(1), slashed.group(2))
    if mode is KeyMode.SLASH_REGEX:
        return _literal(written, written, case_sensitive, whole_words)
    return _regex(written, written, "" if case_sensitive else "i")


def _literal(written: str, text: str, case_sensitive: bool, whole_words: bool) -> Keyword:
    folded = text if case_sensitive else text.lower()
    return Keyword(written, KeyKind.LITERAL, folded, case_sensitive, whole_words)


def _regex(written: str, pattern: str, flag_letters: str) -> Keyword:
    """A regex keyword; a pattern without any special character is searched as plain text
    (much faster, same result). Whole-word matching never applies to a regex."""
    unknown = sorted(set(flag_letters) - _FLAGS.keys() - _NEUTRAL_FLAGS)
    if unknown:
        return _invalid(written, f"unknown flag {json.dumps(unknown[0])}")
    if regex.escape(pattern, literal_spaces=True) == pattern:
        return _literal(written, pattern, "i" not in flag_letters, False)
    flags = 0
    for letter in flag_letters:
        flags |= _FLAGS.get(letter, 0)
    try:
        compiled = regex.compile(pattern, flags)
    except regex.error as exc:
        return _invalid(written, str(exc))
    return Keyword(written, KeyKind.REGEX, pattern=compiled, case_sensitive="i" not in flag_letters)


def _invalid(written: str, reason: str) -> Keyword:
    return Keyword(
        written, KeyKind.INVALID, error=f"{json.dumps(written)} is not a valid regular expression ({reason})"
    )


def regex_search(pattern: regex.Pattern[str], text: str) -> regex.Match[str] | None:
    """The first match of `pattern` in `text`; None when there is none or the search ran out
    of time. Raises RegexTimeout in the second case, so the caller can report it."""
    try:
        return pattern.search(text, timeout=REGEX_SEARCH_LIMIT_S)
    except TimeoutError as exc:
        raise RegexTimeout(pattern.pattern) from exc


class RegexTimeout(Exception):
    """A regex keyword searched longer than REGEX_SEARCH_LIMIT_S."""

    def __init__(self, pattern: str) -> None:
        super().__init__(f"regular expression {json.dumps(pattern)} took too long and was stopped")
