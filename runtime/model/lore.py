"""Lorebook activation as it travels: the timed-effect state a session keeps, the activation
trace (why each entry did or did not activate), and the `lorebook.dry_run` method's shapes.
All Dramaturg additions (README, "Lorebook activation")."""

from __future__ import annotations

import enum

import attrs

from runtime.model._fields import omittable


@attrs.frozen
class LoreTimer:
    """The timed effects of one entry that fired, in turn numbers (a session's first turn is 1).

    The entry stays active without a keyword through turn `sticky_until`, then cannot fire
    through turn `cooldown_until`. A timer whose turns are all past is dropped.
    """

    lorebook_id: str
    entry_id: str
    sticky_until: int | None = omittable()
    cooldown_until: int | None = omittable()


class TraceReason(enum.Enum):
    """Why an entry did (the first three) or did not activate."""

    CONSTANT = "constant"  # always_include
    KEYWORD = "keyword"  # a primary keyword matched (and the secondary logic held)
    STICKY = "sticky"  # still active from an earlier turn
    DISABLED = "disabled"
    NO_KEYWORD_MATCH = "no_keyword_match"
    SECONDARY_LOGIC = "secondary_logic"
    PROBABILITY = "probability"
    GROUP = "group"  # another entry won an inclusion group it belongs to
    BUDGET = "budget"  # its lorebook's token budget was spent
    CAP = "cap"  # the first 4 always-include / first 8 matched entries were already taken
    COOLDOWN = "cooldown"
    DELAY = "delay"
    DELAY_UNTIL_RECURSION = "delay_until_recursion"  # recursion never reached its step


class TraceBucket(enum.Enum):
    """Which context value an activated entry is rendered in."""

    BASE = "base"  # lorebook_base
    MATCHED = "matched"  # lorebook_matched


class GroupDecision(enum.Enum):
    """How an inclusion group's winner was chosen."""

    ONLY_CANDIDATE = "only_candidate"
    STICKY = "sticky"  # a sticky entry keeps its group
    OVERRIDE = "override"  # a `group_override` entry wins (the highest priority, then order, of them)
    SCORE = "score"  # group scoring left one entry with the best score
    WEIGHT = "weight"  # a weighted draw from the seed
    ALREADY_FILLED = "already_filled"  # an entry of the group activated in an earlier recursion step


@attrs.frozen
class TraceKey:
    """The keyword that matched and the text around its first match."""

    keyword: str
    excerpt: str


@attrs.frozen
class TraceSecondary:
    """The secondary keywords' result: which of them matched, and whether the logic held."""

    logic: str
    matched: list[str]
    passed: bool


@attrs.frozen
class TraceProbability:
    """The entry's chance in percent and the seeded roll in [0, 100); it passes when roll < chance."""

    chance: int
    roll: float
    passed: bool


@attrs.frozen
class TraceGroup:
    """One inclusion group the entry took part in; `winner` is `lorebook_id/entry_id`."""

    group: str
    winner: str
    decided_by: GroupDecision
    score: int | None = omittable()


@attrs.frozen
class TraceBudget:
    """The entry's estimated tokens against its lorebook's budget (used before it was considered)."""

    tokens: int
    used: int
    limit: int


@attrs.frozen
class TraceTimers:
    """The entry's timed effects as the activation read them (`delay` from its settings)."""

    sticky_until: int | None = omittable()
    cooldown_until: int | None = omittable()
    delay: int | None = omittable()


@attrs.frozen
class LoreTraceEntry:
    """One entry of the activation: activated or not, and why."""

    lorebook_id: str
    entry_id: str
    title: str
    activated: bool
    reason: TraceReason
    bucket: TraceBucket | None = omittable()
    recursion_level: int | None = omittable()  # 0: the scan inputs; n: the n-th recursion step
    key: TraceKey | None = omittable()
    secondary: TraceSecondary | None = omittable()
    probability: TraceProbability | None = omittable()
    groups: list[TraceGroup] | None = omittable()
    budget: TraceBudget | None = omittable()
    timers: TraceTimers | None = omittable()
    warnings: list[str] | None = omittable()


@attrs.frozen
class LoreEntryRef:
    lorebook_id: str
    entry_id: str


@attrs.frozen
class LoreTrace:
    """One activation: the seed and turn it ran with, how many recursion scans ran (the last
    one may find nothing new), the entries it activated in prompt order (the base entries, then
    the matched ones), and every entry of the lorebooks in stored order."""

    seed: int
    turn: int
    recursion_steps: int
    activated: list[LoreEntryRef]
    entries: list[LoreTraceEntry]


@attrs.frozen
class LoreDryRunParams:
    """Exactly one source: `lorebook_ids`, `story_id`, or the envelope `session_id`.

    `text` is scanned as the player's input; `history` (oldest first, not with a session,
    whose own history is used) is cut to the scan depths. `seed` replays a recorded activation.
    """

    lorebook_ids: list[str] | None = None
    """Match these lorebooks (one source of three: this, `story_id`, or the envelope's session)."""
    story_id: str | None = None
    """Match the lorebooks of this story's resources."""
    text: str | None = None
    """Text scanned as the player's input."""
    history: list[str] | None = None
    """Earlier texts, oldest first, cut to the scan depths (not with a session, whose history is used)."""
    seed: int | None = None
    """The seed of a recorded activation, to replay its probability rolls and group draws."""


@attrs.frozen
class LoreDryRun:
    """The `lorebook_dry_run` payload: what the prompt's lore values would be, and the trace."""

    trace: LoreTrace
    lorebook_base: str | None = omittable()
    lorebook_matched: str | None = omittable()
