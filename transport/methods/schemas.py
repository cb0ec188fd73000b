"""Registrations of the schemas methods."""

from __future__ import annotations

from transport.registry import Method

METHODS: list[Method] = []
