"""How the stub runs: its mode, where it listens, and how fast it answers."""

from __future__ import annotations

import enum

import attrs

REFUSABLE = frozenset({"json_schema", "json_object_schema", "json_object", "tools", "stream_options"})
"""`json_schema`, `json_object_schema` (json_object with a `schema`) and `json_object` are the
OpenAI-compatible response formats; `tools` is Anthropic's tool use; `stream_options` the
OpenAI-compatible streamed-usage option."""


class StubMode(enum.Enum):
    AUTO = "auto"
    """Every request gets auto mode's answer; the script endpoint is refused."""
    SCRIPTED = "scripted"
    """Queued steps answer first; a model without queued steps gets auto mode's answer."""


@attrs.frozen(kw_only=True)
class StubSettings:
    mode: StubMode = StubMode.AUTO
    listen: str = "127.0.0.1:8090"
    latency_ms: int = 0
    """Added before every answer: the time to first token."""
    tokens_per_s: float = 0.0
    """Stream chunks per second; 0 sends them as fast as possible."""
    models: tuple[str, ...] = ("stub-small", "stub-large")
    """What `GET /models` and `GET /v1/models` list."""
    models_page_size: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    """Anthropic model lists: models per page when the request gives no `limit`; None lists all in one page.

    Only Anthropic's `/v1/models` is paginated; a small page size lets tests see the client follow the pages.
    """
    shutdown_grace_s: float = 1.0
    refused: frozenset[str] = frozenset()
    """What this stand-in endpoint answers with a 400 naming the field, like an endpoint that does
    not take it: any of `REFUSABLE`."""

    def chunk_interval_s(self) -> float:
        return 1.0 / self.tokens_per_s if self.tokens_per_s > 0 else 0.0
