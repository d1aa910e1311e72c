"""media/regular_file.py: what is not a regular file is refused by name, and never waited on."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from vpo.media.regular_file import NotRegularFileError, open_regular, require_regular


def test_a_regular_file_opens_in_blocking_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.mkv"
    path.write_bytes(b"data")
    fd = open_regular(os.fsencode(path))
    try:
        assert os.read(fd, 10) == b"data"
        assert os.get_blocking(fd)
    finally:
        os.close(fd)
    assert require_regular(os.fsencode(path)).st_size == 4


def test_a_fifo_is_refused_without_a_writer(tmp_path: Path) -> None:
    path = os.fsencode(tmp_path / "b.mkv")
    os.mkfifo(path)
    for check in (open_regular, require_regular):
        with pytest.raises(NotRegularFileError) as caught:
            check(path)
        assert (caught.value.strerror, caught.value.filename, caught.value.kind) == (
            "not a regular file (FIFO)",
            path,
            "FIFO",
        )
        assert isinstance(caught.value, OSError)


def test_a_socket_and_a_directory_are_named(tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "c.mkv"))
        with pytest.raises(NotRegularFileError, match=r"not a regular file \(socket\)"):
            open_regular(os.fsencode(tmp_path / "c.mkv"))
    finally:
        sock.close()
    with pytest.raises(NotRegularFileError, match=r"not a regular file \(directory\)"):
        open_regular(os.fsencode(tmp_path))


def test_a_missing_file_is_the_usual_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_regular(os.fsencode(tmp_path / "gone.mkv"))
