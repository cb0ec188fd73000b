"""Latency and token rate turn into the delays of each answer; the CLI builds the stub's settings."""

from __future__ import annotations

import pytest

from transport.cli import build_parser, stub_settings_from
from transport.llm_stub import StubMode, StubSettings, StubStep
from transport.llm_stub._answer import plan_answer, split_text


def test_latency_and_token_rate_set_the_delays() -> None:
    answer = plan_answer(None, "s", "u", settings=StubSettings(latency_ms=250, tokens_per_s=20))
    assert answer.delay_s == pytest.approx(0.25) and answer.chunk_delay_s == pytest.approx(0.05)


def test_a_step_adds_its_delay_and_overrides_the_chunk_delay() -> None:
    settings = StubSettings(latency_ms=100, tokens_per_s=10)
    answer = plan_answer(StubStep(text="x", delay_ms=50, chunk_delay_ms=0), "s", "u", settings=settings)
    assert answer.delay_s == pytest.approx(0.15) and answer.chunk_delay_s == 0


def test_text_splits_into_chunks_that_rebuild_it() -> None:
    text = "  Hello,  wide\nworld!  "
    assert "".join(split_text(text, None)) == text
    assert split_text("abcdefg", 3) == ["abc", "def", "g"]


def test_cli_builds_stub_settings() -> None:
    args = build_parser().parse_args(
        ["llm-stub", "--mode", "scripted", "--listen", "127.0.0.1:9999", "--latency-ms", "40", "--tokens-per-s", "25"]
    )
    assert stub_settings_from(args) == StubSettings(
        mode=StubMode.SCRIPTED, listen="127.0.0.1:9999", latency_ms=40, tokens_per_s=25.0
    )


def test_cli_defaults_to_auto_mode_on_port_8090() -> None:
    settings = stub_settings_from(build_parser().parse_args(["llm-stub"]))
    assert settings.mode is StubMode.AUTO and settings.listen == "127.0.0.1:8090"
