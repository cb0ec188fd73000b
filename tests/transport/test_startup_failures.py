"""Every start-up and configuration problem of `dramaturg serve` and `dramaturg llm-stub` is one line
on stderr that names the flag or resource, with exit status 2 and no traceback.

The real command runs as a subprocess. Nothing here binds a non-loopback address: 192.0.2.1 is a
TEST-NET address this machine does not have (its bind fails), and `.invalid` names never resolve.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from tests.support.processes import ServerProcess, free_port

CLEAN_ENV = {key: value for key, value in os.environ.items() if not key.startswith("DRAMATURG_")}


async def dramaturg(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return await trio.run_process(
        [sys.executable, "-m", "transport", *args],
        env={**CLEAN_ENV, **(env or {})},
        cwd=cwd,
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )


def one_line_refusal(result: subprocess.CompletedProcess[bytes], *fragments: str) -> str:
    """The refusal's line, after checking its shape: status 2, one line, no traceback, nothing on stdout."""
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("dramaturg: "), err
    assert "Traceback" not in err and result.stdout == b""
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.fixture
def occupied_port() -> Iterator[int]:
    """A loopback port with a listening socket on it."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


async def test_a_port_in_use_is_named_with_its_flag(occupied_port: int, tmp_path: Path) -> None:
    result = await dramaturg("serve", "--listen", f"127.0.0.1:{occupied_port}", "--data-dir", str(tmp_path / "data"))
    one_line_refusal(result, f"--listen 127.0.0.1:{occupied_port}", "already in use", "DRAMATURG_LISTEN")
    assert not (tmp_path / "data").exists()  # found before anything was created


async def test_the_stub_names_its_own_variable_for_a_port_in_use(occupied_port: int) -> None:
    result = await dramaturg("llm-stub", env={"DRAMATURG_STUB_LISTEN": f"127.0.0.1:{occupied_port}"})
    one_line_refusal(result, f"--listen 127.0.0.1:{occupied_port}", "already in use", "DRAMATURG_STUB_LISTEN")


async def test_a_port_without_a_host_is_refused_before_anything_runs() -> None:
    result = await dramaturg("serve", "--listen", "8481")
    one_line_refusal(result, "--listen: expected HOST:PORT such as 127.0.0.1:8481", "'8481'")


async def test_an_address_of_another_machine_cannot_be_served(tmp_path: Path) -> None:
    listen = f"192.0.2.1:{free_port()}"
    result = await dramaturg("serve", "--listen", listen, "--insecure-no-auth", "--data-dir", str(tmp_path / "d"))
    one_line_refusal(result, f"--listen {listen}", "not an address of this machine")


async def test_a_host_name_that_does_not_resolve_is_named(tmp_path: Path) -> None:
    result = await dramaturg(
        "serve", "--listen", "no-such-host.invalid:8080", "--insecure-no-auth", "--data-dir", str(tmp_path / "d")
    )
    one_line_refusal(
        result, "--listen no-such-host.invalid:8080", "cannot resolve the host name 'no-such-host.invalid'"
    )


async def test_a_second_server_on_the_same_data_directory_is_told_who_holds_it(tmp_path: Path) -> None:
    first = ServerProcess(tmp_path / "data")
    await first.start()
    try:
        result = await dramaturg("serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(first.data_dir))
    finally:
        await first.terminate()
    assert first.process is not None
    one_line_refusal(
        result, f"--data-dir {first.data_dir}", "in use by another Dramaturg server", f"process {first.process.pid}"
    )


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--log-level", "verbose"], {}, "--log-level: expected one of DEBUG, INFO, WARNING, ERROR, got 'verbose'"),
        ([], {"DRAMATURG_LOG_LEVEL": "verbose"}, "DRAMATURG_LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR"),
        ([], {"DRAMATURG_MAX_UPLOAD_BYTES": "32 parsecs"}, "DRAMATURG_MAX_UPLOAD_BYTES: expected a positive size"),
        (["--max-upload-bytes", "0"], {}, "--max-upload-bytes: expected a positive size in bytes"),
        (["--log-format", "xml"], {}, "--log-format: expected one of logfmt, json, got 'xml'"),
        ([], {"DRAMATURG_INSECURE_NO_AUTH": "maybe"}, "DRAMATURG_INSECURE_NO_AUTH: expected 1 or 0"),
        (["--no-such-flag"], {}, "unrecognized arguments: --no-such-flag"),
    ],
)
async def test_a_bad_flag_or_variable_is_one_line(args: list[str], env: dict[str, str], fragment: str) -> None:
    one_line_refusal(await dramaturg("serve", *args, env=env), fragment)


async def test_a_bad_variable_never_breaks_help() -> None:
    bad = {"DRAMATURG_MAX_UPLOAD_BYTES": "32 parsecs", "DRAMATURG_LOG_LEVEL": "verbose", "DRAMATURG_LISTEN": "8481"}
    result = await dramaturg("serve", "--help", env=bad)
    assert result.returncode == 0 and b"DRAMATURG_MAX_UPLOAD_BYTES" in result.stdout


async def test_a_data_directory_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = await dramaturg(
        "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(tmp_path / "a-file" / "data")
    )
    err = one_line_refusal(
        result, f"--data-dir {tmp_path / 'a-file' / 'data'}", "cannot create the folder", "DRAMATURG_DATA_DIR"
    )
    assert err.count(str(tmp_path / "a-file" / "data")) == 1, err  # the folder is named once


async def test_a_data_directory_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    result = await dramaturg("serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(tmp_path / "data"))
    one_line_refusal(result, f"--data-dir {tmp_path / 'data'}", "it is a file, not a folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
async def test_a_data_directory_this_user_cannot_write_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = await dramaturg("serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(locked / "data"))
    one_line_refusal(result, f"--data-dir {locked / 'data'}", "cannot create the folder (Permission denied)")


async def test_a_static_directory_that_does_not_exist_is_named(tmp_path: Path) -> None:
    result = await dramaturg("serve", "--static-dir", str(tmp_path / "client"))
    one_line_refusal(result, "--static-dir: expected an existing directory", str(tmp_path / "client"))


async def test_debug_shows_the_traceback_after_the_line(occupied_port: int, tmp_path: Path) -> None:
    result = await dramaturg(
        "serve", "--debug", "--listen", f"127.0.0.1:{occupied_port}", "--data-dir", str(tmp_path / "data")
    )
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" in err
    assert err.splitlines()[-1].startswith(
        f"dramaturg: --listen 127.0.0.1:{occupied_port}: the address is already in use"
    )
