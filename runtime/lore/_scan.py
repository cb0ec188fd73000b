"""What a prompt's lore is matched against, and which keywords occur in it.

A `LoreScan` is the match inputs of PROTOCOL §12, split so a scan depth can cut the history.
A `ScanText` is its haystack: the non-blank texts joined by newlines, as §12 builds it, plus a
lower-cased copy; a scan depth's window is the same built from fewer texts. Literal keywords
are found in one pass by an Aho–Corasick automaton (every keyword of a lorebook at once,
overlapping matches included: a keyword inside another still counts), regex keywords one by
one, lazily, and only those an entry asks about. Pure, apart from memos.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import ahocorasick_rs
import attrs

from runtime.lore._keys import KeyKind, Keyword, RegexTimeout, regex_search

DFA_PATTERN_LIMIT: Final = 25_000
"""Up to this many keywords an automaton is a DFA: it scans 50 KB two to three times faster
than the default NFA (0.3 against 0.8 ms for 10k keywords) for about 8 MB per 10k keywords
and a slower build (0.2 s), paid once per lorebook version. Beyond it, the NFA's memory wins."""


@attrs.frozen
class LoreScan:
    """The texts one prompt's lore is matched against, in haystack order.

    `leading` and `trailing` are always scanned (the current node, the player's input);
    `history` (oldest first) is what a scan depth counts: depth d keeps its last d texts.
    """

    leading: Sequence[str] = ()
    history: Sequence[str] = ()
    trailing: Sequence[str] = ()

    @classmethod
    def of(cls, texts: Iterable[str]) -> LoreScan:
        """Texts without history: a scan depth does not apply to any of them."""
        return cls(leading=tuple(texts))


@attrs.define
class ScanText:
    """A haystack. `ages[i]` is 0 for an always-scanned text and k for the k-th newest history text."""

    segments: tuple[str, ...]
    ages: tuple[int, ...]
    text: str
    folded: str
    _windows: dict[int, ScanText] = attrs.Factory(dict)

    @classmethod
    def of(cls, scan: LoreScan) -> ScanText:
        history = list(scan.history)
        texts = [*((text, 0) for text in scan.leading)]
        texts += [(text, len(history) - index) for index, text in enumerate(history)]
        texts += [(text, 0) for text in scan.trailing]
        return cls.joined([(text, age) for text, age in texts if text.strip()])

    @classmethod
    def joined(cls, texts: Sequence[tuple[str, int]]) -> ScanText:
        segments = tuple(text for text, _ in texts)
        text = "\n".join(segments)
        return cls(segments=segments, ages=tuple(age for _, age in texts), text=text, folded=text.lower())

    @property
    def has_history(self) -> bool:
        return any(self.ages)

    def window(self, depth: int | None) -> ScanText:
        """The haystack of a scan depth: the always-scanned texts and the last `depth` history texts."""
        if depth is None or not self.has_history:
            return self
        if depth not in self._windows:
            kept = [(text, age) for text, age in zip(self.segments, self.ages, strict=True) if age <= depth]
            self._windows[depth] = ScanText.joined(kept)
        return self._windows[depth]


def is_word_character(character: str) -> bool:
    return character.isalnum() or character == "_"


def is_whole_word(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` has no word character right before or right after it."""
    before = start == 0 or not is_word_character(text[start - 1])
    return before and (end == len(text) or not is_word_character(text[end]))


@attrs.frozen(eq=False)
class LiteralSearch:
    """One automaton over the literal keywords of a lorebook, lower-cased, run over the
    lower-cased haystack.

    `slots_of_pattern[p]` are the keyword slots whose lower-cased text is pattern p. A search
    only tells which patterns occur somewhere, in fast set operations however often they
    occur; what a lower-cased match cannot tell (exact case, whole words, a scan depth) is
    checked afterwards, for the few keywords an entry asks about (`KeywordHits.occurs`).
    """

    automaton: ahocorasick_rs.AhoCorasick
    slots_of_pattern: tuple[tuple[int, ...], ...]

    @classmethod
    def build(cls, slots: Sequence[tuple[int, Keyword]]) -> LiteralSearch | None:
        """The search of these (slot, literal keyword) pairs; None when there are none."""
        patterns: dict[str, list[int]] = {}
        for slot, keyword in slots:
            patterns.setdefault(keyword.text.lower(), []).append(slot)
        if not patterns:
            return None
        implementation = ahocorasick_rs.Implementation.DFA if len(patterns) <= DFA_PATTERN_LIMIT else None
        return cls(
            automaton=ahocorasick_rs.AhoCorasick(list(patterns), implementation=implementation),
            slots_of_pattern=tuple(tuple(group) for group in patterns.values()),
        )

    def find(self, scan: ScanText) -> set[int]:
        """Every slot whose lower-cased text occurs somewhere in the lower-cased `scan`."""
        matches = self.automaton.find_matches_as_indexes(scan.folded, overlapping=True)
        return {slot for pattern in {match[0] for match in matches} for slot in self.slots_of_pattern[pattern]}


def find_literal(keyword: Keyword, scan: ScanText) -> tuple[str, int, int] | None:
    """The first match of a literal keyword in `scan` (at word boundaries for a whole-word one),
    as (the text searched, start, end); None when there is none."""
    text = scan.text if keyword.case_sensitive else scan.folded
    start = text.find(keyword.text)
    while start >= 0:
        end = start + len(keyword.text)
        if not keyword.whole_words or is_whole_word(text, start, end):
            return text, start, end
        start = text.find(keyword.text, start + 1)
    return None


@attrs.define
class KeywordHits:
    """Which keyword slots of one lorebook occur in one haystack, per scan depth.

    The literal slots whose lower-cased text occurs anywhere (`present`) are found when this is
    built. An entry's question "does this keyword occur within my scan depth" is answered from
    that for most keywords, and by one search of the scan window otherwise (exact case, whole
    words, a depth that cuts the history, a regex), remembered per keyword and depth. A regex that runs out of time
    counts as absent and is listed in `timeouts` (the trace reports it).
    """

    slots: Sequence[Keyword]
    scan: ScanText
    present: set[int]
    _answers: dict[tuple[int, int | None], bool] = attrs.Factory(dict)
    timeouts: dict[int, str] = attrs.Factory(dict)

    @classmethod
    def find(cls, slots: Sequence[Keyword], search: LiteralSearch | None, scan: ScanText) -> KeywordHits:
        return cls(slots, scan, set() if search is None else search.find(scan))

    def occurs(self, slot: int, depth: int | None) -> bool:
        keyword = self.slots[slot]
        if keyword.kind is KeyKind.INVALID:
            return False
        if keyword.kind is KeyKind.LITERAL:
            if slot not in self.present:
                return False
            plain = not keyword.whole_words and not keyword.case_sensitive
            if plain and (depth is None or not self.scan.has_history):
                return True
        key = (slot, depth)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = self._search(slot, keyword, self.scan.window(depth))
        return answer

    def _search(self, slot: int, keyword: Keyword, window: ScanText) -> bool:
        if keyword.kind is KeyKind.LITERAL:
            return find_literal(keyword, window) is not None
        assert keyword.pattern is not None
        try:
            return regex_search(keyword.pattern, window.text) is not None
        except RegexTimeout as timeout:
            self.timeouts[slot] = str(timeout)
            return False
