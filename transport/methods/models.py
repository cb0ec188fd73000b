"""Registration of `api.list_models`, which asks a provider for its models."""

from __future__ import annotations

from transport.registry import Method

METHODS: list[Method] = []
