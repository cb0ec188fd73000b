"""What a prompt's lore is matched against, and which keywords occur in it.

A `LoreScan` is the match inputs of PROTOCOL §12, split so a scan depth can cut the history.
A `ScanText` is its haystack: the non-blank texts joined by newlines, as §12 builds it, plus a
lower-cased copy and where each text starts, so a match can be placed in its text. Literal
keywords are found in one pass per case mode by an Aho–Corasick automaton (every keyword of a
lorebook at once, overlapping matches included: a keyword inside another still counts), regex
keywords one by one, lazily, and only those an entry asks about. Pure, apart from memos.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Final

import ahocorasick_rs
import attrs

from runtime.lore._keys import KeyKind, Keyword, RegexTimeout, regex_search

_NOWHERE: Final = 1 << 30  # an age no text has


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
    starts: list[int]
    folded_starts: list[int]
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
        folded_segments = [text.lower() for text in segments]
        return cls(
            segments=segments,
            ages=tuple(age for _, age in texts),
            text="\n".join(segments),
            folded="\n".join(folded_segments),
            starts=_starts(segments),
            folded_starts=_starts(folded_segments),
        )

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

    def age_at(self, start: int, end: int, folded: bool) -> int:
        """The age of a match: of the oldest text it touches (it may run across a newline)."""
        starts = self.folded_starts if folded else self.starts
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, max(start, end - 1)) - 1
        return max(self.ages[first : last + 1])


def _starts(segments: Sequence[str]) -> list[int]:
    starts, offset = [], 0
    for segment in segments:
        starts.append(offset)
        offset += len(segment) + 1
    return starts


def is_word_character(character: str) -> bool:
    return character.isalnum() or character == "_"


def is_whole_word(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` has no word character right before or right after it."""
    before = start == 0 or not is_word_character(text[start - 1])
    return before and (end == len(text) or not is_word_character(text[end]))


@attrs.frozen(eq=False)
class LiteralSearch:
    """One automaton over the literal keywords of one case mode of a lorebook.

    `slots_of_pattern[p]` are the keyword slots whose text is pattern p (one text may be a
    whole-word keyword of one entry and a plain one of another); `whole_words` are the slots
    that only count at word boundaries. `folded`: the patterns are lower-cased and search the
    lower-cased haystack.
    """

    automaton: ahocorasick_rs.AhoCorasick
    slots_of_pattern: tuple[tuple[int, ...], ...]
    whole_words: frozenset[int]
    folded: bool

    @classmethod
    def build(cls, slots: Sequence[tuple[int, Keyword]], *, folded: bool) -> LiteralSearch | None:
        """The search of these (slot, literal keyword) pairs; None when there are none."""
        patterns: dict[str, list[int]] = {}
        for slot, keyword in slots:
            patterns.setdefault(keyword.text, []).append(slot)
        if not patterns:
            return None
        return cls(
            automaton=ahocorasick_rs.AhoCorasick(list(patterns), implementation=ahocorasick_rs.Implementation.DFA),
            slots_of_pattern=tuple(tuple(group) for group in patterns.values()),
            whole_words=frozenset(slot for slot, keyword in slots if keyword.whole_words),
            folded=folded,
        )

    def find(self, scan: ScanText, *, with_ages: bool, found: dict[int, int]) -> None:
        """Record in `found` each slot that occurs in `scan`, with the youngest age it occurs at
        (always 0 unless `with_ages`)."""
        text = scan.folded if self.folded else scan.text
        matches = self.automaton.find_matches_as_indexes(text, overlapping=True)
        if not with_ages and not self.whole_words:
            for pattern in {match[0] for match in matches}:
                for slot in self.slots_of_pattern[pattern]:
                    found[slot] = 0
            return
        for pattern, start, end in matches:
            for slot in self.slots_of_pattern[pattern]:
                if slot in self.whole_words and not is_whole_word(text, start, end):
                    continue
                age = scan.age_at(start, end, self.folded) if with_ages else 0
                if age < found.get(slot, _NOWHERE):
                    found[slot] = age


@attrs.define
class KeywordHits:
    """Which keyword slots of one lorebook occur in one haystack, per scan depth.

    Literal slots are all found when this is built; a regex slot is searched the first time
    it is asked about for a depth. A regex that runs out of time counts as absent, and is
    listed in `timeouts` (the trace reports it).
    """

    slots: Sequence[Keyword]
    scan: ScanText
    literal_ages: dict[int, int]
    _regex_found: dict[tuple[int, int | None], bool] = attrs.Factory(dict)
    timeouts: dict[int, str] = attrs.Factory(dict)

    @classmethod
    def find(
        cls, slots: Sequence[Keyword], searches: Iterable[LiteralSearch], scan: ScanText, *, with_ages: bool
    ) -> KeywordHits:
        found: dict[int, int] = {}
        for search in searches:
            search.find(scan, with_ages=with_ages and scan.has_history, found=found)
        return cls(slots, scan, found)

    def occurs(self, slot: int, depth: int | None) -> bool:
        keyword = self.slots[slot]
        if keyword.kind is KeyKind.LITERAL:
            age = self.literal_ages.get(slot)
            return age is not None and (depth is None or age <= depth)
        if keyword.kind is KeyKind.INVALID:
            return False
        key = (slot, depth)
        if key not in self._regex_found:
            self._regex_found[key] = self._search_regex(slot, keyword, depth)
        return self._regex_found[key]

    def _search_regex(self, slot: int, keyword: Keyword, depth: int | None) -> bool:
        assert keyword.pattern is not None
        try:
            return regex_search(keyword.pattern, self.scan.window(depth).text) is not None
        except RegexTimeout as timeout:
            self.timeouts[slot] = str(timeout)
            return False
