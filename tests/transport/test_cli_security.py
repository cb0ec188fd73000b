"""Security flags and their environment variables become the Settings record (and nothing else)."""

from __future__ import annotations

import pytest

from transport.cli import build_parser, settings_from
from transport.serve_command import with_generated_token
from transport.settings import Settings


def parse(argv: list[str]) -> Settings:
    return settings_from(build_parser().parse_args(["serve", *argv]))


def test_defaults_ask_for_no_token_and_allow_nothing_extra() -> None:
    settings = parse([])
    assert settings.auth_token is None and not settings.insecure_no_auth
    assert settings.allowed_origins == () and settings.allowed_hosts == ()
    assert settings.body_timeout_s == 60.0


def test_repeated_and_comma_separated_flags_are_one_list() -> None:
    settings = parse(
        ["--allowed-origin", "https://a.example,https://b.example", "--allowed-origin", "http://c.example:81"]
    )
    assert settings.allowed_origins == ("https://a.example", "https://b.example", "http://c.example:81")
    assert parse(["--allowed-host", "x.example", "--allowed-host", "y.example:8443"]).allowed_hosts == (
        "x.example",
        "y.example:8443",
    )


def test_environment_variables_stand_for_the_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAMATURG_AUTH_TOKEN", "env-token-0123456789")
    monkeypatch.setenv("DRAMATURG_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("DRAMATURG_ALLOWED_HOSTS", "x.example")
    monkeypatch.setenv("DRAMATURG_INSECURE_NO_AUTH", "1")
    monkeypatch.setenv("DRAMATURG_BODY_TIMEOUT_S", "5")
    settings = parse([])
    assert settings.auth_token == "env-token-0123456789"
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.allowed_hosts == ("x.example",) and settings.insecure_no_auth and settings.body_timeout_s == 5.0
    assert "env-token" not in repr(settings)


def test_a_generated_token_is_printed_once_and_kept(capsys: pytest.CaptureFixture[str]) -> None:
    settings = with_generated_token(parse(["--auth-token", "generate"]))
    assert settings.auth_token is not None and len(settings.auth_token) >= 32
    out = capsys.readouterr().out
    assert out.count(settings.auth_token) == 1
    assert with_generated_token(settings) is settings
    assert capsys.readouterr().out == ""
