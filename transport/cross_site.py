"""Who may send requests from where: the Host check against DNS rebinding, the Origin check against
cross-site requests, and CORS answers for the origins the operator allows. Pure; no I/O.

* `Host` must name this machine in a way no other site can: an IP literal (a page of another
  site that rebinds its name to this machine still sends its own name), `localhost`, or a name
  the operator allows (`--allowed-host`, with or without a port).
* `Origin`, when a browser sends it, must be the server's own (the request's scheme and Host) or
  an origin the operator allows (`--allowed-origin`). `Origin: null` is never allowed.
* Only allowed origins get CORS grants; the server's own pages need none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import attrs

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAME = "localhost"
CORS_MAX_AGE_S = 600
CORS_ALLOWED_HEADERS = "Authorization, Content-Type, X-File-Name"
CORS_ALLOWED_METHODS = "GET, POST"
CORS_EXPOSED_HEADERS = "Content-Disposition"


def split_host(value: str) -> tuple[str, int | None] | None:
    """`example.com:8080` → ("example.com", 8080); `[::1]` → ("::1", None); None when malformed."""
    value = value.strip()
    if not value or any(char.isspace() or char in "/@?#\\" for char in value):
        return None
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
    elif value.count(":") > 1:
        return None  # an IPv6 address must be bracketed in a Host header
    else:
        host, colon, port_text = value.partition(":")
        port_text = port_text if colon else None
    if not host:
        return None
    if port_text is None:
        return host.lower().rstrip("."), None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return host.lower().rstrip("."), int(port_text)


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def normalise_origin(value: str) -> str | None:
    """`HTTP://Example.com:80/` → `http://example.com`; None when it is not a scheme://host[:port]."""
    scheme, separator, rest = value.strip().partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in DEFAULT_PORTS:
        return None
    parsed = split_host(rest.rstrip("/"))
    if parsed is None:
        return None
    host, port = parsed
    shown_host = f"[{host}]" if ":" in host else host
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{shown_host}"
    return f"{scheme}://{shown_host}:{port}"


@attrs.frozen
class CrossSitePolicy:
    """The Host and Origin rules of the module docstring, over the operator's allowances."""

    allowed_origins: frozenset[str] = frozenset()
    allowed_host_names: frozenset[str] = frozenset()  # any port
    allowed_host_ports: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def build(cls, origins: Iterable[str], hosts: Iterable[str]) -> CrossSitePolicy:
        """Raises ValueError naming the first entry that is not an origin or a host."""
        normalised_origins = set()
        for origin in origins:
            normalised = normalise_origin(origin)
            if normalised is None:
                raise ValueError(f"--allowed-origin: {origin!r} is not scheme://host[:port] (http or https)")
            normalised_origins.add(normalised)
        names, ports = set(), set()
        for host in hosts:
            parsed = split_host(host)
            if parsed is None:
                raise ValueError(f"--allowed-host: {host!r} is not a host name with an optional :port")
            name, port = parsed
            if port is None:
                names.add(name)
            else:
                ports.add((name, port))
        return cls(frozenset(normalised_origins), frozenset(names), frozenset(ports))

    def host_refusal(self, host_header: str | None) -> str | None:
        """Why a request with this Host header is refused, or None when it is accepted."""
        if not host_header:
            return "a Host header is required"
        parsed = split_host(host_header)
        if parsed is None:
            return "the Host header is malformed"
        name, port = parsed
        if name == LOOPBACK_NAME or is_ip_literal(name) or name in self.allowed_host_names:
            return None
        if port is not None and (name, port) in self.allowed_host_ports:
            return None
        return f"host '{name}' is not served here (the operator may allow it with --allowed-host)"

    def origin_refusal(self, origin: str | None, scheme: str, host_header: str | None) -> str | None:
        """Why a request with this Origin is refused, or None (also when there is no Origin)."""
        if origin is None:
            return None
        normalised = normalise_origin(origin)
        if normalised is not None and normalised in self.allowed_origins:
            return None
        own = normalise_origin(f"{scheme}://{host_header}") if host_header else None
        if normalised is not None and normalised == own:
            return None
        shown = origin if len(origin) <= 100 else origin[:100] + "…"
        return f"cross-site request from origin {shown!r} refused (the operator may allow it with --allowed-origin)"

    def grants(self, origin: str | None) -> bool:
        """Whether `origin` is one the operator allowed, so its requests get CORS headers."""
        if origin is None:
            return False
        normalised = normalise_origin(origin)
        return normalised is not None and normalised in self.allowed_origins


def cors_headers(origin: str) -> dict[str, str]:
    """The headers that let an allowed origin's page read an answer."""
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": CORS_EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def preflight_headers(origin: str) -> dict[str, str]:
    """The answer to an allowed origin's preflight (`OPTIONS` with Access-Control-Request-Method)."""
    return {
        **cors_headers(origin),
        "Access-Control-Allow-Methods": CORS_ALLOWED_METHODS,
        "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS,
        "Access-Control-Max-Age": str(CORS_MAX_AGE_S),
    }
