"""The only importer of the Rust extension `vpo._core`.

Everything above this module sees plain Python types, so it can be tested with scripted
batches. Paths are raw `bytes` (non-UTF-8 names survive); mtimes are integer nanoseconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from vpo import _core

# (path, size, mtime_ns, dev, ino)
Entry = tuple[bytes, int, int, int, int]
# (path, reason) of a directory or root that could not be read
WalkError = tuple[bytes, str]
Batch = tuple[list[Entry], list[WalkError]]

DEFAULT_EXTENSIONS = (
    "mkv", "mp4", "m4v", "avi", "mov", "webm", "ts", "m2ts", "wmv", "flv", "mpg", "mpeg",
)


@contextmanager
def walk(root: bytes, *, extensions: Sequence[str], follow_symlinks: bool = False,
         batch_size: int = 2048, threads: int = 0) -> Iterator[Iterator[Batch]]:
    """Batches of matching files under `root`, as the parallel walk finds them."""
    walker = _core.Walker(
        [root], extensions=list(extensions), follow_symlinks=follow_symlinks,
        skip_hidden=True, batch_size=batch_size, threads=threads,
    )
    try:
        yield iter(walker)
    finally:
        walker.close()


def fingerprints(paths: Sequence[bytes]) -> list[tuple[str | None, str | None]]:
    """Sampled content fingerprints, `(hex, None)` or `(None, reason)`, in input order."""
    return _core.fingerprint_files(list(paths)) if paths else []


def content_hashes(paths: Sequence[bytes]) -> list[tuple[str | None, str | None]]:
    """Full-content xxh3-128 hashes, computed in parallel, in input order."""
    return _core.hash_files(list(paths)) if paths else []


def core_version() -> str:
    return str(_core.__version__)
