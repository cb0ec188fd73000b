"""The Host and Origin rules of `transport.cross_site`, without a server."""

from __future__ import annotations

import pytest

from transport.cross_site import CrossSitePolicy, normalise_origin, split_host

POLICY = CrossSitePolicy.build(
    ["https://app.example", "http://tool.example:8081/"], ["dramaturg.example", "pi.lan:8443"]
)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("example.com:8080", ("example.com", 8080)),
        ("Example.COM.", ("example.com", None)),
        ("[::1]:80", ("::1", 80)),
        ("[::1]", ("::1", None)),
        ("::1", None),
        ("a b", None),
        ("x:0", None),
        ("x:99999", None),
        ("x:y", None),
        ("evil.example/path", None),
        ("user@evil.example", None),
        ("", None),
    ],
)
def test_host_values_are_parsed_strictly(value: str, parsed: tuple[str, int | None] | None) -> None:
    assert split_host(value) == parsed


@pytest.mark.parametrize(
    ("host", "accepted"),
    [
        ("127.0.0.1:8080", True),
        ("localhost:8080", True),
        ("LOCALHOST", True),
        ("[::1]:8080", True),
        ("192.168.1.20:8080", True),
        ("dramaturg.example", True),
        ("dramaturg.example:9999", True),
        ("pi.lan:8443", True),
        ("pi.lan:8080", False),
        ("evil.example:8080", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.evil.example", False),
        (None, False),
        ("", False),
    ],
)
def test_host_check(host: str | None, accepted: bool) -> None:
    assert (POLICY.host_refusal(host) is None) is accepted


@pytest.mark.parametrize(
    ("origin", "host", "accepted"),
    [
        (None, "127.0.0.1:8080", True),
        ("http://127.0.0.1:8080", "127.0.0.1:8080", True),
        ("HTTP://LOCALHOST:8080/", "localhost:8080", True),
        ("http://localhost:8080", "127.0.0.1:8080", False),
        ("https://127.0.0.1:8080", "127.0.0.1:8080", False),
        ("http://127.0.0.1:8081", "127.0.0.1:8080", False),
        ("http://example.com", "example.com:80", True),
        ("https://app.example", "127.0.0.1:8080", True),
        ("https://app.example:443", "127.0.0.1:8080", True),
        ("http://tool.example:8081", "127.0.0.1:8080", True),
        ("http://app.example", "127.0.0.1:8080", False),
        ("null", "127.0.0.1:8080", False),
        ("file://", "127.0.0.1:8080", False),
        ("garbage", "127.0.0.1:8080", False),
    ],
)
def test_origin_check(origin: str | None, host: str, accepted: bool) -> None:
    assert (POLICY.origin_refusal(origin, "http", host) is None) is accepted


def test_only_configured_origins_get_cors_grants() -> None:
    assert POLICY.grants("https://app.example")
    assert not POLICY.grants("http://127.0.0.1:8080") and not POLICY.grants(None)
    assert normalise_origin("https://App.Example:443/") == "https://app.example"
