"""Versioned schema migrations, applied in order at start, each in its own transaction.

A record of one kind lives in one table: its whole stored shape in `doc` (JSON), plus the
columns that queries filter, join or sort on. Append a migration to change the schema;
never edit one that has shipped. Versions only grow but need not be consecutive: 4 and 7 were
set aside for work that ended up needing no schema change, and numbers are never reused.
"""

from __future__ import annotations

import time

import duckdb

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE id_counters (
            prefix VARCHAR PRIMARY KEY,
            next_value BIGINT NOT NULL
        );
        CREATE TABLE apis (
            api_id VARCHAR PRIMARY KEY,
            doc JSON NOT NULL
        );
        CREATE TABLE api_groups (
            api_group_id VARCHAR PRIMARY KEY,
            api_ids VARCHAR[] NOT NULL,
            doc JSON NOT NULL
        );
        CREATE TABLE presets (
            preset_id VARCHAR PRIMARY KEY,
            doc JSON NOT NULL
        );
        CREATE TABLE schemas (
            schema_id VARCHAR PRIMARY KEY,
            doc JSON NOT NULL
        );
        CREATE TABLE lorebooks (
            lorebook_id VARCHAR PRIMARY KEY,
            doc JSON NOT NULL
        );
        CREATE TABLE player_profiles (
            player_profile_id VARCHAR PRIMARY KEY,
            doc JSON NOT NULL
        );
        CREATE TABLE blobs (
            blob_id VARCHAR PRIMARY KEY,
            file_name VARCHAR,
            content_type VARCHAR NOT NULL,
            data BLOB NOT NULL,
            created_at_ms BIGINT NOT NULL
        );
        CREATE TABLE characters (
            character_id VARCHAR PRIMARY KEY,
            schema_id VARCHAR NOT NULL,
            cover_blob_id VARCHAR,
            cover_file_name VARCHAR,
            cover_mime_type VARCHAR,
            doc JSON NOT NULL
        );
        CREATE TABLE story_resources (
            resource_id VARCHAR PRIMARY KEY,
            character_ids VARCHAR[] NOT NULL,
            lorebook_ids VARCHAR[] NOT NULL,
            world_schema_id_seed VARCHAR,
            player_schema_id_seed VARCHAR,
            doc JSON NOT NULL
        );
        CREATE TABLE stories (
            story_id VARCHAR PRIMARY KEY,
            resource_id VARCHAR NOT NULL,
            world_schema_id VARCHAR NOT NULL,
            player_schema_id VARCHAR NOT NULL,
            created_at_ms BIGINT,
            updated_at_ms BIGINT,
            doc JSON NOT NULL
        );
        CREATE TABLE story_drafts (
            draft_id VARCHAR PRIMARY KEY,
            resource_id VARCHAR NOT NULL,
            api_group_id VARCHAR NOT NULL,
            preset_id VARCHAR NOT NULL,
            created_at_ms BIGINT,
            updated_at_ms BIGINT,
            doc JSON NOT NULL
        );
        CREATE TABLE sessions (
            session_id VARCHAR PRIMARY KEY,
            story_id VARCHAR NOT NULL,
            player_profile_id VARCHAR,
            player_schema_id VARCHAR NOT NULL,
            api_group_id VARCHAR NOT NULL,
            preset_id VARCHAR NOT NULL,
            turn_index BIGINT NOT NULL,
            created_at_ms BIGINT,
            updated_at_ms BIGINT,
            doc JSON NOT NULL
        );
        CREATE TABLE session_messages (
            message_id VARCHAR PRIMARY KEY,
            session_id VARCHAR NOT NULL,
            sequence BIGINT NOT NULL,
            doc JSON NOT NULL
        );
        CREATE TABLE session_characters (
            session_id VARCHAR NOT NULL,
            session_character_id VARCHAR NOT NULL,
            created_at_ms BIGINT NOT NULL,
            doc JSON NOT NULL,
            PRIMARY KEY (session_id, session_character_id)
        );
        CREATE TABLE llm_calls (
            call_id BIGINT PRIMARY KEY,
            started_at_ms BIGINT NOT NULL,
            agent VARCHAR NOT NULL,
            api_id VARCHAR,
            provider VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            streamed BOOLEAN NOT NULL,
            prompt_tokens BIGINT,
            completion_tokens BIGINT,
            latency_ms DOUBLE NOT NULL,
            first_token_ms DOUBLE,
            attempts INTEGER NOT NULL,
            outcome VARCHAR NOT NULL,
            error VARCHAR,
            session_id VARCHAR,
            turn_index BIGINT,
            draft_id VARCHAR
        );
        """,
    ),
    (
        2,
        # Call ids from a sequence instead of max(call_id) + 1, a scan that grows with the table.
        # START takes only a literal, so the sequence is moved past the existing ids by setval
        # (MINVALUE 0 lets an empty table set 0). A sequence does not go back when a transaction
        # that drew from it rolls back, and after a restart it continues after every committed id.
        """
        CREATE SEQUENCE llm_call_ids MINVALUE 0 START 1;
        SELECT setval('llm_call_ids', (SELECT coalesce(max(call_id), 0) FROM llm_calls));
        """,
    ),
    (
        3,
        # Telemetry that tells failures apart: why a call was made (first, retry, repair), how a
        # JSON schema was sent, and the output limit; rows from before keep kind 'first'.
        """
        ALTER TABLE llm_calls ADD COLUMN call_kind VARCHAR DEFAULT 'first';
        ALTER TABLE llm_calls ADD COLUMN structured_output_mode VARCHAR;
        ALTER TABLE llm_calls ADD COLUMN max_tokens BIGINT;
        """,
    ),
    (
        5,
        # Lorebook activation per committed turn: its seed and starting timers (enough to replay
        # it), and one row per entry that fired, so "which entries fire most / never" is a query.
        # No keys: rows are only ever appended with the turn and deleted with the session.
        """
        CREATE TABLE lore_turns (
            session_id VARCHAR NOT NULL,
            turn_index BIGINT NOT NULL,
            seed BIGINT NOT NULL,
            timers JSON,
            recorded_at_ms BIGINT NOT NULL
        );
        CREATE TABLE lore_activations (
            session_id VARCHAR NOT NULL,
            turn_index BIGINT NOT NULL,
            lorebook_id VARCHAR NOT NULL,
            entry_id VARCHAR NOT NULL,
            activation VARCHAR NOT NULL,
            recursion_level INTEGER NOT NULL,
            prompts INTEGER NOT NULL
        );
        """,
    ),
    (
        6,
        # Analytics. `turns`: one row per turn attempt, completed or failed (a failed turn
        # stores nothing else, R4). Turns played before this migration are read back from their
        # transcript messages (ids `{session}-message-{n}`): completed, stamped with the time
        # their messages were written, with no duration, nodes or call count.
        # `llm_call_days` and `llm_call_day_latencies`: llm_calls summed per UTC day, so reports
        # over a million calls read a few thousand rows; `llm_call_rollup` says which calls they
        # hold (see runtime.analytics._rollups).
        """
        CREATE TABLE turns (
            session_id VARCHAR NOT NULL,
            story_id VARCHAR NOT NULL,
            turn_index BIGINT NOT NULL,
            started_at_ms BIGINT NOT NULL,
            duration_ms DOUBLE,
            outcome VARCHAR NOT NULL,
            node_before VARCHAR,
            node_after VARCHAR,
            failed_stage VARCHAR,
            error_code INTEGER,
            error_message VARCHAR,
            llm_calls INTEGER
        );
        INSERT INTO turns (session_id, story_id, turn_index, started_at_ms, outcome)
        SELECT session_id, story_id, turn_index, min(recorded_at_ms) AS started_at_ms, 'completed'
        FROM (
            SELECT message.session_id, session.story_id,
                   CAST(message.doc->>'$.turn_index' AS BIGINT) AS turn_index,
                   CAST(message.doc->>'$.recorded_at_ms' AS BIGINT) AS recorded_at_ms
            FROM session_messages AS message JOIN sessions AS session ON session.session_id = message.session_id
            WHERE message.message_id = message.session_id || '-message-' || message.sequence
        )
        GROUP BY session_id, story_id, turn_index
        ORDER BY started_at_ms;
        CREATE TABLE llm_call_days (
            day DATE NOT NULL,
            agent VARCHAR NOT NULL,
            api_id VARCHAR,
            model VARCHAR NOT NULL,
            outcome VARCHAR NOT NULL,
            call_kind VARCHAR NOT NULL,
            calls BIGINT NOT NULL,
            prompt_tokens BIGINT,
            completion_tokens BIGINT,
            calls_without_usage BIGINT NOT NULL,
            extra_attempts BIGINT NOT NULL
        );
        CREATE TABLE llm_call_day_latencies (
            day DATE NOT NULL,
            agent VARCHAR NOT NULL,
            api_id VARCHAR,
            model VARCHAR NOT NULL,
            measure VARCHAR NOT NULL,
            bin SMALLINT NOT NULL,
            calls BIGINT NOT NULL
        );
        CREATE TABLE llm_call_rollup (
            folded_through_call_id BIGINT NOT NULL,
            folded_before_ms BIGINT NOT NULL
        );
        INSERT INTO llm_call_rollup VALUES (0, 0);
        """,
    ),
    (
        8,
        # The community card a character was imported from, so an export can give back every
        # field Dramaturg does not own; and the files of an imported CHARX besides its card.
        # Both are written in the import's transaction and deleted with the character.
        """
        CREATE TABLE character_cards (
            character_id VARCHAR PRIMARY KEY,
            doc JSON NOT NULL
        );
        CREATE TABLE character_card_files (
            character_id VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (character_id, path)
        );
        """,
    ),
    (
        9,
        # The community lorebook file (or a card's embedded book) a lorebook was imported from,
        # so an export can give back every field Dramaturg does not own. Written in the import's
        # transaction, deleted with the lorebook; `character_id` names the character whose card
        # carried the book (its card export writes the book back), cleared when it is deleted.
        """
        CREATE TABLE lorebook_sources (
            lorebook_id VARCHAR PRIMARY KEY,
            character_id VARCHAR,
            doc JSON NOT NULL
        );
        """,
    ),
]


def apply_migrations(connection: duckdb.DuckDBPyConnection) -> None:
    """Bring the database to the newest schema version. Safe to call on every start."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)"
    )
    applied = {row[0] for row in connection.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, script in MIGRATIONS:
        if version in applied:
            continue
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(script)
            connection.execute("INSERT INTO schema_migrations VALUES (?, ?)", [version, int(time.time() * 1000)])
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
