"""Connection hygiene under hypercorn and quart-trio, as an ASGI wrapper around the app.

* **Shielded sends.** When an answer ends a connection (the client sent `Connection: close`,
  or the answer came before the body was read), hypercorn closes the socket from inside the
  app's last `send`. quart-trio cancels the app's tasks as soon as the request is over, which
  cancels that close half-way, and the socket then stayed open until the client left. Sends
  are shielded, so the close always completes. (Hypercorn already shields the write itself, so
  this adds no new way to block.)
* **Large bodies one at a time.** quart buffers a request body in memory as fast as the network
  delivers it, whether or not the handler reads it. A request that announces a body over
  `LARGE_BODY_BYTES` (or a chunked one) waits for one of `LARGE_BODY_SLOTS` before the app
  sees it; while it waits nobody reads its body, so hypercorn's small queue fills and TCP
  backpressure holds the rest on the client's side.
* **Refused bodies are freed at once.** An error raised while handling a body keeps the frames
  of its traceback, and with them the body, alive; trio's thread hand-off and zipfile leave such
  errors in reference cycles that only a full collection frees, and full collections are rare
  (`transport.gc_tuning`). So a large-body request answered with an error is followed by one.
  (Measured: sixteen refused 32 MiB uploads otherwise kept 250 MiB until a full collection.)
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import trio

LARGE_BODY_BYTES = 1024 * 1024
LARGE_BODY_SLOTS = 2
ERROR_STATUS = 400

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[..., Awaitable[None]]  # quart types its scopes and events more narrowly


def announced_large_body(scope: Scope) -> bool:
    """Whether the request's headers announce a body over LARGE_BODY_BYTES, or one of unknown size."""
    for name, value in scope.get("headers", ()):
        lowered = name.lower()
        if lowered == b"content-length":
            return not value.isdigit() or int(value) > LARGE_BODY_BYTES
        if lowered == b"transfer-encoding":
            return True
    return False


def guard_connections(app: AsgiApp, large_body_slots: int = LARGE_BODY_SLOTS) -> AsgiApp:
    """`app` with shielded sends and the large-body queue of the module docstring."""
    large_bodies = trio.CapacityLimiter(large_body_slots)

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def shielded_send(message: Message) -> None:
            with trio.CancelScope(shield=True):
                await send(message)

        if not announced_large_body(scope):
            await app(scope, receive, shielded_send)
            return
        status = 0

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await shielded_send(message)

        async with large_bodies:
            try:
                await app(scope, receive, watched_send)
            finally:
                if status >= ERROR_STATUS or status == 0:
                    gc.collect()

    return guarded
