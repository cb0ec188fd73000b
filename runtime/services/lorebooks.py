"""Lorebooks and their entries: `lorebook.*` and `lorebook_entry.*` (PROTOCOL §6.9).

A lorebook is stored whole, entries inside it in insertion order: that order drives lorebook
matching (§12), so new entries are appended and edits keep an entry in its place. The optional
`settings` / `activation` objects (README, "Lorebook activation") are checked and kept as sent;
an edit that leaves them out keeps them, `{}` removes them. A regex keyword that does not
compile is saved (it never matches) and reported in the answer's `warnings`.
"""

from __future__ import annotations

import attrs
import trio

from runtime.errors import Conflict, NotFound
from runtime.lore import keyword_warnings, normal_activation, normal_lorebook, normal_settings
from runtime.model.lorebooks import (
    Lorebook,
    LorebookCreateParams,
    LorebookDeleted,
    LorebookEntriesListed,
    LorebookEntry,
    LorebookEntryCreateParams,
    LorebookEntryDeleted,
    LorebookEntryIdParams,
    LorebookEntryUpdateParams,
    LorebookIdParams,
    LorebooksListed,
    LorebookUpdateParams,
    SavedLorebook,
    SavedLorebookEntry,
)
from runtime.services._services import Services
from runtime.services._validation import given_changes, require_id
from runtime.store import Cursor, references
from runtime.store.lorebook_sources import LOREBOOK_SOURCES
from runtime.store.lorebooks import LOREBOOKS

_ENTRY_FIELDS = ("title", "content", "keywords", "enabled", "always_include")


async def _saved(lorebook: Lorebook) -> SavedLorebook:
    """The payload of a saved lorebook, with its keyword warnings (compiling every regex
    keyword of a large lorebook takes a while: off the event loop)."""
    warnings = await trio.to_thread.run_sync(keyword_warnings, lorebook)
    return SavedLorebook(**attrs.asdict(lorebook, recurse=False), warnings=warnings or None)


def _saved_entry(entry: LorebookEntry) -> SavedLorebookEntry:
    """The payload of a saved entry, with its keyword warnings (paths from the entry)."""
    warnings = keyword_warnings(Lorebook("", "", [entry]))
    paths = [warning.removeprefix("entries[0].") for warning in warnings]
    return SavedLorebookEntry(**attrs.asdict(entry, recurse=False), warnings=paths or None)


def _with_entry_appended(lorebook: Lorebook, entry: LorebookEntry) -> Lorebook:
    """`lorebook` with `entry` last; Conflict when the lorebook already has its id."""
    if any(existing.entry_id == entry.entry_id for existing in lorebook.entries):
        raise Conflict(f"lorebook '{lorebook.lorebook_id}' already contains entry '{entry.entry_id}'")
    return attrs.evolve(lorebook, entries=[*lorebook.entries, entry])


def _entry_index(lorebook: Lorebook, entry_id: str) -> int:
    """Where the entry sits in the lorebook; NotFound when it is not there."""
    for index, entry in enumerate(lorebook.entries):
        if entry.entry_id == entry_id:
            return index
    raise NotFound(f"lorebook '{lorebook.lorebook_id}' does not contain entry '{entry_id}'")


# -- lorebook ----------------------------------------------------------------------------


async def create_lorebook(services: Services, params: LorebookCreateParams) -> SavedLorebook:
    """Store a lorebook, with its entries and activation settings."""
    lorebook_id = require_id(params.lorebook_id, "lorebook_id")
    entries = [attrs.evolve(entry, entry_id=require_id(entry.entry_id, "entry_id")) for entry in params.entries]
    checked = normal_lorebook(Lorebook(lorebook_id, params.display_name, entries, params.settings), "params")

    def insert(cursor: Cursor) -> Lorebook:
        if LOREBOOKS.exists(cursor, lorebook_id):
            raise Conflict.exists("lorebook", lorebook_id)
        lorebook = attrs.evolve(checked, entries=[])
        for entry in checked.entries:
            lorebook = _with_entry_appended(lorebook, entry)
        LOREBOOKS.insert(cursor, lorebook_id, lorebook)
        return lorebook

    return await _saved(await services.store.write(insert))


async def get_lorebook(services: Services, params: LorebookIdParams) -> Lorebook:
    """One lorebook with its entries."""
    return await services.store.read(lambda cursor: LOREBOOKS.require(cursor, params.lorebook_id))


async def list_lorebooks(services: Services) -> LorebooksListed:
    """Every lorebook, sorted by id."""
    return LorebooksListed(await services.store.read(LOREBOOKS.list))


async def update_lorebook(services: Services, params: LorebookUpdateParams) -> SavedLorebook:
    """Rename a lorebook or change its activation settings.

    Renames and sets the settings; entries change through `lorebook_entry.*`.
    """
    changes = given_changes(params, ("display_name",))
    if params.settings is not None:
        changes["settings"] = normal_settings(params.settings, "params.settings")

    def update(cursor: Cursor) -> Lorebook:
        lorebook = attrs.evolve(LOREBOOKS.require(cursor, params.lorebook_id), **changes)
        LOREBOOKS.update(cursor, params.lorebook_id, lorebook)
        return lorebook

    return await _saved(await services.store.write(update))


async def delete_lorebook(services: Services, params: LorebookIdParams) -> LorebookDeleted:
    """Delete a lorebook (refused while story resources use it)."""
    lorebook_id = params.lorebook_id

    def delete(cursor: Cursor) -> None:
        if references.lorebook_in_story_resources(cursor, lorebook_id):
            raise Conflict(f"lorebook '{lorebook_id}' is still referenced by story resources")
        if not LOREBOOKS.delete(cursor, lorebook_id):
            raise NotFound.record("lorebook", lorebook_id)
        LOREBOOK_SOURCES.delete(cursor, lorebook_id)

    await services.store.write(delete)
    return LorebookDeleted(lorebook_id)


# -- lorebook entry ----------------------------------------------------------------------


async def create_lorebook_entry(services: Services, params: LorebookEntryCreateParams) -> SavedLorebookEntry:
    """Add an entry to a lorebook, after its last one."""
    entry = LorebookEntry(
        entry_id=require_id(params.entry_id, "entry_id"),
        title=params.title,
        content=params.content,
        keywords=params.keywords,
        enabled=params.enabled,
        always_include=params.always_include,
        activation=normal_activation(params.activation, "params.activation"),
    )

    def insert(cursor: Cursor) -> None:
        lorebook = _with_entry_appended(LOREBOOKS.require(cursor, params.lorebook_id), entry)
        LOREBOOKS.update(cursor, params.lorebook_id, lorebook)

    await services.store.write(insert)
    return _saved_entry(entry)


async def get_lorebook_entry(services: Services, params: LorebookEntryIdParams) -> LorebookEntry:
    """One entry of a lorebook."""
    lorebook = await services.store.read(lambda cursor: LOREBOOKS.require(cursor, params.lorebook_id))
    return lorebook.entries[_entry_index(lorebook, params.entry_id)]


async def list_lorebook_entries(services: Services, params: LorebookIdParams) -> LorebookEntriesListed:
    """The entries of a lorebook, in its insertion order."""
    lorebook = await services.store.read(lambda cursor: LOREBOOKS.require(cursor, params.lorebook_id))
    return LorebookEntriesListed(lorebook.lorebook_id, lorebook.entries)


async def update_lorebook_entry(services: Services, params: LorebookEntryUpdateParams) -> SavedLorebookEntry:
    """Change a lorebook entry.

    Omitted fields keep their value; the entry keeps its place in the lorebook.
    """
    changes = given_changes(params, _ENTRY_FIELDS)
    if params.activation is not None:
        changes["activation"] = normal_activation(params.activation, "params.activation")

    def update(cursor: Cursor) -> LorebookEntry:
        lorebook = LOREBOOKS.require(cursor, params.lorebook_id)
        index = _entry_index(lorebook, params.entry_id)
        entry = attrs.evolve(lorebook.entries[index], **changes)
        entries = [*lorebook.entries[:index], entry, *lorebook.entries[index + 1 :]]
        LOREBOOKS.update(cursor, params.lorebook_id, attrs.evolve(lorebook, entries=entries))
        return entry

    return _saved_entry(await services.store.write(update))


async def delete_lorebook_entry(services: Services, params: LorebookEntryIdParams) -> LorebookEntryDeleted:
    """Remove an entry from a lorebook."""

    def delete(cursor: Cursor) -> None:
        lorebook = LOREBOOKS.require(cursor, params.lorebook_id)
        index = _entry_index(lorebook, params.entry_id)
        entries = [*lorebook.entries[:index], *lorebook.entries[index + 1 :]]
        LOREBOOKS.update(cursor, params.lorebook_id, attrs.evolve(lorebook, entries=entries))

    await services.store.write(delete)
    return LorebookEntryDeleted(params.lorebook_id, params.entry_id)
