"""Reading a request body whole, within a byte limit and a time limit: `/rpc`, `/upload` and the login form."""

from __future__ import annotations

import trio
from quart import request


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


class BodyTooSlow(Exception):
    """The request body did not arrive within the body timeout."""


async def read_body(limit: int, timeout_s: float) -> bytes:
    """The whole request body, counting bytes as they arrive (STACK-NOTES P3), within `timeout_s`."""
    if (request.content_length or 0) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    received = 0
    with trio.move_on_after(timeout_s):
        async for chunk in request.body:
            chunks.append(chunk)
            received += len(chunk)
            if received > limit:
                raise BodyTooLarge()
        return b"".join(chunks)
    raise BodyTooSlow()
