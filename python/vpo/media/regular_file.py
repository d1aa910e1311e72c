"""Library files are read only when they are regular files.

Opening a FIFO for reading waits for a writer, forever; ffprobe, ffmpeg and libavformat
wait the same way on its name. A FIFO (anyone can make one) in place of a catalogued file
must cost VPO one error for that file, never a hang. Every adapter that reads a library
file comes through here (docs/security.md, "Files that are not files"):

- `open_regular`: VPO's own reads (the quick check, the PyAV probe, the apply lock, the
  journal, the descriptors mkvtoolnix is handed): opened with O_NONBLOCK, so the open
  itself cannot wait, then checked with fstat on that very descriptor (no race), then
  blocking again for the reads.
- `require_regular`: a stat, right before a tool is handed the name (ffprobe, ffmpeg).
  The file can still be swapped for a FIFO between this stat and the tool's own open.
  That takes someone who can write the library's folders, at that instant, and costs at
  most the wait a stuck tool costs anyway: a probe's timeout, a decode's timeout, or a
  tool VPO stops on a signal and that dies with VPO (media/children.py).
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

_KINDS = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISDIR, "directory"),
)


class NotRegularFileError(OSError):
    """`path` is a FIFO, a socket, a device or a directory: VPO does not read it as media.

    An OSError (EINVAL, as the Rust hashes report it), so every place that turns an
    unreadable file into that file's error does so for this one too: `strerror` is the
    reason ("not a regular file (FIFO)"), `filename` the path, `kind` the file's type."""

    def __init__(self, path: bytes, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", path)
        self.kind = kind


def kind_of(mode: int) -> str:
    """What a non-regular file is, as an error message names it."""
    return next((name for test, name in _KINDS if test(mode)), f"file type 0o{stat.S_IFMT(mode):o}")


def open_regular(path: bytes, flags: int = os.O_RDONLY) -> int:
    """A descriptor of `path` (following symlinks) opened with `flags`, in blocking mode,
    or NotRegularFileError (the descriptor closed) when it is not a regular file. Never
    waits in open(): not for a FIFO's writer, not for a terminal's carrier."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a device without its driver: say which
            require_regular(path)
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(path, kind_of(mode))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular_file(path: bytes) -> BinaryIO:
    """`open(path, "rb")`, refusing what is not a regular file."""
    return os.fdopen(open_regular(path), "rb")


def require_regular(path: bytes) -> os.stat_result:
    """`os.stat(path)`, or NotRegularFileError: before a tool is given the name."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFileError(path, kind_of(st.st_mode))
    return st
