"""File-level steps of an apply, shared by the executor, the recovery of a killed one and
undo: the per-file lock, syncing, removing. The sibling names are media/siblings.py's; a
library file is opened only when it is a regular file (media/regular_file.py).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from vpo.errors import VpoError
from vpo.media.regular_file import open_regular

log = logging.getLogger(__name__)


class ApplyFailed(VpoError):
    exit_code = 1
    code = "APPLY_FAILED"


@contextmanager
def file_lock(path: bytes, expected: tuple[int, int] | None = None) -> Iterator[int]:
    """Exclusive, non-blocking: a second apply on the same file fails at once. Yields the
    locked descriptor (a tool that inherits it holds the lock as long as it runs). With
    `expected` (size, mtime_ns), a file that changed before the lock was taken (another
    process applied a plan to it meanwhile) fails too: its plan was made for other tracks."""
    try:
        fd = open_regular(path)  # a FIFO is refused, never waited on
    except OSError as exc:
        raise ApplyFailed(f"cannot open the file: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApplyFailed("another VPO process is changing this file") from None
        if expected is not None:
            st = os.fstat(fd)
            try:
                now = os.stat(path)
            except OSError:
                now = None
            if (
                now is None
                or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino)
                or (st.st_size, st.st_mtime_ns) != expected
            ):
                raise ApplyFailed("the file changed while its plan was made; run `vpo scan` and try again")
        yield fd
    finally:
        os.close(fd)


@contextmanager
def lock_if_present(path: bytes) -> Iterator[None]:
    """The apply lock on `path` (ApplyFailed when a live process holds it); nothing to lock
    when there is no file (OSError when it is not a regular file)."""
    try:
        fd = open_regular(path)
    except FileNotFoundError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApplyFailed("another VPO process is changing this file") from None
        yield
    finally:
        os.close(fd)


def sync(path: bytes) -> None:
    fd = open_regular(path)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: bytes) -> None:
    """Make the renames in `folder` durable; best effort (not every platform can)."""
    try:
        fd = os.open(folder or b".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove(path: bytes) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
