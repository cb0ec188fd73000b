"""Field helpers shared by every record module: how a field travels on the wire."""

from __future__ import annotations

from typing import Any

import attrs

OMIT_IF_NONE = "dramaturg.omit_if_none"
"""Field metadata key read by the codec: leave the key out of the JSON when the value is None."""


def omittable(**kwargs: Any) -> Any:
    """A `field?` of PROTOCOL §1.2: optional, defaults to None, and absent from the output when None."""
    metadata = {**kwargs.pop("metadata", {}), OMIT_IF_NONE: True}
    return attrs.field(default=None, metadata=metadata, **kwargs)


def secret(**kwargs: Any) -> Any:
    """A field that never appears in reprs, and so never in a log line."""
    return attrs.field(repr=False, **kwargs)
