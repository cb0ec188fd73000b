"""What every operation may use: the store, the clock, the seeds and the configured limits."""

from __future__ import annotations

from pathlib import Path

import attrs

from runtime.archives import ZipLimits
from runtime.clock import Clock, SystemClock
from runtime.llm import ChatClients, QueuedCallRecorder, TurnCallCounter
from runtime.seeds import SeedSource, SystemSeeds
from runtime.services._package_slots import PackageSlots
from runtime.services.draft_owner import DraftOwner
from runtime.services.session_owner import SessionOwner
from runtime.store import Store


@attrs.frozen
class Limits:
    """Sizes the operations enforce. Units are in the names."""

    max_upload_bytes: int = 32 * 1024 * 1024
    archive: ZipLimits = attrs.field(factory=ZipLimits)  # what an uploaded ZIP may hold (§16.3)
    max_player_input_chars: int = 16 * 1024  # longest `session.run_turn` input (-32602 beyond)


@attrs.frozen
class Services:
    store: Store
    clock: Clock = attrs.field(factory=SystemClock)
    seeds: SeedSource = attrs.field(factory=SystemSeeds)  # the seed of each turn's lore draws
    limits: Limits = attrs.field(factory=Limits)
    llm: ChatClients | None = None  # the LLM clients; None where no provider may be called
    drafts: DraftOwner | None = None  # runs each draft's operations one at a time (the DraftActors)
    sessions: SessionOwner | None = None  # runs each session's changes one at a time (the SessionActors)
    packages: PackageSlots = attrs.field(factory=PackageSlots)  # data-package slots, in memory (§6.19)
    telemetry: QueuedCallRecorder | None = None  # writes the `llm_calls` rows (reports flush it first)
    turn_calls: TurnCallCounter | None = None  # counts each turn's LLM calls for its `turns` row
    snapshots_dir: Path | None = None  # where `analytics.snapshot` writes; None: snapshots are refused
