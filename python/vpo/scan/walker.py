"""The only importer of the Rust extension `vpo._core`.

Everything above this module sees plain Python types, so it can be tested with scripted
batches. Paths are raw `bytes` (non-UTF-8 names survive); mtimes are integer nanoseconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import NamedTuple

from vpo import _core
from vpo.catalogue import Entry

# (path, reason) of a directory or root that could not be read
WalkError = tuple[bytes, str]
Batch = tuple[list[Entry], list[WalkError]]


class Trusted(NamedTuple):
    """Catalogue rows a walk may skip unseen: `sql` returns (path, size, mtime_ns) from the
    SQLite file `database`, which the walker opens itself."""

    database: str
    sql: str
    params: tuple[bytes, ...]


class TrustedCopy(NamedTuple):
    """The same rows as PostgreSQL's binary COPY of (path, size, mtime_ns), in chunks of
    bytes; the walker reads them all while its walk starts."""

    chunks: Iterator[bytes]


class Walk:
    """Iterate for batches; with `trusted`, entries equal to their row are only counted."""

    def __init__(self, walker: _core.Walker) -> None:
        self._walker = walker

    def __iter__(self) -> Iterator[Batch]:
        return iter(self._walker)

    @property
    def unchanged(self) -> int:
        """Entries skipped so far because they equal their trusted row."""
        return self._walker.unchanged

    def unseen(self) -> list[bytes]:
        """Trusted rows whose path the walk did not find (once iteration has ended)."""
        return self._walker.unseen()


@contextmanager
def walk(
    root: bytes,
    *,
    extensions: Sequence[str],
    follow_symlinks: bool = False,
    batch_size: int = 2048,
    threads: int = 0,
    trusted: Trusted | TrustedCopy | None = None,
) -> Iterator[Walk]:
    """Batches of matching files under `root`, as the parallel walk finds them.

    Raises `sqlite3.DatabaseError` if the `trusted` rows cannot be read.
    """
    unchanged = (
        (trusted.database, trusted.sql, list(trusted.params)) if isinstance(trusted, Trusted) else None
    )
    copied = trusted.chunks if isinstance(trusted, TrustedCopy) else None
    try:
        walker = _core.Walker(
            [root],
            extensions=list(extensions),
            follow_symlinks=follow_symlinks,
            skip_hidden=True,
            batch_size=batch_size,
            threads=threads,
            unchanged=unchanged,
            unchanged_copy=copied,
        )
    except _core.VpoCoreError as exc:
        if trusted is None:
            raise
        # Reading the trusted rows failed inside SQLite (a damaged page, say) or the COPY
        # data was not what was asked for: the error the database module would raise, so
        # callers handle both alike.
        raise sqlite3.DatabaseError(str(exc)) from None
    finally:
        if isinstance(copied, Generator):
            copied.close()  # read to its end, or given up on: either way the COPY is over
    try:
        yield Walk(walker)
    finally:
        walker.close()


@cache
def can_read_catalogue() -> bool:
    """True when the extension and Python's `sqlite3` share one SQLite library in memory.

    Two copies of SQLite in one process must not open the same database file (closing
    it in one drops the other's POSIX locks); with a Python whose `sqlite3` carries its
    own SQLite, scans do all the comparing in Python instead.
    """
    try:
        import _sqlite3
    except ImportError:
        return False
    module_file = getattr(_sqlite3, "__file__", None)
    if not isinstance(module_file, str):
        return False  # built into the interpreter: cannot tell, so do not share
    return _core.same_sqlite(module_file)


def fingerprints(paths: Sequence[bytes]) -> list[tuple[str | None, str | None]]:
    """Sampled content fingerprints, `(hex, None)` or `(None, reason)`, in input order."""
    return _core.fingerprint_files(list(paths)) if paths else []


def content_hashes(paths: Sequence[bytes]) -> list[tuple[str | None, str | None]]:
    """Full-content xxh3-128 hashes, computed in parallel, in input order."""
    return _core.hash_files(list(paths)) if paths else []


def matroska_layout(fd: int, size: int) -> tuple[int, int]:
    """`(first_cluster, tail)` of the Matroska file open as `fd` (media/ebml_layout.py);
    ValueError with the reason when its headers cannot be located."""
    return _core.matroska_layout(fd, size)


def core_version() -> str:
    return str(_core.__version__)
