"""Reading a provider's event stream: bytes, however the network cuts them, into lines and events."""

from __future__ import annotations

import pytest

from runtime.llm._sse import LineSplitter, SseDecoder, SseEvent

BODY = 'event: delta\r\ndata: {"text": "caf\u00e9 \u2014 ok"}\r\n\r\ndata: a\rdata: b\r\rdata: [DONE]\n\n'.encode()


def _lines(chunks: list[bytes]) -> list[str]:
    splitter = LineSplitter()
    lines = [line for chunk in chunks for line in splitter.feed(chunk)]
    last = splitter.end()
    return lines if last is None else [*lines, last]


EXPECTED = ["event: delta", 'data: {"text": "caf\u00e9 \u2014 ok"}', "", "data: a", "data: b", "", "data: [DONE]", ""]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, len(BODY)])
def test_lines_are_the_same_however_the_body_is_cut(size: int) -> None:
    # cuts fall inside CRLF pairs and inside multi-byte characters for some sizes
    assert _lines([BODY[start : start + size] for start in range(0, len(BODY), size)]) == EXPECTED


def test_only_cr_lf_and_crlf_end_lines() -> None:
    assert _lines([b"data: a\x0cb\x1cc\xe2\x80\xa8d\n"]) == ["data: a\x0cb\x1cc\u2028d"]


def test_a_body_ending_without_a_line_end_gives_its_last_line() -> None:
    assert _lines([b"data: x\n", b"data: y"]) == ["data: x", "data: y"]
    assert _lines([b"data: x\r"]) == ["data: x"]
    assert _lines([]) == []


def test_events_come_from_the_split_lines() -> None:
    decoder = SseDecoder()
    events = [event for line in EXPECTED if (event := decoder.feed(line)) is not None]
    assert events == [
        SseEvent("delta", '{"text": "caf\u00e9 \u2014 ok"}'),
        SseEvent("", "a\nb"),
        SseEvent("", "[DONE]"),
    ]
