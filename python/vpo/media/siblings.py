"""Temporary and backup files beside a media file: same directory (so a rename is atomic),
hidden names (so no scan ever catalogues them), the writer's pid in the name (so leftovers
of a dead process can be recognised and removed)."""

from __future__ import annotations

import os
import re


def hidden_sibling(path: bytes, tag: str) -> bytes:
    """`/d/.NAME.vpo-TAG-PID.EXT` for `/d/NAME.EXT`."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    return os.path.join(folder, b"." + stem + f".vpo-{tag}-{os.getpid()}".encode() + ext)


def stale_siblings(path: bytes, tag: str) -> list[tuple[bytes, int]]:
    """`(sibling, pid)` for each `hidden_sibling(path, tag)` (also with the `-XXXX` suffixes
    a name taken already gets) whose process no longer exists, oldest name first."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    pattern = re.compile(
        re.escape(b"." + stem + f".vpo-{tag}-".encode()) + rb"(\d+)(?:-[0-9a-f]{4})*" + re.escape(ext) + rb"$"
    )
    try:
        names = sorted(os.listdir(folder or b"."))
    except OSError:
        return []
    found = []
    for entry in names:
        match = pattern.match(entry)
        if match and not alive(int(match.group(1))):
            found.append((os.path.join(folder, entry), int(match.group(1))))
    return found


def remove_stale(path: bytes, tag: str) -> list[bytes]:
    """Delete `hidden_sibling(path, tag)` files left by processes that no longer exist."""
    removed = []
    for sibling, _pid in stale_siblings(path, tag):
        try:
            os.unlink(sibling)
            removed.append(sibling)
        except OSError:
            pass
    return removed


def alive(pid: int) -> bool:
    """Whether process `pid` exists (this one always does; another user's counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:  # not a pid at all (a name with a huge number)
        return False
    return True
