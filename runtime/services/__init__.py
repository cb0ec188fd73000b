"""The operations behind each method family that is not owned by an actor.

Each module holds one family's operations as plain async functions taking `Services`, a
params record and returning a payload record. They validate, read and write through the
store, and raise `runtime.errors` exceptions; they know nothing about HTTP.
"""

from runtime.services._services import Services as Services

__all__ = ["Services"]
