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


def remove_stale(path: bytes, tag: str) -> list[bytes]:
    """Delete `hidden_sibling(path, tag)` files left by processes that no longer exist."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    pattern = re.compile(re.escape(b"." + stem + f".vpo-{tag}-".encode()) + rb"(\d+)" + re.escape(ext) + rb"$")
    removed = []
    try:
        names = os.listdir(folder or b".")
    except OSError:
        return removed
    for entry in names:
        match = pattern.match(entry)
        if not match:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or _alive(pid):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
            removed.append(os.path.join(folder, entry))
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
