"""Where the OS's file events can be trusted: not on network and user-space file systems,
whose changes made by other machines (or by the FUSE daemon) never reach inotify. The
decision is pure (`polling_reason`); `read_mounts` reads /proc/self/mountinfo."""

from __future__ import annotations

import os
import re

# nfs, nfs4, cifs, smb3, smbfs: changes made by other machines raise no event here;
# fuse.* (sshfs, rclone, mergerfs...), fuseblk (ntfs-3g), 9p (VMs, WSL): not reliably.
POLLED_TYPES = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse", "fuseblk", "9p"})
MOUNTINFO = "/proc/self/mountinfo"
_ESCAPE = re.compile(rb"\\([0-7]{3})")

Mount = tuple[bytes, str]  # (mount point, file system type)


def parse_mountinfo(text: bytes) -> list[Mount]:
    """(mount point, fs type) of each line of /proc/PID/mountinfo (proc(5)): the fifth field
    is the mount point (spaces and the like as octal escapes), the type follows ` - `."""
    mounts = []
    for line in text.splitlines():
        fields = line.split(b" ")
        if b"-" not in fields or len(fields) < 5:
            continue
        after = fields[fields.index(b"-") + 1 :]
        if not after:
            continue
        point = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), fields[4])
        mounts.append((point, after[0].decode("ascii", "replace")))
    return mounts


def fs_type(path: bytes, mounts: list[Mount]) -> str | None:
    """The type of the file system holding `path` (absolute, symlinks resolved): that of
    the longest mount point it is at or under (the last such mount wins: it is on top)."""
    best: tuple[int, str] | None = None
    for point, kind in mounts:
        base = point.rstrip(b"/")
        under = path in (point, base) or path.startswith(base + b"/")
        if under and (best is None or len(base) >= best[0]):
            best = (len(base), kind)
    return best[1] if best else None


def polling_reason(kind: str | None, *, forced: bool) -> str | None:
    """Why a root is polled instead of watched with events (None: events are trusted)."""
    if forced:
        return "watch.poll is true"
    if kind is not None and (kind in POLLED_TYPES or kind.startswith("fuse.")):
        return f"{kind} file system: changes made elsewhere raise no events here"
    return None


def read_mounts() -> list[Mount]:
    """This process's mount table; empty where there is none (macOS: events are trusted)."""
    try:
        with open(MOUNTINFO, "rb") as fh:
            return parse_mountinfo(fh.read())
    except OSError:
        return []


def root_fs_type(root: bytes) -> str | None:
    return fs_type(os.path.realpath(root), read_mounts())
