"""The error tree of Dramaturg. Each class carries the JSON-RPC code it is answered with.

    DramaturgError
    ├── InvalidParams (-32602)      bad input, named by field or by a PROTOCOL §3.8 template
    ├── NotFound (40404)            a referenced record does not exist
    ├── Conflict (40909)            duplicate, still referenced, turn in progress, …
    ├── BackendError (50001)        storage, runtime and engine failures
    │   └── StorageUnavailable      the database cannot be opened (at start)
    │       └── DatabaseInUse       another process has it open
    ├── ProviderError (50002)       the LLM provider failed or its output stayed unusable
    └── NotImplementedYet (50001)   a method whose family is not built yet

HTTP statuses are the transport's business (`transport.rpc`), not this module's.
"""

from __future__ import annotations

from pathlib import Path


class DramaturgError(Exception):
    """Root of every error that is answered on the wire with a code and a message."""

    code: int = 50001

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParams(DramaturgError):
    """The request is well formed but its parameters are not acceptable."""

    code = -32602


class NotFound(DramaturgError):
    """A record named by the request does not exist."""

    code = 40404

    @classmethod
    def record(cls, thing: str, record_id: str) -> NotFound:
        """`{thing} '{id}' not found`, the common template of PROTOCOL §3.8."""
        return cls(f"{thing} '{record_id}' not found")


class Conflict(DramaturgError):
    """The request collides with stored data: a duplicate id, a reference, a running turn."""

    code = 40909

    @classmethod
    def exists(cls, thing: str, record_id: str) -> Conflict:
        """`{thing} '{id}' already exists`."""
        return cls(f"{thing} '{record_id}' already exists")


class BackendError(DramaturgError):
    """Storage, runtime or engine failure; not the caller's fault."""

    code = 50001


class StorageUnavailable(BackendError):
    """The database cannot be opened: its folder or file cannot be created or written."""

    def __init__(self, data_dir: Path, reason: str) -> None:
        super().__init__(f"cannot open the database in {data_dir}: {reason}")
        self.data_dir, self.reason = data_dir, reason


class DatabaseInUse(StorageUnavailable):
    """Another process has the database open (DuckDB allows one process per file)."""

    def __init__(self, data_dir: Path, holder_pid: int | None) -> None:
        holder = f"process {holder_pid}" if holder_pid is not None else "another process"
        super().__init__(data_dir, f"it is in use by {holder}")
        self.holder_pid = holder_pid


class ProviderError(DramaturgError):
    """The LLM provider failed: authentication, rate limit, HTTP error, transport, unusable output."""

    code = 50002

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class NotImplementedYet(DramaturgError):
    """A recognised method whose family has not been built yet."""

    code = 50001

    def __init__(self, method: str) -> None:
        super().__init__(f"method '{method}' is not implemented yet")
