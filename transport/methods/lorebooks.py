"""Registrations of the lorebooks methods."""

from __future__ import annotations

from transport.registry import Method

METHODS: list[Method] = []
