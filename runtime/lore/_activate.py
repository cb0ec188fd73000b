"""The activation of a story's lore for one prompt: which entries its prompt gets, and why.

`activate` is pure: the same lore, scan inputs, timed effects and seed give the same result,
so a recorded turn can be replayed. It goes step by step (README, "Lorebook activation"):

1. Candidates: the always-include entries, the sticky ones, and those whose primary keyword
   occurs in the scan inputs. Disabled entries never are.
2. The candidates go in priority order: always-include first, then higher `priority`, then
   higher `insertion_order`, then stored order. Each is checked when its turn comes: delay
   and cooldown, delay until recursion, then (unless always-include or sticky) its primary
   keywords within its scan depth and its secondary logic.
3. When the first member of an inclusion group comes up, the group keeps one entry among its
   candidates that pass their checks (sticky, else override, else the best scores when
   scoring, else a weighted draw from the seed). A survivor's probability is rolled from the
   seed (sticky entries do not roll).
4. It is taken if its lorebook's token budget has room or, for lorebooks without a budget,
   while the first 4 always-include / first 8 other entries of §12 are not all taken; once
   both are (and no lorebook has a budget) the remaining candidates are cut unchecked.
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
    groups: list[TraceGroup] | None = None
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
    capped: Mapping[EntryRef, int]  # candidates cut unchecked because the caps were full, by level

    def decision(self, ref: EntryRef) -> Decision | None:
        """What the activation decided about the entry; None when it never looked at it."""
        found = self.decisions.get(ref)
        if found is None and ref in self.capped:
            return Decision(TraceReason.CAP, self.capped[ref], final=True)
        return found

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
    capped: dict[EntryRef, int] = attrs.Factory(dict)  # cut unchecked when the caps were full, by level
    budgeted: bool = False  # some lorebook has a token budget

    @classmethod
    def start(cls, lore: StoryLore, inputs: ScanText, moment: LoreMoment) -> _Run:
        hits = [KeywordHits.find(book.slots, book.search, inputs) for book in lore.books]
        budgeted = any(book.token_budget is not None for book in lore.books)
        return cls(lore, moment, inputs, hits, budgeted=budgeted)

    # -- lookups ------------------------------------------------------------------------

    def book(self, ref: EntryRef) -> CompiledBook:
        return self.lore.books[ref[0]]

    def entry(self, ref: EntryRef) -> CompiledEntry:
        return self.lore.books[ref[0]].entries[ref[1]]

    def settled(self, ref: EntryRef) -> bool:
        decision = self.decisions.get(ref)
        return (decision is not None and decision.final) or ref in self.capped

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
        """Steps 2–4 for the candidates of the current level, in priority order.

        Each candidate is checked when its turn comes; an inclusion group is settled when its
        first member's turn comes (among all its members that pass their checks), and a
        probability is rolled when its entry's turn comes. A candidate whose turn comes when
        the §12 caps are full is cut unchecked: nothing about it could change that. So a prompt
        that matches hundreds of entries of a lorebook without a budget examines a few dozen.
        """
        groups = _Groups.of(candidates, self.lore)
        checked: dict[EntryRef, Decision] = {}
        ranked = sorted(candidates, key=self._priority)
        for index, ref in enumerate(ranked):
            if self._caps_full():
                self.capped.update((rest, self.level) for rest in ranked[index:] if not self.settled(rest))
                return
            if self.settled(ref):
                continue
            if not self._has_room(ref):
                self.decisions[ref] = Decision(TraceReason.CAP, self.level, final=True)
                continue
            decision = self._checked(ref, checked)
            if decision.reason not in _PASSED:
                continue
            names = self.entry(ref).groups
            if names:
                self._settle_groups(groups.unsettled(names), groups, checked)
            if not decision.final and self._roll_passes(ref):
                self._take_or_cut(ref)

    def _settle_groups(self, names: Sequence[str], groups: _Groups, checked: dict[EntryRef, Decision]) -> None:
        """Settle each group among its candidates that are not settled and pass their checks."""
        for name in names:
            live = [
                member
                for member in groups.members[name]
                if not self.settled(member) and self._checked(member, checked).reason in _PASSED
            ]
            if live:  # an entry in two groups may have lost the first already
                self._settle_group(name, live)

    def _checked(self, ref: EntryRef, checked: dict[EntryRef, Decision]) -> Decision:
        """The entry's step-2 decision at this level (checked once)."""
        decision = checked.get(ref)
        if decision is None:
            decision = checked[ref] = self.decisions[ref] = self._check(ref)
        return decision

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

    def _priority(self, ref: EntryRef) -> tuple[tuple[int, int, int], EntryRef]:
        """Step 4's order (`CompiledEntry.rank`, then stored order)."""
        return (self.entry(ref).rank, ref)

    # -- groups and probability ---------------------------------------------------------

    def _caps_full(self) -> bool:
        """Whether nothing more can be taken: no lorebook has a budget and both caps are full."""
        return self.taken_base >= BASE_ENTRY_LIMIT and self.taken_matched >= MATCHED_ENTRY_LIMIT and not self.budgeted

    def _has_room(self, ref: EntryRef) -> bool:
        """Whether the §12 caps leave room for the entry (a budgeted lorebook is checked when taking)."""
        if self.book(ref).token_budget is not None:
            return True
        if self.entry(ref).constant:
            return self.taken_base < BASE_ENTRY_LIMIT
        return self.taken_matched < MATCHED_ENTRY_LIMIT

    def _settle_group(self, name: str, members: list[EntryRef]) -> None:
        """Keep the group's winner among `members`; the others lose for good."""
        winner, decided_by, scores = self._group_winner(name, members)
        for ref in members:
            decision = self.decisions[ref]
            group = TraceGroup(name, self._label(winner), decided_by, scores.get(ref))
            decision.groups = [*(decision.groups or ()), group]
            if ref != winner:
                decision.reason, decision.final = TraceReason.GROUP, True

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
                hits = KeywordHits.find(book.slots, book.search, self.recursion_text)
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
            capped=self.capped,
        )


@attrs.define
class _Groups:
    """The inclusion groups of one level's passed entries: members by name, and which are settled."""

    members: dict[str, list[EntryRef]]
    settled: set[str] = attrs.Factory(set)

    @classmethod
    def of(cls, passed: Sequence[EntryRef], lore: StoryLore) -> _Groups:
        members: dict[str, list[EntryRef]] = {}
        for ref in passed:
            for name in lore.books[ref[0]].entries[ref[1]].groups:
                members.setdefault(name, []).append(ref)
        return cls(members)

    def unsettled(self, names: Sequence[str]) -> list[str]:
        """The names not settled yet, in name order, now marked settled."""
        fresh = sorted(name for name in names if name not in self.settled)
        self.settled.update(fresh)
        return fresh


def _secondary_logic_holds(logic: SecondaryLogic, present: int, total: int) -> bool:
    if logic is SecondaryLogic.AND_ANY:
        return present > 0
    if logic is SecondaryLogic.AND_ALL:
        return present == total
    if logic is SecondaryLogic.NOT_ANY:
        return present == 0
    return present < total  # NOT_ALL
