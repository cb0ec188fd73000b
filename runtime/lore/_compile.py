"""Lorebooks compiled for matching: every setting resolved, every keyword read, the literal
keywords of a lorebook in one automaton.

Compiling a large lorebook takes milliseconds, a prompt's activation must take less, so a
lorebook is compiled once per version: `COMPILED_LOREBOOKS` keeps the result keyed by the
lorebook id and a digest of its stored JSON (any edit changes the digest). The cache is
process-wide on purpose: its keys are the content itself, so sharing it is always safe.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final, TypeVar

import attrs

from runtime.lore._keys import KeyKind, Keyword, read_keyword
from runtime.lore._render import LoreEntry, clean_keywords, estimate_tokens
from runtime.lore._scan import LiteralSearch
from runtime.model.lorebooks import (
    EntryActivation,
    KeyMode,
    Lorebook,
    LorebookEntry,
    LorebookSettings,
    SecondaryLogic,
)

DEFAULT_INSERTION_ORDER: Final = 100
DEFAULT_GROUP_WEIGHT: Final = 100
MAX_COMPILED_ENTRIES: Final = 200_000
"""Entries kept compiled, all lorebooks together (a 10k-entry lorebook takes about 20 MB);
the least recently used lorebook goes first, and the last one used always stays."""

T = TypeVar("T")

_NO_ACTIVATION = EntryActivation()
_NO_SETTINGS = LorebookSettings()


@attrs.frozen(eq=False)
class CompiledEntry:
    """An entry with its settings resolved (the lorebook's where the entry leaves one unset).

    `primary` / `secondary` are the keyword slots of its keywords, in the order written;
    `keywords` / `secondary_keywords` the keywords themselves.
    """

    position: int
    key: tuple[str, str]  # (lorebook id, entry id): how timers and traces name it
    entry: LorebookEntry
    keywords: tuple[Keyword, ...]
    primary: tuple[int, ...]
    secondary_keywords: tuple[Keyword, ...]
    secondary: tuple[int, ...]
    logic: SecondaryLogic
    uses_secondary: bool
    insertion_order: int
    priority: int
    chance: int  # percent; 100 when probability is off
    groups: tuple[str, ...]
    group_weight: int
    group_override: bool
    group_scoring: bool
    exclude_recursion: bool
    prevent_recursion: bool
    delay_until_recursion: int
    scan_depth: int | None
    sticky: int
    cooldown: int
    delay: int
    ignore_budget: bool
    tokens: int
    rank: tuple[int, int, int]  # its place when too many activate: always-include first, then
    # higher priority, then higher insertion order (stored order breaks the ties)

    @property
    def entry_id(self) -> str:
        return self.entry.entry_id

    @property
    def constant(self) -> bool:
        return self.entry.always_include

    @property
    def enabled(self) -> bool:
        return self.entry.enabled


@attrs.frozen(eq=False)
class CompiledBook:
    """A lorebook ready for matching. `slots` is the table of distinct keywords; `search`
    finds its literal slots; `entries_by_primary` lists, per literal slot, the enabled entries
    that have it as a primary keyword; `regex_entries` the enabled entries with a regex one."""

    lorebook: Lorebook
    scan_depth: int | None
    token_budget: int | None
    recursive: bool
    max_recursion_steps: int | None
    entries: tuple[CompiledEntry, ...]
    slots: tuple[Keyword, ...]
    search: LiteralSearch | None
    entries_by_primary: dict[int, tuple[int, ...]]
    regex_entries: tuple[int, ...]
    constants: tuple[int, ...]
    positions: dict[str, int]

    @property
    def lorebook_id(self) -> str:
        return self.lorebook.lorebook_id


@attrs.frozen(eq=False)
class StoryLore:
    """A story's active lorebooks, compiled, in `lorebook_ids` order (PROTOCOL §12)."""

    books: tuple[CompiledBook, ...] = ()

    def __iter__(self) -> Iterator[LorebookEntry]:
        """The entries of every lorebook, lorebook by lorebook, each in stored order."""
        return (entry.entry for book in self.books for entry in book.entries)

    def __len__(self) -> int:
        return sum(len(book.entries) for book in self.books)

    def find(self, lorebook_id: str, entry_id: str) -> CompiledEntry | None:
        """The entry `entry_id` of the first lorebook `lorebook_id`; None when there is none."""
        for book in self.books:
            if book.lorebook_id == lorebook_id:
                position = book.positions.get(entry_id)
                return None if position is None else book.entries[position]
        return None


def story_lore(value: StoryLore | Iterable[LoreEntry]) -> StoryLore:
    """`value` when it is compiled lore; plain entries are compiled as one lorebook without
    settings (and without an id), which matches exactly as PROTOCOL §12 says."""
    if isinstance(value, StoryLore):
        return value
    entries = [_as_stored_entry(entry) for entry in value]
    if not entries:
        return StoryLore()
    return StoryLore((compile_lorebook(Lorebook("", "", entries)),))


def _as_stored_entry(entry: LoreEntry) -> LorebookEntry:
    if isinstance(entry, LorebookEntry):
        return entry
    return LorebookEntry(
        entry.entry_id, entry.title, entry.content, list(entry.keywords), entry.enabled, entry.always_include
    )


# -- compiling -----------------------------------------------------------------------------


def compile_lorebook(lorebook: Lorebook) -> CompiledBook:
    """`lorebook` compiled (never raises: an invalid regex keyword just never matches)."""
    settings = lorebook.settings or _NO_SETTINGS
    table = _SlotTable()
    entries = tuple(
        _compile_entry(lorebook.lorebook_id, index, entry, settings, table)
        for index, entry in enumerate(lorebook.entries)
    )
    enabled = [entry for entry in entries if entry.enabled]
    by_primary: dict[int, list[int]] = {}
    for entry in enabled:
        for slot in dict.fromkeys(entry.primary):
            if table.slots[slot].kind is KeyKind.LITERAL:
                by_primary.setdefault(slot, []).append(entry.position)
    literal = [(slot, keyword) for slot, keyword in enumerate(table.slots) if keyword.kind is KeyKind.LITERAL]
    return CompiledBook(
        lorebook=lorebook,
        scan_depth=settings.scan_depth,
        token_budget=settings.token_budget,
        recursive=bool(settings.recursive_scanning),
        max_recursion_steps=settings.max_recursion_steps,
        entries=entries,
        slots=tuple(table.slots),
        search=LiteralSearch.build(literal),
        entries_by_primary={slot: tuple(positions) for slot, positions in by_primary.items()},
        regex_entries=tuple(
            e.position for e in enabled if any(table.slots[s].kind is KeyKind.REGEX for s in e.primary)
        ),
        constants=tuple(entry.position for entry in enabled if entry.constant),
        positions={entry.entry_id: entry.position for entry in entries},
    )


@attrs.define
class _SlotTable:
    """Distinct keywords get one slot each, so a keyword shared by many entries is searched once."""

    slots: list[Keyword] = attrs.Factory(list)
    _by_identity: dict[tuple[object, ...], int] = attrs.Factory(dict)

    def slot_of(self, keyword: Keyword) -> int:
        slot = self._by_identity.get(keyword.identity)
        if slot is None:
            slot = self._by_identity[keyword.identity] = len(self.slots)
            self.slots.append(keyword)
        return slot


def _compile_entry(
    lorebook_id: str, position: int, entry: LorebookEntry, book: LorebookSettings, table: _SlotTable
) -> CompiledEntry:
    settings = entry.activation or _NO_ACTIVATION
    read = _keyword_reader(settings, book)
    primary = read(entry.keywords)
    secondary = read(settings.secondary_keywords or [])
    insertion_order = _setting(settings.insertion_order, None, DEFAULT_INSERTION_ORDER)
    priority = settings.priority or 0
    return CompiledEntry(
        position=position,
        key=(lorebook_id, entry.entry_id),
        entry=entry,
        keywords=primary,
        primary=tuple(table.slot_of(keyword) for keyword in primary),
        secondary_keywords=secondary,
        secondary=tuple(table.slot_of(keyword) for keyword in secondary),
        logic=settings.secondary_logic or SecondaryLogic.AND_ANY,
        uses_secondary=bool(secondary) and settings.selective is not False,
        insertion_order=insertion_order,
        priority=priority,
        chance=100 if settings.use_probability is False else _setting(settings.probability, None, 100),
        groups=tuple(name.strip() for name in (settings.group or "").split(",") if name.strip()),
        group_weight=_setting(settings.group_weight, None, DEFAULT_GROUP_WEIGHT),
        group_override=bool(settings.group_override),
        group_scoring=_setting(settings.use_group_scoring, book.use_group_scoring, False),
        exclude_recursion=bool(settings.exclude_recursion),
        prevent_recursion=bool(settings.prevent_recursion),
        delay_until_recursion=settings.delay_until_recursion or 0,
        scan_depth=_setting(settings.scan_depth, book.scan_depth, None),
        sticky=settings.sticky or 0,
        cooldown=settings.cooldown or 0,
        delay=settings.delay or 0,
        ignore_budget=bool(settings.ignore_budget),
        tokens=estimate_tokens(entry),
        rank=(0 if entry.always_include else 1, -priority, -insertion_order),
    )


def _keyword_reader(
    settings: EntryActivation, book: LorebookSettings
) -> Callable[[Sequence[str]], tuple[Keyword, ...]]:
    """How the entry reads its keywords: its key mode, case and whole-word settings."""
    mode = settings.key_mode or KeyMode.LITERAL
    case_sensitive = _setting(settings.case_sensitive, book.case_sensitive, False)
    whole_words = _setting(settings.match_whole_words, book.match_whole_words, False)

    def read(keywords: Sequence[str]) -> tuple[Keyword, ...]:
        return tuple(
            read_keyword(written, mode, case_sensitive=case_sensitive, whole_words=whole_words)
            for written in clean_keywords(keywords)
        )

    return read


def _setting(entry_value: T | None, book_value: T | None, default: T) -> T:
    """The entry's setting, else its lorebook's, else the default."""
    if entry_value is not None:
        return entry_value
    return default if book_value is None else book_value


def keyword_warnings(lorebook: Lorebook) -> list[str]:
    """The invalid regex keywords of `lorebook`, as `entries[i].keywords[j]: …` lines. Reads
    the keywords only (no automaton is built), so it is cheap enough for every save."""
    settings = lorebook.settings or _NO_SETTINGS
    warnings: list[str] = []
    for index, entry in enumerate(lorebook.entries):
        activation = entry.activation or _NO_ACTIVATION
        read = _keyword_reader(activation, settings)
        keywords = (read(entry.keywords), read(activation.secondary_keywords or []))
        warnings += _invalid_keywords(*keywords, prefix=f"entries[{index}].")
    return warnings


def entry_keyword_warnings(entry: CompiledEntry) -> list[str]:
    """The invalid regex keywords of one compiled entry, each with its field path."""
    return _invalid_keywords(entry.keywords, entry.secondary_keywords)


def _invalid_keywords(primary: Sequence[Keyword], secondary: Sequence[Keyword], prefix: str = "") -> list[str]:
    warnings: list[str] = []
    for field, keywords in (("keywords", primary), ("activation.secondary_keywords", secondary)):
        for index, keyword in enumerate(keywords):
            if keyword.kind is KeyKind.INVALID:
                warnings.append(f"{prefix}{field}[{index}]: {keyword.error}; it never matches")
    return warnings


# -- the cache -----------------------------------------------------------------------------


class _CompiledBooks:
    """An LRU of compiled lorebooks keyed by (id, digest of the stored JSON), bounded by the
    entries it holds. Thread-safe: store reads run in worker threads."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._books: OrderedDict[tuple[str, str], CompiledBook] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, lorebook_id: str, stored_json: str, decode: Callable[[str], Lorebook]) -> CompiledBook:
        key = (lorebook_id, hashlib.blake2b(stored_json.encode(), digest_size=16).hexdigest())
        with self._lock:
            book = self._books.get(key)
            if book is not None:
                self._books.move_to_end(key)
                return book
        book = compile_lorebook(decode(stored_json))
        with self._lock:
            self._books[key] = book
            held = sum(len(one.entries) for one in self._books.values())
            while held > self._max_entries and len(self._books) > 1:
                _, dropped = self._books.popitem(last=False)
                held -= len(dropped.entries)
        return book


COMPILED_LOREBOOKS: Final = _CompiledBooks(MAX_COMPILED_ENTRIES)
"""The process's compiled lorebooks; see the module docstring for why it is shared."""
