"""Every method family's registrations, gathered into the one registry."""

from __future__ import annotations

from transport.methods import apis
from transport.openrpc import discover_method
from transport.registry import Registry

FAMILIES = [apis.METHODS]


def build_registry() -> Registry:
    """All 96 protocol methods plus `rpc.discover`, which describes them."""
    registry = Registry.build(FAMILIES)
    return Registry.build([*FAMILIES, [discover_method(registry)]])
