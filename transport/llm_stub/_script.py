"""Scripted mode: steps queued per model through `/_stub/script`, and the log of received requests."""

from __future__ import annotations

import collections
from typing import Any

import attrs

from runtime.model._fields import omittable

ANY_MODEL = "*"
MODELS_SCRIPT_KEY = "_models"
"""Steps queued under this name answer `GET /models` and `GET /v1/models` instead of a chat."""


@attrs.frozen
class StubStep:
    """How to answer one request. Every field is optional; an empty step answers like auto mode.

    * `text`: the answer text (else auto mode's); `chunks`: the exact stream chunks (their
      concatenation is the text); `chunk_size`: split the text into chunks of that many
      characters (default: one chunk per word);
    * `status`: answer with this HTTP error status; `error_message`: the provider-shaped error's
      message; `raw_body`: send this body verbatim instead;
    * `delay_ms`: wait before answering (time to first token); `chunk_delay_ms`: between chunks;
    * `cut_after_chunks`: break the connection after that many chunks, without the end marker;
    * `invalid_json`: send a body (or stream event) that is not JSON; `empty_choices`
      (open_ai): a completion or chunk with `choices: []`; `stream_error`: end the stream with
      the provider's error event carrying this message; `finish_reason`: the stop reason.
    """

    text: str | None = omittable()
    chunks: list[str] | None = omittable()
    chunk_size: int | None = omittable()
    status: int | None = omittable()
    error_message: str | None = omittable()
    raw_body: str | None = omittable()
    delay_ms: int = 0
    chunk_delay_ms: int | None = omittable()
    cut_after_chunks: int | None = omittable()
    invalid_json: bool = False
    empty_choices: bool = False
    stream_error: str | None = omittable()
    finish_reason: str | None = omittable()


@attrs.frozen
class ScriptParams:
    """`POST /_stub/script`: steps for one model (`"*"` or absent: for any model)."""

    steps: list[StubStep]
    model: str = ANY_MODEL


@attrs.frozen
class ReceivedRequest:
    """One request as the stub saw it. Header names are lower case; values are kept raw.

    `query` is the raw query string, omitted when the request had none.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    query: str | None = omittable()


@attrs.frozen
class RequestsListed:
    requests: list[ReceivedRequest]


@attrs.frozen
class Queued:
    """The answer of `POST /_stub/script`: how many steps wait for that model now."""

    model: str
    queued: int


@attrs.define
class ScriptBook:
    """The stub's mutable state: queued steps per model and every request received."""

    _queues: dict[str, collections.deque[StubStep]] = attrs.field(factory=dict)
    _received: list[ReceivedRequest] = attrs.field(factory=list)
    _answers: int = 0

    def next_answer_number(self) -> int:
        """1, 2, 3, …: numbers the answers' ids (`chatcmpl-stub-N`, `msg_stub_N`)."""
        self._answers += 1
        return self._answers

    def queue(self, params: ScriptParams) -> Queued:
        queue = self._queues.setdefault(params.model, collections.deque())
        queue.extend(params.steps)
        return Queued(params.model, len(queue))

    def next_step(self, model: str, *, fall_back: bool = True) -> StubStep | None:
        """The model's next step, else (with `fall_back`) the next step for any model, else None."""
        for key in (model, ANY_MODEL) if fall_back else (model,):
            queue = self._queues.get(key)
            if queue:
                return queue.popleft()
        return None

    def receive(self, request: ReceivedRequest) -> None:
        self._received.append(request)

    def received(self) -> list[ReceivedRequest]:
        return list(self._received)

    def reset(self) -> None:
        self._queues.clear()
        self._received.clear()
