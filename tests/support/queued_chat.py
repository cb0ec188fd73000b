"""A chat client that answers from a queue, for unit tests of the agents' call logic.

It streams each queued answer as one delta and keeps every request and every verdict
(`ChatStream.judge`), so a test sees what an agent asked and how it judged each answer.
The provider protocols themselves are tested against the real stub (tests/runtime/llm).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import attrs

from runtime.errors import BackendError
from runtime.llm import ChatMessage, ChatRequest, ChatResponse, ChatRole
from runtime.model.llm_calls import CallOutcome


@attrs.define
class QueuedStream:
    text: str
    verdicts: list[tuple[CallOutcome, str] | None]
    _sent: bool = False
    _ended: bool = False

    def __aiter__(self) -> QueuedStream:
        return self

    async def __anext__(self) -> str:
        if self._sent:
            self._ended = True
            raise StopAsyncIteration
        self._sent = True
        return self.text

    async def __aenter__(self) -> QueuedStream:
        self.verdicts.append(None)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @property
    def response(self) -> ChatResponse:
        if not self._ended:
            raise BackendError("the stream has not ended yet")
        return ChatResponse(ChatMessage(ChatRole.ASSISTANT, self.text), "m")

    async def aclose(self) -> None:
        return None

    def judge(self, outcome: CallOutcome, detail: str) -> None:
        if self.verdicts[-1] is None:
            self.verdicts[-1] = (outcome, detail)


@attrs.define
class QueuedClient:
    """Answers each request with the next queued text; `verdicts[i]` is what the agent made of answer i."""

    answers: list[str]
    requests: list[ChatRequest] = attrs.field(factory=list)
    verdicts: list[tuple[CallOutcome, str] | None] = attrs.field(factory=list)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        return ChatResponse(ChatMessage(ChatRole.ASSISTANT, self.answers.pop(0)), "m")

    def stream(self, request: ChatRequest) -> Any:
        self.requests.append(request)
        return QueuedStream(self.answers.pop(0), self.verdicts)
