"""File-level steps of an apply, shared by the executor and the recovery of a killed one:
the per-file lock, the hidden sibling names (remux outputs, backups), copying, syncing.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from vpo.errors import VpoError
from vpo.media.siblings import alive, hidden_sibling

log = logging.getLogger(__name__)

BACKUP_SUFFIX = b".vpo-backup"  # not a video extension: scans never catalogue backups


class ApplyFailed(VpoError):
    exit_code = 1
    code = "APPLY_FAILED"


def temp_sibling(path: bytes) -> bytes:
    """`/d/.vpo-tmp-PID-RANDOM.EXT`: where a remux writes. Same directory (atomic rename),
    hidden (never scanned), unique, and plain ASCII whatever the media file is called: it
    is the one name a tool (mkvmerge) is given, and mkvtoolnix mangles non-ASCII names."""
    folder, name = os.path.split(path)
    ext = os.path.splitext(name)[1]
    if not (ext[1:].isascii() and ext[1:].isalnum()):
        ext = b""
    return os.path.join(folder, f".vpo-tmp-{os.getpid()}-{secrets.token_hex(4)}".encode() + ext)


_TEMP_NAME = re.compile(rb"^\.vpo-tmp-(\d+)-[0-9a-f]{8}(\.[A-Za-z0-9]+)?$")


def remove_stale_temps(folder: bytes) -> list[bytes]:
    """Delete remux outputs that a dead apply left in `folder` (killed, power loss).
    Only temporaries: a leftover backup may be the one intact copy, and is never deleted."""
    removed: list[bytes] = []
    try:
        names = os.listdir(folder or b".")
    except OSError:
        return removed
    for entry in names:
        match = _TEMP_NAME.match(entry)
        if not match or alive(int(match.group(1))):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
            removed.append(os.path.join(folder, entry))
            log.info(
                "removed %s, left by process %s", os.fsdecode(os.path.join(folder, entry)), match.group(1)
            )
        except OSError:
            pass
    return removed


def backup_sibling(path: bytes) -> bytes:
    """`/d/.NAME.vpo-backup-PID.EXT` (the shared naming: a person can tell whose it is);
    never an existing file, which could be the only copy a crashed run left."""
    backup = hidden_sibling(path, "backup")
    while os.path.lexists(backup):
        stem, ext = os.path.splitext(backup)
        backup = stem + f"-{secrets.token_hex(2)}".encode() + ext
    return backup


@contextmanager
def file_lock(path: bytes, expected: tuple[int, int] | None = None) -> Iterator[None]:
    """Exclusive, non-blocking: a second apply on the same file fails at once. With
    `expected` (size, mtime_ns), a file that changed before the lock was taken (another
    process applied a plan to it meanwhile) fails too: its plan was made for other tracks."""
    try:
        fd = os.open(path, os.O_RDONLY)
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
        yield
    finally:
        os.close(fd)


@contextmanager
def lock_if_present(path: bytes) -> Iterator[None]:
    """The apply lock on `path` (ApplyFailed when a live process holds it); nothing to lock
    when there is no file."""
    try:
        fd = os.open(path, os.O_RDONLY)
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


def copy_file(src: bytes, dst: bytes) -> None:
    """A new file `dst` with the bytes of `src`: copy_file_range where the platform has it
    (a reflink on btrfs/XFS makes this nearly free), a plain copy otherwise."""
    try:
        with open(src, "rb") as fin, open(dst, "xb") as fout:
            if not copy_range(fin.fileno(), fout.fileno()):
                shutil.copyfileobj(fin, fout, 1 << 20)
    except OSError as exc:
        remove(dst)
        raise ApplyFailed(f"cannot copy the file: {exc.strerror or exc}") from None


def copy_range(fin: int, fout: int) -> bool:
    """True when copy_file_range copied everything; False when it cannot be used here
    (nothing was written then)."""
    copy_file_range = getattr(os, "copy_file_range", None)
    if copy_file_range is None:
        return False
    first = True
    while True:
        try:
            n = copy_file_range(fin, fout, 1 << 30)
        except OSError as exc:
            if first and exc.errno in (
                errno.EXDEV,
                errno.ENOSYS,
                errno.EOPNOTSUPP,
                errno.ENOTSUP,
                errno.EINVAL,
            ):
                return False
            raise
        if n == 0:
            return True
        first = False


def sync(path: bytes) -> None:
    fd = os.open(path, os.O_RDONLY)
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
