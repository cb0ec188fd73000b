"""The seam between the session methods and whoever applies them one at a time per session.

Every method that changes one session, `session.run_turn` included, must run after the
previous change of that session has ended, in arrival order (R5, ARCHITECTURE §1: the
SessionActor). The runtime states what it needs as the Protocol `SessionOwner`; the actors
package fills it, and the server puts the running owner into `Services.sessions`.

A turn's stream is a channel of `TurnFrame`s: the events of §4.5 as they happen, then one
terminal frame, `TurnSucceeded` (sent only after the turn was stored) or `TurnAborted`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, Union

import attrs
import trio

from runtime.model.sessions import SessionDeleted, SessionRecord
from runtime.model.turns import EngineTurnResult, StreamEvent

if TYPE_CHECKING:
    from runtime.services._services import Services

T = TypeVar("T")


@attrs.frozen
class SessionChange(Generic[T]):
    """What a change did: the session record as now stored, and the payload to answer with.

    `session` is None when the change deleted the session.
    """

    session: SessionRecord | None
    payload: T


@attrs.frozen
class TurnSucceeded:
    """The turn was persisted; `completed` carries this result."""

    result: EngineTurnResult


@attrs.frozen
class TurnAborted:
    """The turn failed (nothing was persisted); `failed` carries this code and message."""

    code: int
    message: str


TurnFrame = Union[StreamEvent, TurnSucceeded, TurnAborted]

SessionOperation = Callable[["Services", SessionRecord, Any], Awaitable[SessionChange[T]]]
"""A change of one session: `(services, the session as its owner holds it, params)`."""


class SessionOwner(Protocol):
    """Applies each change of one session after the previous one of that session has ended."""

    async def change(self, session_id: str, operation: SessionOperation[T], params: Any) -> T:
        """Run `operation` on the session's current record and keep the record it returns.

        Raises NotFound when the session does not exist, and whatever the operation raises.
        """

    async def delete(self, session_id: str) -> SessionDeleted:
        """Delete the session with its messages and session characters (§6.15)."""

    async def start_turn(self, session_id: str, player_input: str) -> trio.MemoryReceiveChannel[TurnFrame]:
        """Queue a turn and wait until its setup (§8.1) succeeded; return its frames.

        Raises Conflict at once while a turn of the session is running, and the setup errors.
        The turn runs to the end even if the frames are never read (R5); closing the channel
        only drops the frames.
        """
