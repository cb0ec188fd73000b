"""The LLM layer against the real stub over HTTP, with a fresh DuckDB for telemetry."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest

from runtime.llm import LlmHttp, LlmSettings, QueuedCallRecorder, open_call_recorder, open_llm_http
from runtime.model.apis import ApiRecord, Provider
from runtime.store import Store, open_store
from tests.support.llm_stub import RunningStub

FAST = LlmSettings(timeout_s=10.0, max_retries=2, backoff_base_s=0.0)
"""Retries without waiting; a generous deadline that no test reaches unless it means to."""


@attrs.frozen
class LlmRig:
    llm: LlmHttp
    store: Store
    recorder: QueuedCallRecorder
    stub: RunningStub

    def api(self, provider: Provider, **changes: str) -> ApiRecord:
        """An api pointing at the stub, with the base URL each provider expects."""
        base = self.stub.openai_base_url if provider is Provider.OPEN_AI else self.stub.anthropic_base_url
        fields = {
            "api_id": "main",
            "display_name": "Main",
            "provider": provider,
            "base_url": base,
            "model": "stub-model",
            "api_key": "sk-test-key-123",
            **changes,
        }
        return ApiRecord(**fields)

    @contextlib.asynccontextmanager
    async def with_settings(self, **changes: float) -> AsyncIterator[LlmHttp]:
        """Another LlmHttp on the same store and stub, with some settings changed."""
        async with open_llm_http(attrs.evolve(FAST, **changes), recorder=self.recorder) as llm:
            yield llm


@contextlib.asynccontextmanager
async def open_rig(stub: RunningStub, data_dir: Path) -> AsyncIterator[LlmRig]:
    """Clients on `stub`, recording into a fresh DuckDB under `data_dir`."""
    async with (
        open_store(data_dir) as store,
        open_call_recorder(store) as recorder,
        open_llm_http(FAST, recorder=recorder) as llm,
    ):
        yield LlmRig(llm, store, recorder, stub)


@pytest.fixture
async def rig(llm_stub: RunningStub, tmp_path: Path) -> AsyncIterator[LlmRig]:
    async with open_rig(llm_stub, tmp_path / "data") as rig:
        yield rig


@pytest.fixture(params=[Provider.OPEN_AI, Provider.ANTHROPIC], ids=["open_ai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> Provider:
    return request.param
