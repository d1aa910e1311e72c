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


def make_private_folders(folder: Path) -> None:
    """Create `folder` and each of its missing parents 0700 (`mkdir(parents=True,
    mode=0o700)` gives the parents the umask's mode, 0755 mostly): a log or catalogue
    names the library's files, and so does the name of every folder on the way. Folders
    that exist are left as they are. OSError says which part is in the way."""
    missing: list[Path] = []
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    if not missing and not folder.is_dir():
        # mkdir's "File exists" for a regular file where the folder should be reads as nonsense
        raise NotADirectoryError(f"{folder} is not a directory")
    for part in reversed(missing):
        try:
            part.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile, by another process
            if not part.is_dir():
                raise NotADirectoryError(f"{part} is not a directory") from None


def within(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or inside it, as plain strings (`/a/tv2` is not in `/a/tv`)."""
    folder = folder.rstrip("/") or "/"
    path = path.rstrip("/") or "/"
    return path == folder or path.startswith(folder if folder == "/" else folder + "/")
