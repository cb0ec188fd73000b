"""What a snapshot holds: every table an analyst may query, each column described, and what is left out.

One source for three things: the tables copied into a snapshot, the comments written on them
(`duckdb_columns().comment` in the snapshot), and the tables of `docs/analytics.md` (checked by
a test). A table added to the database must be listed here or in LEFT_OUT, or a test fails.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class SnapshotColumn:
    name: str
    description: str
    sql: str | None = None  # how the value is computed from the live table; None: copied as it is


@attrs.frozen
class SnapshotTable:
    name: str
    description: str
    columns: tuple[SnapshotColumn, ...]
    left_out: tuple[str, ...] = ()  # live columns not copied

    def select_list(self) -> str:
        return ", ".join(f"{column.sql} AS {column.name}" if column.sql else column.name for column in self.columns)


def _column(name: str, description: str, sql: str | None = None) -> SnapshotColumn:
    return SnapshotColumn(name, description, sql)


_DOC = "the whole record as JSON, in its wire shape (PROTOCOL §6)"
_CREATED = "creation time, epoch ms (UTC)"
_UPDATED = "last change, epoch ms (UTC)"

SNAPSHOT_TABLES: tuple[SnapshotTable, ...] = (
    SnapshotTable(
        "llm_calls",
        "One row per LLM call: who made it, where it went, its tokens, timings and outcome.",
        (
            _column("call_id", "increasing in the order calls were recorded; never reused"),
            _column("started_at_ms", "when the call's first attempt started, epoch ms (UTC)"),
            _column("agent", "planner, architect, director, actor, narrator, keeper or replyer"),
            _column("api_id", "the stored api the call went to (`apis.api_id`)"),
            _column("provider", "open_ai or anthropic"),
            _column("model", "the model sent with the call"),
            _column("streamed", "whether the answer was streamed"),
            _column("prompt_tokens", "input tokens the provider reported; NULL when it reported none"),
            _column("completion_tokens", "output tokens the provider reported; NULL when it reported none"),
            _column(
                "latency_ms",
                "from the first attempt's start to the end of the last one (streams: to the end of the body)",
            ),
            _column(
                "first_token_ms",
                "time to the first streamed delta; NULL for unary calls and streams that delivered nothing",
            ),
            _column("attempts", "HTTP attempts inside the call (1 + transport retries)"),
            _column(
                "outcome",
                "ok, invalid_output, provider_error, timeout, cancelled, format_warning; error for older failures",
            ),
            _column("error", "the failure's message; NULL when the call succeeded"),
            _column("session_id", "the session whose turn or reply suggestion made the call"),
            _column("turn_index", "the turn the call belonged to (the session's turn index after it)"),
            _column("draft_id", "the story draft whose generation made the call"),
            _column("call_kind", "first, retry (a new call after a failed one) or repair (after invalid output)"),
            _column("structured_output_mode", "how a JSON schema was sent; NULL for free-text agents"),
            _column("max_tokens", "the output limit sent with the call"),
        ),
    ),
    SnapshotTable(
        "turns",
        "One row per turn attempt that got past its setup, completed or failed.",
        (
            _column("session_id", "the session (`sessions.session_id`)"),
            _column("story_id", "the session's story (`stories.story_id`)"),
            _column("turn_index", "the index the turn played: the session's index before it + 1"),
            _column(
                "started_at_ms",
                "when the turn started, epoch ms (UTC); for turns from before this table, when it was stored",
            ),
            _column(
                "duration_ms",
                "from its start to the end of its pipeline (its commit not included); NULL for turns from before this table",
            ),
            _column("outcome", "completed or failed"),
            _column("node_before", "the story node the session was at when the turn started"),
            _column("node_after", "the node a completed turn ended at; NULL for failed turns"),
            _column("failed_stage", "the stage a failed turn stopped at (PROTOCOL §4.8); NULL outside the stages"),
            _column("error_code", "the failed turn's error code (50001, 50002)"),
            _column("error_message", "the failed turn's message, as the client saw it"),
            _column("llm_calls", "LLM calls the turn made, retries and repairs included"),
        ),
    ),
    SnapshotTable(
        "sessions",
        "Play sessions (PROTOCOL §6.15); the transcript is in session_messages.",
        (
            _column("session_id", "`session-N`"),
            _column("story_id", "the story played"),
            _column("player_profile_id", "the player profile, if any"),
            _column("player_schema_id", "the state schema of the player"),
            _column("api_group_id", "the api group the session's agents use"),
            _column("preset_id", "the prompt preset the session's agents use"),
            _column("turn_index", "turns completed"),
            _column("created_at_ms", _CREATED),
            _column("updated_at_ms", _UPDATED),
            _column("doc", _DOC + "; `$.snapshot.world_state` is the current state"),
        ),
    ),
    SnapshotTable(
        "session_messages",
        "Transcript messages, in `sequence` order per session (PROTOCOL §7.9).",
        (
            _column("message_id", "`{session_id}-message-{n}` for messages a turn wrote"),
            _column("session_id", "the session"),
            _column("sequence", "position in the transcript"),
            _column("doc", _DOC + ": kind, turn_index, recorded_at_ms, speaker_id, speaker_name, text"),
        ),
    ),
    SnapshotTable(
        "session_characters",
        "Characters created during a session's turns (PROTOCOL §7.10).",
        (
            _column("session_id", "the session"),
            _column("session_character_id", "the character's id in the session"),
            _column("created_at_ms", _CREATED),
            _column("doc", _DOC),
        ),
    ),
    SnapshotTable(
        "stories",
        "Stories: a graph of nodes the sessions move through (PROTOCOL §6.13, §7.1).",
        (
            _column("story_id", "`story-N`"),
            _column("resource_id", "the story resources it was made from"),
            _column("world_schema_id", "the world state schema"),
            _column("player_schema_id", "the player state schema"),
            _column("created_at_ms", _CREATED),
            _column("updated_at_ms", _UPDATED),
            _column("doc", _DOC + "; `$.display_name`, `$.graph.nodes`"),
        ),
    ),
    SnapshotTable(
        "story_drafts",
        "Stories being generated section by section (PROTOCOL §6.14).",
        (
            _column("draft_id", "`draft-N`"),
            _column("resource_id", "the story resources"),
            _column("api_group_id", "the api group generating it"),
            _column("preset_id", "the prompt preset"),
            _column("created_at_ms", _CREATED),
            _column("updated_at_ms", _UPDATED),
            _column("doc", _DOC),
        ),
    ),
    SnapshotTable(
        "story_resources",
        "Generation inputs: concept, characters, lorebooks (PROTOCOL §6.12).",
        (
            _column("resource_id", "`resource-N`"),
            _column("character_ids", "the characters"),
            _column("lorebook_ids", "the lorebooks"),
            _column("world_schema_id_seed", "the world schema generation starts from"),
            _column("player_schema_id_seed", "the player schema generation starts from"),
            _column("doc", _DOC),
        ),
    ),
    SnapshotTable(
        "characters",
        "Character cards (PROTOCOL §6.11).",
        (
            _column("character_id", "the card's id"),
            _column("schema_id", "the character's state schema"),
            _column("cover_blob_id", "its cover picture (`blobs.blob_id`)"),
            _column("cover_file_name", "the cover's file name"),
            _column("cover_mime_type", "the cover's type"),
            _column("doc", _DOC),
        ),
    ),
    SnapshotTable(
        "blobs",
        "Stored files (cover pictures): their metadata, not their bytes.",
        (
            _column("blob_id", "`blob-N`"),
            _column("file_name", "the file name given at upload"),
            _column("content_type", "the file's MIME type"),
            _column("size_bytes", "the file's size", sql="octet_length(data)"),
            _column("created_at_ms", _CREATED),
        ),
        left_out=("data",),
    ),
    SnapshotTable(
        "apis",
        "LLM connections (PROTOCOL §6.3). Keys are removed.",
        (
            _column("api_id", "the api's id"),
            _column(
                "doc",
                _DOC + " without `api_key`; `$.prices` is the price table, when set",
                sql="json_merge_patch(doc, '{\"api_key\": null}')",
            ),
        ),
    ),
    SnapshotTable(
        "api_groups",
        "Agent-to-api bindings (PROTOCOL §6.4).",
        (
            _column("api_group_id", "the group's id"),
            _column("api_ids", "every api the group binds"),
            _column("doc", _DOC),
        ),
    ),
    SnapshotTable(
        "presets", "Prompt presets (PROTOCOL §6.5).", (_column("preset_id", "the preset's id"), _column("doc", _DOC))
    ),
    SnapshotTable(
        "schemas", "State schemas (PROTOCOL §6.8).", (_column("schema_id", "the schema's id"), _column("doc", _DOC))
    ),
    SnapshotTable(
        "lorebooks",
        "Lorebooks and their entries (PROTOCOL §6.9).",
        (_column("lorebook_id", "the lorebook's id"), _column("doc", _DOC)),
    ),
    SnapshotTable(
        "player_profiles",
        "Player profiles (PROTOCOL §6.10).",
        (_column("player_profile_id", "the profile's id"), _column("doc", _DOC)),
    ),
    SnapshotTable(
        "lore_turns",
        "One row per committed turn of a story with lorebooks: what its lorebook activation started from.",
        (
            _column("session_id", "the session (`sessions.session_id`)"),
            _column("turn_index", "the turn's index"),
            _column("seed", "the seed of the turn's probability rolls and group draws (replays them)"),
            _column("timers", "sticky / cooldown / delay timers as the turn started, JSON; NULL when none"),
            _column("recorded_at_ms", "when the turn was committed, epoch ms (UTC)"),
        ),
    ),
    SnapshotTable(
        "lore_activations",
        "One row per lorebook entry that fired in a committed turn, in any of its prompts.",
        (
            _column("session_id", "the session (`sessions.session_id`)"),
            _column("turn_index", "the turn's index"),
            _column("lorebook_id", "the entry's lorebook (`lorebooks.lorebook_id`)"),
            _column("entry_id", "the entry"),
            _column("activation", "why it fired: constant, keyword or sticky"),
            _column("recursion_level", "0 when the scan text matched it; n when n rounds of activated content did"),
            _column("prompts", "in how many of the turn's prompts it fired"),
        ),
    ),
    SnapshotTable(
        "character_cards",
        "The community card (V1/V2/V3 JSON) each imported character came from, kept for lossless export.",
        (
            _column("character_id", "the character (`characters.character_id`)"),
            _column("doc", "the card as imported, JSON"),
        ),
    ),
    SnapshotTable(
        "lorebook_sources",
        "The community lorebook file (World Info, lorebook_v3, a card's book, …) each imported lorebook came from,"
        " kept for lossless export.",
        (
            _column("lorebook_id", "the lorebook (`lorebooks.lorebook_id`)"),
            _column("character_id", "the character whose card carried the book; NULL for a lorebook file"),
            _column("doc", "the format, the file name, the lorebook as imported and the original book, JSON"),
        ),
    ),
    SnapshotTable(
        "schema_migrations",
        "The database schema versions applied, so a query can check what it runs against.",
        (_column("version", "migration number"), _column("applied_at_ms", "when it was applied, epoch ms (UTC)")),
    ),
)

LEFT_OUT: dict[str, str] = {
    "id_counters": "the next server-generated id per prefix: internal bookkeeping",
    "llm_call_days": "derived from llm_calls (the reports' day rollup)",
    "llm_call_day_latencies": "derived from llm_calls (the reports' latency bins)",
    "llm_call_rollup": "which calls the rollups hold",
    "character_card_files": "the bytes of the files an imported CHARX carried besides its card",
}
"""Live tables a snapshot does not copy, and why."""


def snapshot_tables_markdown() -> str:
    """The tables of a snapshot as Markdown (the generated part of docs/analytics.md)."""
    lines: list[str] = []
    for table in SNAPSHOT_TABLES:
        lines += [f"#### `{table.name}`", "", table.description, "", "| column | meaning |", "| --- | --- |"]
        lines += [f"| `{column.name}` | {column.description} |" for column in table.columns]
        lines.append("")
    lines += ["Not copied:", ""]
    lines += [f"- `{name}`: {reason}" for name, reason in LEFT_OUT.items()]
    return "\n".join(lines) + "\n"
