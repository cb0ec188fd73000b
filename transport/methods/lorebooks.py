"""Registrations of `lorebook.*` and `lorebook_entry.*`, with the lorebook file import and export
extensions (their files also travel on the binary routes, `transport.files`)."""

from __future__ import annotations

from runtime.model import lore, lorebook_files
from runtime.model import lorebooks as model
from runtime.services import lorebook_export, lorebook_import, lorebooks
from runtime.services.lore_dry_runs import dry_run_lore
from transport.registry import Call, Method, NoParams, SessionUse, forward, forward_without_params


async def _dry_run(call: Call, params: lore.LoreDryRunParams) -> lore.LoreDryRun:
    """Which lorebook entries a prompt would get, and why, without playing a turn or changing anything."""
    return await dry_run_lore(call.services, params, call.session_id)


METHODS = [
    Method(
        "lorebook.create",
        model.LorebookCreateParams,
        "lorebook",
        model.SavedLorebook,
        forward(lorebooks.create_lorebook),
    ),
    Method("lorebook.get", model.LorebookIdParams, "lorebook", model.Lorebook, forward(lorebooks.get_lorebook)),
    Method(
        "lorebook.list",
        NoParams,
        "lorebooks_listed",
        model.LorebooksListed,
        forward_without_params(lorebooks.list_lorebooks),
    ),
    Method(
        "lorebook.update",
        model.LorebookUpdateParams,
        "lorebook",
        model.SavedLorebook,
        forward(lorebooks.update_lorebook),
    ),
    Method(
        "lorebook.delete",
        model.LorebookIdParams,
        "lorebook_deleted",
        model.LorebookDeleted,
        forward(lorebooks.delete_lorebook),
    ),
    Method(
        "lorebook_entry.create",
        model.LorebookEntryCreateParams,
        "lorebook_entry",
        model.SavedLorebookEntry,
        forward(lorebooks.create_lorebook_entry),
    ),
    Method(
        "lorebook_entry.get",
        model.LorebookEntryIdParams,
        "lorebook_entry",
        model.LorebookEntry,
        forward(lorebooks.get_lorebook_entry),
    ),
    Method(
        "lorebook_entry.list",
        model.LorebookIdParams,
        "lorebook_entries_listed",
        model.LorebookEntriesListed,
        forward(lorebooks.list_lorebook_entries),
    ),
    Method(
        "lorebook_entry.update",
        model.LorebookEntryUpdateParams,
        "lorebook_entry",
        model.SavedLorebookEntry,
        forward(lorebooks.update_lorebook_entry),
    ),
    Method(
        "lorebook_entry.delete",
        model.LorebookEntryIdParams,
        "lorebook_entry_deleted",
        model.LorebookEntryDeleted,
        forward(lorebooks.delete_lorebook_entry),
    ),
    Method(
        "lorebook.dry_run",
        lore.LoreDryRunParams,
        "lorebook_dry_run",
        lore.LoreDryRun,
        _dry_run,
        session=SessionUse.OPTIONAL,
    ),
    Method(
        "lorebook.import",
        lorebook_files.LorebookImportParams,
        "lorebook_imported",
        lorebook_files.LorebookImported,
        forward(lorebook_import.import_book),
    ),
    Method(
        "lorebook.export",
        lorebook_files.LorebookExportParams,
        "lorebook_exported",
        lorebook_files.LorebookExported,
        forward(lorebook_export.export_book),
    ),
]
