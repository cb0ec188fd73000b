"""Registrations of `config.get_global` and `dashboard.get`."""

from __future__ import annotations

from transport.registry import Method

METHODS: list[Method] = []
