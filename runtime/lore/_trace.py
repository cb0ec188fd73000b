"""The activation trace: for every entry of the lorebooks, whether it activated and why.

Built from an `Activation` after the fact (only previews and dry runs ask for it, so turns do
not pay for it): entries the activation looked at carry its decision; the others are
explained here (disabled, delayed, cooling down, or no keyword matched). Pure.
"""

from __future__ import annotations

from typing import Final

import attrs

from runtime.lore._activate import Activation, Decision, EntryRef
from runtime.lore._compile import CompiledEntry, entry_keyword_warnings
from runtime.lore._keys import KeyKind, Keyword, RegexTimeout, regex_search
from runtime.lore._scan import ScanText, find_literal
from runtime.model.lore import (
    LoreEntryRef,
    LoreTrace,
    LoreTraceEntry,
    TraceBucket,
    TraceKey,
    TraceProbability,
    TraceReason,
    TraceSecondary,
    TraceTimers,
)

EXCERPT_CONTEXT: Final = 40
"""Characters of text kept on each side of a keyword's match in an excerpt."""


def trace_activation(activation: Activation) -> LoreTrace:
    """The trace of `activation`: every entry of every lorebook, in stored order."""
    entries = [
        _traced(activation, (index, entry.position), entry)
        for index, book in enumerate(activation.lore.books)
        for entry in book.entries
    ]
    return LoreTrace(
        seed=activation.moment.seed,
        turn=activation.moment.turn,
        recursion_steps=activation.recursion_steps,
        activated=[_ref(activation, ref) for ref in (*activation.base, *activation.matched)],
        entries=entries,
    )


def _ref(activation: Activation, ref: EntryRef) -> LoreEntryRef:
    return LoreEntryRef(activation.lore.books[ref[0]].lorebook_id, activation.entry(ref).entry_id)


def _traced(activation: Activation, ref: EntryRef, entry: CompiledEntry) -> LoreTraceEntry:
    lorebook_id = activation.lore.books[ref[0]].lorebook_id
    decision = activation.decision(ref)
    warnings = entry_keyword_warnings(entry) + _timeouts(activation, ref, entry)
    traced = LoreTraceEntry(
        lorebook_id=lorebook_id,
        entry_id=entry.entry_id,
        title=entry.entry.title,
        activated=decision is not None and decision.activated,
        reason=_unlooked_reason(activation, lorebook_id, entry) if decision is None else decision.reason,
        timers=_timers(activation, lorebook_id, entry),
        warnings=warnings or None,
    )
    if decision is None:
        return traced
    return _with_decision(traced, activation, ref, entry, decision)


def _with_decision(
    traced: LoreTraceEntry, activation: Activation, ref: EntryRef, entry: CompiledEntry, decision: Decision
) -> LoreTraceEntry:
    bucket = None
    if decision.activated:
        bucket = TraceBucket.BASE if entry.constant else TraceBucket.MATCHED
    return attrs.evolve(
        traced,
        bucket=bucket,
        recursion_level=decision.level,
        key=_key(activation, entry, decision),
        secondary=_secondary(entry, decision),
        probability=None
        if decision.roll is None
        else TraceProbability(entry.chance, round(decision.roll, 4), decision.roll < entry.chance),
        groups=decision.groups or None,
        budget=decision.budget,
    )


def _unlooked_reason(activation: Activation, lorebook_id: str, entry: CompiledEntry) -> TraceReason:
    """Why an entry the activation never looked at did not activate."""
    moment = activation.moment
    if not entry.enabled:
        return TraceReason.DISABLED
    if moment.turn <= entry.delay:
        return TraceReason.DELAY
    if moment.cooling_down((lorebook_id, entry.entry_id)):
        return TraceReason.COOLDOWN
    return TraceReason.NO_KEYWORD_MATCH


def _timers(activation: Activation, lorebook_id: str, entry: CompiledEntry) -> TraceTimers | None:
    timer = activation.moment.timers.get((lorebook_id, entry.entry_id))
    sticky_until = None if timer is None else timer.sticky_until
    cooldown_until = None if timer is None else timer.cooldown_until
    if sticky_until is None and cooldown_until is None and not entry.delay:
        return None
    return TraceTimers(sticky_until, cooldown_until, entry.delay or None)


def _timeouts(activation: Activation, ref: EntryRef, entry: CompiledEntry) -> list[str]:
    slots = dict.fromkeys((*entry.primary, *entry.secondary))
    return [message for slot in slots if (message := activation.timeouts.get((ref[0], slot))) is not None]


def _secondary(entry: CompiledEntry, decision: Decision) -> TraceSecondary | None:
    if decision.secondary is None or decision.secondary_passed is None:
        return None
    matched = [entry.secondary_keywords[index].written for index in decision.secondary]
    return TraceSecondary(entry.logic.value, matched, decision.secondary_passed)


def _key(activation: Activation, entry: CompiledEntry, decision: Decision) -> TraceKey | None:
    if decision.keyword is None:
        return _unchecked_key(activation, entry, decision)
    keyword = entry.keywords[decision.keyword]
    scan = activation.recursion if decision.in_recursion else activation.inputs.window(entry.scan_depth)
    return TraceKey(keyword.written, excerpt_around(keyword, scan))


def _unchecked_key(activation: Activation, entry: CompiledEntry, decision: Decision) -> TraceKey | None:
    """For an entry cut unchecked because the caps were full: its first keyword found in the
    scan inputs, which made it a candidate."""
    if decision.reason is not TraceReason.CAP or entry.constant:
        return None
    scan = activation.inputs.window(entry.scan_depth)
    for keyword in entry.keywords:
        excerpt = excerpt_around(keyword, scan)
        if excerpt:
            return TraceKey(keyword.written, excerpt)
    return None


def excerpt_around(keyword: Keyword, scan: ScanText) -> str:
    """The text around the keyword's first match in `scan`, whitespace collapsed, with `…`
    where it was cut; empty when it cannot be found again (a regex that ran out of time)."""
    found = _first_match(keyword, scan)
    if found is None:
        return ""
    text, start, end = found
    left, right = max(0, start - EXCERPT_CONTEXT), min(len(text), end + EXCERPT_CONTEXT)
    if left > 0:  # start at a word, not inside one
        space = text.find(" ", left, start)
        left = left if space < 0 else space + 1
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = right if space < 0 else space
    excerpt = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + excerpt + ("…" if right < len(text) else "")


def _first_match(keyword: Keyword, scan: ScanText) -> tuple[str, int, int] | None:
    """(text, start, end) of the first match; the text is the original unless lower-casing
    changed its length (then positions only hold in the lower-cased copy)."""
    if keyword.kind is KeyKind.REGEX:
        assert keyword.pattern is not None
        try:
            match = regex_search(keyword.pattern, scan.text)
        except RegexTimeout:
            return None
        return None if match is None else (scan.text, match.start(), match.end())
    if keyword.kind is KeyKind.INVALID:
        return None
    found = find_literal(keyword, scan)
    if found is None:
        return None
    searched, start, end = found
    return (scan.text if len(scan.text) == len(searched) else searched), start, end
