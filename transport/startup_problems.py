"""Why a server could not start, in one line that names the flag or resource and says what to do.

`dramaturg serve` and `dramaturg llm-stub` fail to start for reasons of the machine, not of the
code: the port is taken, the address is not this machine's, the host name does not resolve, the
data directory cannot be written or another server has its database open. Those arrive as
exceptions (inside trio's exception groups); `startup_problem` recognises them and explains them.
Anything it does not recognise is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

import attrs

from runtime.errors import DatabaseInUse, StorageUnavailable
from transport.exposure import listen_host
from transport.settings import SOCKET_LISTEN_PREFIXES


@attrs.frozen
class ListenSource:
    """Where the address came from, to name it in the message: the flag and its variable."""

    address: str
    variable: str

    def advice(self) -> str:
        return f"choose another with --listen or {self.variable}"


def try_listen_address(listen: str) -> None:
    """Bind `listen` once and let it go, so that a port in use, an address of another machine or a
    name that does not resolve is found before anything is opened or created. Raises the OSError
    (or socket.gaierror) the server's own bind would raise."""
    if listen.startswith(SOCKET_LISTEN_PREFIXES):
        return
    host, _, port = listen.rpartition(":")
    for family, kind, protocol, _, address in socket.getaddrinfo(
        host.strip("[]"), int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as hypercorn binds
            probe.bind(address)


def leaf_errors(error: BaseException) -> Iterator[BaseException]:
    """The exceptions inside (nested) exception groups, or the error itself."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from leaf_errors(inner)
    else:
        yield error


def startup_problem(error: BaseException, listen: ListenSource, data_dir_variable: str | None = None) -> str | None:
    """The one-line explanation of the first start-up failure found in `error`, or None when it
    holds none (then it is a bug and its traceback is wanted)."""
    for leaf in leaf_errors(error):
        if isinstance(leaf, StorageUnavailable) and data_dir_variable is not None:
            return _storage_problem(leaf, data_dir_variable)
        if isinstance(leaf, socket.gaierror):
            host = listen_host(listen.address)
            return (
                f"--listen {listen.address}: cannot resolve the host name {host!r} ({leaf.strerror}); "
                f"give an IP address or a name this machine resolves with --listen or {listen.variable}"
            )
        if isinstance(leaf, OSError) and (message := _bind_problem(leaf, listen)) is not None:
            return message
    return None


def _bind_problem(error: OSError, listen: ListenSource) -> str | None:
    where = f"--listen {listen.address}"
    if error.errno == errno.EADDRINUSE:
        return f"{where}: the address is already in use (is another server running there?); {listen.advice()}"
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"{where}: {listen_host(listen.address)} is not an address of this machine; {listen.advice()} "
            "(127.0.0.1 serves this machine only)"
        )
    if error.errno == errno.EACCES:
        return f"{where}: not allowed to listen there (ports below 1024 need privileges); {listen.advice()}"
    return None


def _storage_problem(error: StorageUnavailable, variable: str) -> str:
    where = f"--data-dir {error.data_dir}"
    if isinstance(error, DatabaseInUse):
        holder = "another process" if error.holder_pid is None else f"process {error.holder_pid}"
        return (
            f"{where}: the database is in use by another Dramaturg server ({holder}); "
            f"stop that server, or give this one another folder with --data-dir or {variable}"
        )
    return f"{where}: {error.reason}; choose a folder this user can write with --data-dir or {variable}"
