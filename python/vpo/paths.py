"""File names are bytes at the boundaries (OS, database) and `str` only for people and JSON.

Non-UTF-8 names survive as surrogateescape-decoded `str` (`os.fsdecode`), which the JSON
encoder writes as `\\udcXX` escapes; `os.fsencode` turns them back into the raw bytes.
"""

from __future__ import annotations

import os
from pathlib import Path


def to_bytes(path: str | bytes | os.PathLike) -> bytes:
    return os.fsencode(path)


def absolute(path: str | bytes | os.PathLike) -> bytes:
    """Absolute and normalised (`..` folded) without resolving symlinks, no trailing slash."""
    raw = os.path.abspath(os.fsencode(path))
    return raw


def display(path: bytes | str | os.PathLike) -> str:
    """The str form used for people and JSON (surrogateescape for non-UTF-8 bytes)."""
    return os.fsdecode(path)


def printable(path: bytes | str | os.PathLike) -> str:
    """For terminals: undecodable bytes shown as `\\xNN` rather than crashing the console."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def under_range(root: bytes) -> tuple[bytes, bytes]:
    """Byte range [lo, hi) holding every path strictly under `root` (`/a/tv` never `/a/tv2`).

    '0' is the byte after '/', so `root + b"/"` <= p < `root + b"0"` selects exactly the
    paths that start with `root/`. No LIKE, so `%` and `_` in names need no escaping.
    """
    prefix = root if root.endswith(b"/") else root + b"/"
    return prefix, prefix[:-1] + b"0"


def as_path(raw: bytes) -> Path:
    return Path(os.fsdecode(raw))
