"""`runtime.archives._safe_zip`: hostile ZIPs are refused with a reason, good ones read in full."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile

import pytest

from runtime.archives import UnsafeArchive, ZipLimits, read_zip_entries

MIB = 1024 * 1024


def build_zip(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns when asked to write a duplicate name
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for name, data in entries:
                archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def zeros_zip(name: str, size_bytes: int) -> bytes:
    """One deflated entry of zeros, written in chunks so the test never holds the whole of it."""
    buffer = io.BytesIO()
    chunk = bytes(MIB)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(name, "w") as entry,
    ):
        for _ in range(size_bytes // MIB):
            entry.write(chunk)
    return buffer.getvalue()


def patch_first_entry(data: bytes, local_offset: int, central_offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of the first entry in both its local header and its central header."""
    patched = bytearray(data)
    struct.pack_into(fmt, patched, local_offset, value)
    struct.pack_into(fmt, patched, patched.find(b"PK\x01\x02") + central_offset, value)
    return bytes(patched)


def refusal(data: bytes, limits: ZipLimits = ZipLimits()) -> str:
    with pytest.raises(UnsafeArchive) as caught:
        read_zip_entries(data, limits)
    return str(caught.value)


def test_reads_every_file_by_name_in_archive_order() -> None:
    data = build_zip([("b.json", b"{}"), ("a/c.bin", b"\x00\x01" * 500), ("d.txt", b"")])
    assert read_zip_entries(data) == {"b.json": b"{}", "a/c.bin": b"\x00\x01" * 500, "d.txt": b""}


def test_stored_entries_are_read_too() -> None:
    assert read_zip_entries(build_zip([("x", b"plain")], zipfile.ZIP_STORED)) == {"x": b"plain"}


def test_empty_directory_entries_are_left_out() -> None:
    assert read_zip_entries(build_zip([("dir/", b""), ("dir/file", b"1")])) == {"dir/file": b"1"}


def test_directory_entry_with_content_is_refused() -> None:
    assert refusal(build_zip([("dir/", b"sneaky")])) == "directory entry 'dir/' has content"


@pytest.mark.parametrize("data", [b"", b"hello, not a zip", b"PK\x03\x04" + bytes(100)])
def test_bytes_that_are_not_a_zip_are_refused(data: bytes) -> None:
    assert refusal(data) == "not a ZIP archive"


def test_every_truncation_is_refused() -> None:
    data = build_zip([("manifest.json", b'{"a": 1}' * 20), ("cover.png", bytes(range(256)))])
    for cut in range(len(data)):
        with pytest.raises(UnsafeArchive):
            read_zip_entries(data[:cut])


def test_corrupted_data_is_refused_by_its_checksum() -> None:
    data = bytearray(build_zip([("a.txt", b"hello world" * 10)], zipfile.ZIP_STORED))
    data[data.find(b"hello")] = ord("j")
    assert "Bad CRC-32" in refusal(bytes(data))


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/passwd", "entry name '/etc/passwd' is an absolute path"),
        ("C:/windows/evil", "entry name 'C:/windows/evil' is an absolute path"),
        ("../evil", "entry name '../evil' contains a '..' segment"),
        ("a/../../evil", "entry name 'a/../../evil' contains a '..' segment"),
        ("a\\b", "entry name 'a\\b' contains a backslash"),
        ("..\\evil", "entry name '..\\evil' contains a backslash"),
        ("a\nb", "entry name 'a\\nb' contains a control character"),
        ("a//b", "entry name 'a//b' contains an empty or '.' segment"),
        ("./a", "entry name './a' contains an empty or '.' segment"),
    ],
)
def test_unsafe_entry_names_are_refused(name: str, reason: str) -> None:
    assert refusal(build_zip([("ok.txt", b"1"), (name, b"2")])) == reason


def test_a_name_that_appears_twice_is_refused() -> None:
    assert refusal(build_zip([("a.json", b"1"), ("a.json", b"2")])) == "entry 'a.json' appears more than once"


def test_very_long_names_are_cut_in_the_message() -> None:
    reason = refusal(build_zip([("../" + "x" * 5000, b"")]))
    assert reason.endswith("…' contains a '..' segment") and len(reason) < 200


def test_encrypted_entries_are_refused() -> None:
    general_purpose_flags = (6, 8)  # offsets in the local and the central header
    data = patch_first_entry(build_zip([("secret", b"x")]), *general_purpose_flags, "<H", 0x1)
    assert refusal(data) == "entry 'secret' is encrypted"


def test_compression_methods_other_than_stored_and_deflate_are_refused() -> None:
    assert refusal(build_zip([("a", b"x" * 100)], zipfile.ZIP_BZIP2)) == (
        "entry 'a' uses compression method 12 (only stored and deflate)"
    )


def test_too_many_entries_are_refused() -> None:
    data = build_zip([(f"{index}.txt", b"") for index in range(4)])
    assert refusal(data, ZipLimits(max_entries=3)) == "more than 3 entries"
    assert len(read_zip_entries(data, ZipLimits(max_entries=4))) == 4


def test_default_limits_are_those_of_the_protocol() -> None:
    assert ZipLimits() == ZipLimits(max_entries=10_000, max_total_bytes=256 * MIB, max_entry_bytes=64 * MIB)


def test_an_entry_that_inflates_past_the_entry_limit_is_refused() -> None:
    bomb = zeros_zip("cover.png", 8 * MIB)
    assert len(bomb) < MIB // 10
    reason = refusal(bomb, ZipLimits(max_entry_bytes=MIB))
    assert reason == f"entry 'cover.png' is larger than {MIB} bytes once decompressed"


def test_entries_that_together_inflate_past_the_total_limit_are_refused() -> None:
    data = build_zip([(f"{index}.bin", bytes(MIB // 2)) for index in range(3)])
    limits = ZipLimits(max_total_bytes=MIB, max_entry_bytes=MIB)
    assert refusal(data, limits) == f"archive is larger than {MIB} bytes once decompressed"
    assert len(read_zip_entries(data, ZipLimits(max_total_bytes=2 * MIB))) == 3


def test_a_header_that_understates_the_size_does_not_let_more_bytes_through() -> None:
    uncompressed_size = (22, 24)  # offsets in the local and the central header
    data = patch_first_entry(zeros_zip("a", 4 * MIB), *uncompressed_size, "<I", 100)
    assert "Bad CRC-32" in refusal(data, ZipLimits(max_entry_bytes=MIB))


def test_a_header_that_overstates_the_size_is_not_held_against_the_archive() -> None:
    uncompressed_size = (22, 24)
    data = patch_first_entry(build_zip([("a", b"small")]), *uncompressed_size, "<I", 500 * MIB)
    assert read_zip_entries(data, ZipLimits(max_entry_bytes=MIB)) == {"a": b"small"}
