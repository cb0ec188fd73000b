"""Registrations of the presets methods."""

from __future__ import annotations

from transport.registry import Method

METHODS: list[Method] = []
