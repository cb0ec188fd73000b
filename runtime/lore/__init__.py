"""Lorebook matching (PROTOCOL §12, extended: README "Lorebook activation") and the rendering of
the matches (§11.2): compiled lorebooks, the activation of one prompt, its trace, and what a
turn's activations leave behind (fired entries, timed effects). Pure; no I/O."""

from collections.abc import Iterable
from typing import TypeVar

from runtime.lore._activate import BASE_ENTRY_LIMIT as BASE_ENTRY_LIMIT
from runtime.lore._activate import MATCHED_ENTRY_LIMIT as MATCHED_ENTRY_LIMIT
from runtime.lore._activate import Activation as Activation
from runtime.lore._activate import LoreMatches as LoreMatches
from runtime.lore._activate import activate as activate
from runtime.lore._activate import probability_roll as probability_roll
from runtime.lore._compile import COMPILED_LOREBOOKS as COMPILED_LOREBOOKS
from runtime.lore._compile import CompiledBook as CompiledBook
from runtime.lore._compile import StoryLore as StoryLore
from runtime.lore._compile import compile_lorebook as compile_lorebook
from runtime.lore._compile import keyword_warnings as keyword_warnings
from runtime.lore._compile import story_lore as story_lore
from runtime.lore._moment import ActivationLog as ActivationLog
from runtime.lore._moment import LoreMoment as LoreMoment
from runtime.lore._render import CHARACTERS_PER_TOKEN as CHARACTERS_PER_TOKEN
from runtime.lore._render import RENDERED_CONTENT_LIMIT as RENDERED_CONTENT_LIMIT
from runtime.lore._render import LoreEntry as LoreEntry
from runtime.lore._render import estimate_tokens as estimate_tokens
from runtime.lore._render import render_lore_entries as render_lore_entries
from runtime.lore._rules import normal_activation as normal_activation
from runtime.lore._rules import normal_lorebook as normal_lorebook
from runtime.lore._rules import normal_settings as normal_settings
from runtime.lore._scan import LoreScan as LoreScan
from runtime.lore._trace import trace_activation as trace_activation
from runtime.lore._turn import TurnLore as TurnLore
from runtime.lore._turn import advance_timers as advance_timers
from runtime.lore._turn import summarize_turn as summarize_turn
from runtime.model.lore import LoreTrace
from runtime.model.lorebooks import LorebookEntry

EntryT = TypeVar("EntryT", bound=LoreEntry)


def select_lore(lore: StoryLore, scan: LoreScan, moment: LoreMoment) -> LoreMatches[LorebookEntry]:
    """The entries one prompt gets, activated at `moment` (and logged in its log, if any)."""
    activation = activate(lore, scan, moment)
    if moment.log is not None:
        moment.log.record(activation)
    return activation.matches()


def last_trace(log: ActivationLog) -> LoreTrace | None:
    """The trace of the last activation in `log`; None when nothing was activated (no prompt
    read the lore, or the story has no lorebook)."""
    if not log.activations or not log.activations[-1].lore.books:
        return None
    return trace_activation(log.activations[-1])


def match_lore_entries(entries: Iterable[EntryT], match_inputs: Iterable[str]) -> LoreMatches[EntryT]:
    """PROTOCOL §12 over plain entries (settings, if they have any, are not read): the first 4
    enabled always-include entries are `base`, the first 8 enabled entries with a trimmed,
    non-empty keyword that is a substring of the lower-cased, newline-joined non-blank inputs
    are `matched`; the entries given come back, in their order."""
    originals = list(entries)
    plain = [
        LorebookEntry(e.entry_id, e.title, e.content, list(e.keywords), e.enabled, e.always_include) for e in originals
    ]
    activation = activate(story_lore(plain), LoreScan.of(match_inputs), LoreMoment())
    return LoreMatches(
        base=[originals[position] for _, position in activation.base],
        matched=[originals[position] for _, position in activation.matched],
    )
