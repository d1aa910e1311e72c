"""Typed stub of VPO's private Rust extension (rust/src/lib.rs).

Import it from one module only (scan/walker.py); everything else talks to that.
"""

import os
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import final

__all__ = [
    "VpoCoreError",
    "Walker",
    "__version__",
    "fingerprint_files",
    "hash_files",
    "matroska_layout",
    "same_sqlite",
]

__version__: str

class VpoCoreError(Exception):
    """Failure inside vpo._core that is not a plain OS error."""

_Path = str | bytes | os.PathLike[str] | os.PathLike[bytes]

# (path, size, mtime_ns, dev, ino): path is the absolute OS path as raw bytes
# (os.fsdecode it for display), mtime_ns is integer nanoseconds since the epoch.
_Entry = tuple[bytes, int, int, int, int]
# (path, message) for a root or directory that could not be read.
_WalkError = tuple[bytes, str]

@final
class Walker:
    """Parallel walk of `roots` for files with the given extensions.

    The walk starts on construction, in background threads. Iterating yields
    batches `(entries, errors)` of at most `batch_size` entries; a batch may
    hold only errors. `close()` (or leaving a `with` block) stops the walk.

    `unchanged=(database, sql, params)`: while the walk starts, the rows of
    `sql` (path BLOB, size, mtime_ns) are read from that SQLite file (blob
    parameters `params`); entries equal to their row are counted in
    `unchanged` instead of being yielded, and `unseen()` returns the rows'
    paths the walk never found. Raises VpoCoreError if they cannot be read.
    Use only when `same_sqlite` holds for Python's `_sqlite3`.

    `unchanged_copy`: the same, with the rows of a PostgreSQL binary COPY
    (`COPY (SELECT path, size, mtime_ns ...) TO STDOUT (FORMAT BINARY)`),
    an iterable of its bytes in chunks of any size, read to its end while
    the walk starts; an error the iterable raises is raised as it is, data
    that is not such a COPY is a VpoCoreError. A row whose size or mtime is
    NULL, or whose size is negative, is left to the caller. Not both.
    """

    def __new__(
        cls,
        roots: Sequence[_Path],
        *,
        extensions: Sequence[str],
        follow_symlinks: bool = False,
        skip_hidden: bool = True,
        batch_size: int = 2048,
        threads: int = 0,
        unchanged: tuple[_Path, str, Sequence[bytes]] | None = None,
        unchanged_copy: Iterable[bytes] | None = None,
    ) -> Walker: ...
    @property
    def unchanged(self) -> int: ...
    def unseen(self) -> list[bytes]: ...
    def __iter__(self) -> Walker: ...
    def __next__(self) -> tuple[list[_Entry], list[_WalkError]]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Walker: ...
    def __exit__(
        self,
        *exc: type[BaseException] | BaseException | TracebackType | None,
    ) -> None: ...

def fingerprint_files(
    paths: Sequence[_Path],
    *,
    sample_size: int = 65536,
    threads: int = 0,
) -> list[tuple[str | None, str | None]]:
    """Sampled XXH3-128 fingerprints (32 hex chars), one per path, in order:
    `(hex, None)` on success, `(None, message)` if the file could not be read."""

def hash_files(
    paths: Sequence[_Path],
    *,
    threads: int = 0,
) -> list[tuple[str | None, str | None]]:
    """Full-content XXH3-128 digests (32 hex chars), one per path, in order:
    `(hex, None)` on success, `(None, message)` if the file could not be read."""

def same_sqlite(module_file: _Path) -> bool:
    """True when the already-loaded library `module_file` resolves
    `sqlite3_libversion` to the same SQLite this extension uses."""

def matroska_layout(fd: int, size: int) -> tuple[int, int]:
    """`(first_cluster, tail)` of the Matroska file open as `fd` (of length `size`; read
    with pread, its offset stays): ValueError with the reason when its headers cannot be
    located, OSError when it cannot be read (media/ebml_layout.py)."""
