"""The activation of a story's lore for one prompt: which entries its prompt gets, and why.

`activate` is pure: the same lore, scan inputs, timed effects and seed give the same result,
so a recorded turn can be replayed. It goes step by step (README, "Lorebook activation"):

1. Candidates: the always-include entries, the sticky ones, and those whose primary keyword
   occurs in the scan inputs (cut to the entry's scan depth). Disabled entries never are.
2. Each candidate is checked in stored order: delay and cooldown, delay until recursion,
   then (unless always-include or sticky) its primary keywords and secondary logic.
3. Inclusion groups keep one entry per group (sticky, else override, else the best scores
   when scoring, else a weighted draw from the seed); then each survivor's probability is
   rolled from the seed (sticky entries do not roll).
4. The survivors are taken in priority order (always-include first, then higher `priority`,
   then higher `insertion_order`, then stored order) until their lorebook's token budget is
   spent or, for lorebooks without a budget, the first 4 always-include / first 8 other
   entries of §12 are taken.
5. With recursive scanning, the content of what was taken is scanned in turn (step 1 over
   it), step by step, until nothing new is taken or the step limit is reached.

The taken entries come out in insertion order (lower first, then stored order): the always-
include ones are `lorebook_base`, the others `lorebook_matched`. Without any settings this is
exactly PROTOCOL §12.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Final, Generic, TypeVar

import attrs

from runtime.lore._compile import CompiledBook, CompiledEntry, StoryLore
from runtime.lore._moment import LoreMoment
from runtime.lore._scan import KeywordHits, LoreScan, ScanText
from runtime.model.lore import GroupDecision, TraceBudget, TraceGroup, TraceReason
from runtime.model.lorebooks import LorebookEntry, SecondaryLogic

BASE_ENTRY_LIMIT: Final = 4
"""How many always-include entries a prompt gets from lorebooks without a token budget (§12)."""

MATCHED_ENTRY_LIMIT: Final = 8
"""How many other entries a prompt gets from lorebooks without a token budget (§12)."""

EntryRef = tuple[int, int]
"""(index of the lorebook in the story's lore, position of the entry in its lorebook)."""

_PASSED: Final = frozenset({TraceReason.CONSTANT, TraceReason.KEYWORD, TraceReason.STICKY})

EntryT = TypeVar("EntryT")


@attrs.frozen
class LoreMatches(Generic[EntryT]):
    """The entries one prompt gets: `base` (always included) and `matched` (by keyword)."""

    base: list[EntryT]
    matched: list[EntryT]


@attrs.define
class Decision:
    """What the activation found about one entry it looked at.

    `keyword` is the index of the primary keyword that matched (`in_recursion`: in recursed
    content, not in the scan inputs); `secondary` the indexes of the secondary keywords found.
    `final`: nothing later can change it (activated, or cut for good).
    """

    reason: TraceReason
    level: int
    keyword: int | None = None
    in_recursion: bool = False
    secondary: tuple[int, ...] | None = None
    secondary_passed: bool | None = None
    roll: float | None = None
    groups: list[TraceGroup] = attrs.Factory(list)
    budget: TraceBudget | None = None
    activated: bool = False
    final: bool = False


@attrs.frozen(eq=False)
class Activation:
    """One prompt's activation: the decisions about every entry looked at, the entries taken
    (`base`, `matched`, each in insertion order), and what was scanned."""

    lore: StoryLore
    moment: LoreMoment
    inputs: ScanText
    recursion: ScanText
    decisions: Mapping[EntryRef, Decision]
    base: tuple[EntryRef, ...]
    matched: tuple[EntryRef, ...]
    recursion_steps: int
    timeouts: Mapping[tuple[int, int], str]

    def entry(self, ref: EntryRef) -> CompiledEntry:
        return self.lore.books[ref[0]].entries[ref[1]]

    def matches(self) -> LoreMatches[LorebookEntry]:
        return LoreMatches(
            base=[self.entry(ref).entry for ref in self.base],
            matched=[self.entry(ref).entry for ref in self.matched],
        )


def activate(lore: StoryLore, scan: LoreScan, moment: LoreMoment) -> Activation:
    """Which entries of `lore` one prompt gets (see the module docstring). Never raises."""
    run = _Run.start(lore, ScanText.of(scan), moment)
    run.take_level(run.first_candidates())
    run.recurse()
    return run.result()


def unit_draw(seed: int, *parts: object) -> float:
    """A number in [0, 1) that depends only on the seed and the parts (the same on every platform)."""
    text = "\x1f".join([str(seed), *(str(part) for part in parts)])
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def probability_roll(seed: int, lorebook_id: str, entry_id: str) -> float:
    """The entry's roll in [0, 100) for `seed`: it activates when the roll is below its chance."""
    return unit_draw(seed, "probability", lorebook_id, entry_id) * 100


@attrs.define
class _Run:
    """The state of one activation while it runs; owned by `activate`."""

    lore: StoryLore
    moment: LoreMoment
    inputs: ScanText
    input_hits: list[KeywordHits]
    recursion_hits: dict[int, KeywordHits] = attrs.Factory(dict)
    recursion_text: ScanText = attrs.Factory(lambda: ScanText.joined([]))
    decisions: dict[EntryRef, Decision] = attrs.Factory(dict)
    taken: list[EntryRef] = attrs.Factory(list)
    filled_groups: dict[str, EntryRef] = attrs.Factory(dict)
    taken_base: int = 0
    taken_matched: int = 0
    budget_used: dict[int, int] = attrs.Factory(dict)
    recursed_contents: list[str] = attrs.Factory(list)
    new_content: bool = False
    level: int = 0

    @classmethod
    def start(cls, lore: StoryLore, inputs: ScanText, moment: LoreMoment) -> _Run:
        hits = [KeywordHits.find(book.slots, book.searches, inputs) for book in lore.books]
        return cls(lore, moment, inputs, hits)

    # -- lookups ------------------------------------------------------------------------

    def book(self, ref: EntryRef) -> CompiledBook:
        return self.lore.books[ref[0]]

    def entry(self, ref: EntryRef) -> CompiledEntry:
        return self.lore.books[ref[0]].entries[ref[1]]

    def settled(self, ref: EntryRef) -> bool:
        decision = self.decisions.get(ref)
        return decision is not None and decision.final

    # -- candidates ---------------------------------------------------------------------

    def first_candidates(self) -> list[EntryRef]:
        """Always-include, sticky and keyword-hit entries (step 1), in stored order."""
        refs: set[EntryRef] = set()
        for index, book in enumerate(self.lore.books):
            refs.update((index, position) for position in book.constants)
            refs.update(self._keyword_candidates(index, book, self.input_hits[index]))
            refs.update((index, position) for position, entry in self._sticky_entries(book))
        return sorted(refs)

    def _keyword_candidates(self, index: int, book: CompiledBook, hits: KeywordHits) -> set[EntryRef]:
        refs = {(index, position) for slot in hits.present for position in book.entries_by_primary.get(slot, ())}
        refs.update((index, position) for position in book.regex_entries)
        return refs

    def _sticky_entries(self, book: CompiledBook) -> list[tuple[int, CompiledEntry]]:
        found = []
        for lorebook_id, entry_id in self.moment.timers:
            position = book.positions.get(entry_id)
            if lorebook_id != book.lorebook_id or position is None:
                continue
            entry = book.entries[position]
            if entry.enabled and self.moment.sticky((lorebook_id, entry_id)):
                found.append((position, entry))
        return found

    # -- one level ----------------------------------------------------------------------

    def take_level(self, candidates: Sequence[EntryRef]) -> None:
        """Steps 2–4 for the candidates of the current level."""
        passed = []
        for ref in candidates:
            if self.settled(ref):
                continue
            decision = self._check(ref)
            self.decisions[ref] = decision
            if decision.reason in _PASSED:
                passed.append(ref)
        survivors = [ref for ref in self._resolve_groups(passed) if self._roll_passes(ref)]
        for ref in sorted(survivors, key=self._priority):
            self._take_or_cut(ref)

    def _check(self, ref: EntryRef) -> Decision:
        entry, level, moment = self.entry(ref), self.level, self.moment
        if moment.timers and moment.sticky(entry.key):
            return Decision(TraceReason.STICKY, level)
        if moment.turn <= entry.delay:
            return Decision(TraceReason.DELAY, level, final=True)
        if moment.timers and moment.cooling_down(entry.key):
            return Decision(TraceReason.COOLDOWN, level, final=True)
        if entry.delay_until_recursion > level:
            return Decision(TraceReason.DELAY_UNTIL_RECURSION, level)
        if entry.constant:
            return Decision(TraceReason.CONSTANT, level)
        return self._check_keywords(ref[0], entry)

    def _check_keywords(self, book: int, entry: CompiledEntry) -> Decision:
        keyword, where = None, None
        for index, slot in enumerate(entry.primary):
            where = self._where(book, entry, slot)
            if where is not None:
                keyword = index
                break
        if keyword is None:
            return Decision(TraceReason.NO_KEYWORD_MATCH, self.level)
        decision = Decision(TraceReason.KEYWORD, self.level, keyword, in_recursion=where == "recursion")
        if entry.uses_secondary:
            present = tuple(i for i, slot in enumerate(entry.secondary) if self._where(book, entry, slot))
            decision.secondary = present
            decision.secondary_passed = _secondary_logic_holds(entry.logic, len(present), len(entry.secondary))
            if not decision.secondary_passed:
                decision.reason = TraceReason.SECONDARY_LOGIC
        return decision

    def _where(self, book: int, entry: CompiledEntry, slot: int) -> str | None:
        """Where the keyword slot occurs for this entry: "inputs", "recursion" or None."""
        if self.input_hits[book].occurs(slot, entry.scan_depth):
            return "inputs"
        recursed = self.recursion_hits.get(book)
        if recursed is not None and not entry.exclude_recursion and recursed.occurs(slot, None):
            return "recursion"
        return None

    def _priority(self, ref: EntryRef) -> tuple[int, int, int, EntryRef]:
        """Step 4's order: always-include first, then higher priority, then higher insertion order."""
        entry = self.entry(ref)
        return (0 if entry.constant else 1, -entry.priority, -entry.insertion_order, ref)

    # -- groups and probability ---------------------------------------------------------

    def _resolve_groups(self, passed: list[EntryRef]) -> list[EntryRef]:
        alive = dict.fromkeys(passed)
        by_group: dict[str, list[EntryRef]] = {}
        for ref in passed:
            for group in self.entry(ref).groups:
                by_group.setdefault(group, []).append(ref)
        for name in sorted(by_group):
            members = [ref for ref in by_group[name] if ref in alive]
            if not members:
                continue
            winner, decided_by, scores = self._group_winner(name, members)
            for ref in members:
                decision = self.decisions[ref]
                decision.groups.append(TraceGroup(name, self._label(winner), decided_by, scores.get(ref)))
                if ref != winner:
                    decision.reason, decision.final = TraceReason.GROUP, True
                    del alive[ref]
        return list(alive)

    def _group_winner(self, name: str, members: list[EntryRef]) -> tuple[EntryRef, GroupDecision, dict[EntryRef, int]]:
        filled = self.filled_groups.get(name)
        if filled is not None:
            return filled, GroupDecision.ALREADY_FILLED, {}
        if len(members) == 1:
            return members[0], GroupDecision.ONLY_CANDIDATE, {}
        sticky = [ref for ref in members if self.decisions[ref].reason is TraceReason.STICKY]
        if sticky:
            return min(sticky, key=self._priority), GroupDecision.STICKY, {}
        overrides = [ref for ref in members if self.entry(ref).group_override]
        if overrides:
            return min(overrides, key=self._priority), GroupDecision.OVERRIDE, {}
        scores: dict[EntryRef, int] = {}
        contenders = members
        if any(self.entry(ref).group_scoring for ref in members):
            scores = {ref: self._score(ref) for ref in members}
            best = max(scores.values())
            contenders = [ref for ref in members if not self.entry(ref).group_scoring or scores[ref] == best]
            if len(contenders) == 1:
                return contenders[0], GroupDecision.SCORE, scores
        return self._draw(name, contenders), GroupDecision.WEIGHT, scores

    def _score(self, ref: EntryRef) -> int:
        """Group scoring: how many primary keywords occur, plus the secondary ones found when
        the logic asks for them (`and_any`, `and_all`)."""
        entry, decision = self.entry(ref), self.decisions[ref]
        score = sum(1 for slot in entry.primary if self._where(ref[0], entry, slot))
        if decision.secondary and entry.logic in (SecondaryLogic.AND_ANY, SecondaryLogic.AND_ALL):
            score += len(decision.secondary)
        return score

    def _draw(self, name: str, contenders: list[EntryRef]) -> EntryRef:
        """A draw weighted by `group_weight`, from the seed, the level and the group's name."""
        point = unit_draw(self.moment.seed, "group", self.level, name) * sum(
            self.entry(ref).group_weight for ref in contenders
        )
        for ref in contenders:
            point -= self.entry(ref).group_weight
            if point < 0:
                return ref
        return contenders[-1]

    def _roll_passes(self, ref: EntryRef) -> bool:
        entry, decision = self.entry(ref), self.decisions[ref]
        if decision.reason is TraceReason.STICKY or entry.chance >= 100:
            return True
        decision.roll = probability_roll(self.moment.seed, *entry.key)
        if decision.roll < entry.chance:
            return True
        decision.reason, decision.final = TraceReason.PROBABILITY, True
        return False

    # -- taking -------------------------------------------------------------------------

    def _take_or_cut(self, ref: EntryRef) -> None:
        book, entry, decision = self.book(ref), self.entry(ref), self.decisions[ref]
        cut = self._cut_reason(ref, book, entry, decision)
        decision.final = True
        if cut is not None:
            decision.reason = cut
            return
        decision.activated = True
        self.taken.append(ref)
        for group in entry.groups:
            self.filled_groups.setdefault(group, ref)
        if book.recursive and not entry.prevent_recursion:
            self.recursed_contents.append(entry.entry.content)
            self.new_content = True

    def _cut_reason(
        self, ref: EntryRef, book: CompiledBook, entry: CompiledEntry, decision: Decision
    ) -> TraceReason | None:
        """Take the entry's place (budget or cap) and return None, or say why there is none."""
        if book.token_budget is not None:
            if entry.ignore_budget:
                return None
            used = self.budget_used.get(ref[0], 0)
            decision.budget = TraceBudget(entry.tokens, used, book.token_budget)
            if used + entry.tokens > book.token_budget:
                return TraceReason.BUDGET
            self.budget_used[ref[0]] = used + entry.tokens
            return None
        if entry.constant:
            if self.taken_base >= BASE_ENTRY_LIMIT:
                return TraceReason.CAP
            self.taken_base += 1
            return None
        if self.taken_matched >= MATCHED_ENTRY_LIMIT:
            return TraceReason.CAP
        self.taken_matched += 1
        return None

    # -- recursion ----------------------------------------------------------------------

    def recurse(self) -> None:
        """Step 5: scan what was taken, level after level."""
        while self._may_go_deeper():
            self.level += 1
            self.new_content = False
            self.recursion_text = ScanText.joined([(content, 0) for content in self.recursed_contents])
            candidates: set[EntryRef] = set()
            for index, book in enumerate(self.lore.books):
                if not self._recursing(book):
                    continue
                hits = KeywordHits.find(book.slots, book.searches, self.recursion_text)
                self.recursion_hits[index] = hits
                found = self._keyword_candidates(index, book, hits)
                candidates.update(ref for ref in found if not self.entry(ref).exclude_recursion)
                candidates.update(self._waiting(index))
            self.take_level(sorted(candidates))

    def _recursing(self, book: CompiledBook) -> bool:
        """Whether the book's entries may activate at the next level."""
        limit = book.max_recursion_steps
        return book.recursive and (limit is None or self.level <= limit)

    def _waiting(self, index: int) -> list[EntryRef]:
        """Entries of the book looked at before and not settled: their secondary logic or their
        delay until recursion may hold now."""
        waiting = (TraceReason.SECONDARY_LOGIC, TraceReason.DELAY_UNTIL_RECURSION)
        return [ref for ref, d in self.decisions.items() if ref[0] == index and not d.final and d.reason in waiting]

    def _may_go_deeper(self) -> bool:
        recursive = [book for book in self.lore.books if book.recursive]
        if not recursive:
            return False
        limits = [book.max_recursion_steps for book in recursive]
        if None not in limits and self.level >= max(limit for limit in limits if limit is not None):
            return False
        if self.new_content:
            return True
        return any(
            decision.reason is TraceReason.DELAY_UNTIL_RECURSION
            and self.entry(ref).delay_until_recursion > self.level
            and self.book(ref).recursive
            for ref, decision in self.decisions.items()
        )

    # -- result -------------------------------------------------------------------------

    def _label(self, ref: EntryRef) -> str:
        lorebook_id, entry_id = self.entry(ref).key
        return f"{lorebook_id}/{entry_id}"

    def result(self) -> Activation:
        ordered = sorted(self.taken, key=lambda ref: (self.entry(ref).insertion_order, ref))
        timeouts = {
            (index, slot): message
            for index, hits in [*enumerate(self.input_hits), *self.recursion_hits.items()]
            for slot, message in hits.timeouts.items()
        }
        return Activation(
            lore=self.lore,
            moment=self.moment,
            inputs=self.inputs,
            recursion=self.recursion_text,
            decisions=self.decisions,
            base=tuple(ref for ref in ordered if self.entry(ref).constant),
            matched=tuple(ref for ref in ordered if not self.entry(ref).constant),
            recursion_steps=self.level,
            timeouts=timeouts,
        )


def _secondary_logic_holds(logic: SecondaryLogic, present: int, total: int) -> bool:
    if logic is SecondaryLogic.AND_ANY:
        return present > 0
    if logic is SecondaryLogic.AND_ALL:
        return present == total
    if logic is SecondaryLogic.NOT_ANY:
        return present == 0
    return present < total  # NOT_ALL
