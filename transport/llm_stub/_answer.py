"""One answer planned in full before a byte is sent: its text and chunks, its timing, its faults."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from transport.llm_stub._auto import auto_answer
from transport.llm_stub._formats import PLAIN, AnswerForm
from transport.llm_stub._schemas import accepts, minimal_instance, with_nulls_written
from transport.llm_stub._script import StubStep
from transport.llm_stub._settings import StubSettings

MS_PER_S = 1000.0
DEFAULT_FINISH_REASON = "stop"
_WORDS = re.compile(r"\s*\S+\s*|\s+")


@attrs.frozen
class Answer:
    number: int
    text: str
    chunks: list[str]
    delay_s: float
    chunk_delay_s: float
    prompt_tokens: int
    status: int | None = None
    error_message: str | None = None
    raw_body: str | None = None
    cut_after_chunks: int | None = None
    invalid_json: bool = False
    empty_choices: bool = False
    stream_error: str | None = None
    finish_reason: str | None = None
    form: AnswerForm = PLAIN

    @property
    def completion_tokens(self) -> int:
        return len(self.chunks)

    def tool_input(self) -> Any:
        """The forced tool's input: the answer's JSON object. None when there is no forced tool or
        the text is not an object (then the answer goes out as text, as a model that ignored the
        tool would write it)."""
        if self.form.tool is None:
            return None
        try:
            value = json.loads(self.text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def streamed_chunks(self) -> list[str]:
        """The chunks sent before a cut (all of them without one)."""
        return self.chunks if self.cut_after_chunks is None else self.chunks[: self.cut_after_chunks]


def plan_answer(
    step: StubStep | None,
    system: str,
    user: str,
    *,
    form: AnswerForm = PLAIN,
    settings: StubSettings,
    number: int = 0,
) -> Answer:
    """The answer to one chat request: the scripted step's, completed by auto mode where it is
    silent. An auto answer keeps to the request's schema; a scripted one is sent as written."""
    step = step or StubStep()
    chunks = step.chunks
    text = "".join(chunks) if chunks is not None else step.text
    if text is None:
        text = held_to_schema(auto_answer(system, user, json_mode=form.json_mode), form.schema)
    if chunks is None:
        chunks = split_text(text, step.chunk_size)
    chunk_delay_s = settings.chunk_interval_s() if step.chunk_delay_ms is None else step.chunk_delay_ms / MS_PER_S
    return Answer(
        number=number,
        text=text,
        chunks=chunks,
        delay_s=(settings.latency_ms + step.delay_ms) / MS_PER_S,
        chunk_delay_s=chunk_delay_s,
        prompt_tokens=len(f"{system} {user}".split()),
        status=step.status,
        error_message=step.error_message,
        raw_body=step.raw_body,
        cut_after_chunks=step.cut_after_chunks,
        invalid_json=step.invalid_json,
        empty_choices=step.empty_choices,
        stream_error=step.stream_error,
        finish_reason=step.finish_reason or DEFAULT_FINISH_REASON,
        form=form,
    )


def held_to_schema(text: str, schema: dict[str, Any] | None) -> str:
    """`text` when the schema accepts its JSON (or there is no schema), with the nulls of the
    optional fields it leaves out written, else the schema's smallest instance: a constrained
    model cannot write anything else."""
    if schema is None:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if value is not None and accepts(schema, value):
        return text
    filled = with_nulls_written(value, schema)
    if value is not None and accepts(schema, filled):
        return json.dumps(filled, separators=(",", ":"))
    return json.dumps(minimal_instance(schema), separators=(",", ":"))


def split_text(text: str, chunk_size: int | None) -> list[str]:
    """Chunks whose concatenation is `text`: `chunk_size` characters each, or one per word."""
    if chunk_size is not None and chunk_size > 0:
        return [text[start : start + chunk_size] for start in range(0, len(text), chunk_size)]
    return _WORDS.findall(text)
