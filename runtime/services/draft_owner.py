"""The seam between the draft methods and whoever runs them one at a time per draft.

`story_draft.continue`, `update_graph`, `finalize` and `delete` of one draft must not overlap
(ARCHITECTURE §1: the DraftActor). The runtime states what it needs as this Protocol; the
actors package fills it, and the server puts the running owner into `Services.drafts`.
"""

from __future__ import annotations

from typing import Protocol

from runtime.model.graph import StoryGraph
from runtime.model.stories import Story, StoryDraft, StoryDraftDeleted


class DraftOwner(Protocol):
    """Runs each operation of one draft after the previous one of that draft has ended."""

    async def continue_draft(self, draft_id: str) -> StoryDraft:
        """Add the next outline section (PROTOCOL §14.4)."""

    async def update_draft_graph(self, draft_id: str, graph: StoryGraph) -> StoryDraft:
        """Replace the partial graph (§6.14)."""

    async def finalize_draft(self, draft_id: str) -> Story:
        """Turn the draft into a story, or return the story it already became (§14.5)."""

    async def delete_draft(self, draft_id: str) -> StoryDraftDeleted:
        """Delete the draft (and its generated schemas unless it was finalized)."""
