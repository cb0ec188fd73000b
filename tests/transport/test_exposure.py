"""The non-loopback rule: checked on the settings before anything is opened or bound. Only TEST-NET
addresses (192.0.2.0/24, 2001:db8::/32) are used as inputs; no test binds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from transport.cli import main
from transport.exposure import UnsafeExposure, exposure_problem, is_loopback_listen
from transport.server import run_server
from transport.settings import Settings


@pytest.mark.parametrize(
    ("listen", "loopback"),
    [
        ("127.0.0.1:8080", True),
        ("127.3.4.5:1", True),
        ("localhost:8080", True),
        ("[::1]:8080", True),
        ("unix:/run/dramaturg.sock", True),
        ("0.0.0.0:8080", False),
        ("[::]:8080", False),
        ("192.0.2.1:8080", False),
        ("[2001:db8::1]:8080", False),
        ("my-laptop.lan:8080", False),
    ],
)
def test_which_listen_addresses_count_as_loopback(listen: str, loopback: bool) -> None:
    assert is_loopback_listen(listen) is loopback


def test_a_token_or_the_explicit_opt_out_allows_a_network_address() -> None:
    exposed = Settings(listen="192.0.2.1:8080")
    assert "--auth-token" in (exposure_problem(exposed) or "")
    assert exposure_problem(Settings(listen="192.0.2.1:8080", auth_token="x" * 20)) is None
    assert exposure_problem(Settings(listen="192.0.2.1:8080", insecure_no_auth=True)) is None
    assert exposure_problem(Settings(listen="127.0.0.1:8080")) is None


def test_the_command_refuses_with_one_line_and_status_2_before_opening_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    assert main(["serve", "--listen", "192.0.2.1:8080", "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("dramaturg: refusing to listen on 192.0.2.1:8080")
    assert "--auth-token" in err and "--insecure-no-auth" in err
    assert not data_dir.exists()


async def test_run_server_refuses_before_opening_the_store(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with pytest.raises(UnsafeExposure):
        await run_server(Settings(listen="[2001:db8::1]:8080", data_dir=data_dir), lambda: None)  # type: ignore[arg-type,return-value]
    assert not data_dir.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--auth-token", "short"], "--auth-token: it must be at least 16 characters"),
        (["--auth-token", "has spaces in it, sixteen+"], "--auth-token: it must be printable ASCII without spaces"),
        (["--allowed-origin", "evil.example"], "--allowed-origin: 'evil.example' is not scheme://host[:port]"),
        (["--allowed-host", "a b"], "--allowed-host: 'a b' is not a host name"),
        (["--body-timeout-s", "0"], "--body-timeout-s: expected a positive number of seconds"),
    ],
)
def test_bad_security_flags_are_refused_by_name(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--data-dir", str(tmp_path / "data"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dramaturg: {message}") and err.count("\n") == 1
