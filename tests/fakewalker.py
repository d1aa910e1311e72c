"""A scripted library for the scan service's tests (STYLE.md, "Script the extension in
service tests"; watchfiles' tests replace `RustNotify` with a `MockRustNotify`).

`FakeLibrary` stands in for everything a scan learns from outside Python, at the three
places it asks, and nowhere deeper:

- `vpo.scan.walker.walk`: the walk, batches of `Entry` rows `(path, size, mtime_ns, dev,
  ino)` and the directories it could not read; with `Trusted`, the walker's unchanged-file
  filter, done as rust/src/known.rs does it: the query runs on the catalogue, entries equal
  to their row (size, and mtime to the nanosecond) are only counted, and `unseen()` lists
  the rows the walk did not find;
- `vpo.scan.walker.fingerprints` and `content_hashes`: the scripted values;
- `vpo.scan.service.ProbePool`: the probe workers, answering each file at once with its
  scripted `ProbeResult` or error.

The diff, the writer, the job and the catalogue (a real SQLite file) are the real ones.
Files are scripted by name under a real, empty root directory (the scan checks that its
roots exist). The real walker keeps its own tests (tests/integration/test_scan_trusted.py,
`cargo test`), and the CLI tests keep scanning real media.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from vpo.catalogue import Entry
from vpo.media.models import ProbeResult, Track
from vpo.media.probe_pool import ProbeOutcome
from vpo.scan import walker

HOUR_NS = 3600 * 10**9
RESULT = ProbeResult(
    container="matroska",
    duration_seconds=1.0,
    tracks=(Track(index=0, type="video", codec="h264", width=64, height=48),),
)


@dataclass(frozen=True)
class FakeFile:
    size: int
    mtime_ns: int
    ino: int
    fingerprint: str | None
    probe: ProbeResult | str  # what the prober says: the result, or its error
    content_hash: str | None = None


class Walked(NamedTuple):
    """One call of `walk`: its root and whether it was handed the trusted rows."""

    root: bytes
    trusted: bool


@dataclass
class FakeWalk:
    """What `walker.walk` yields: iterate for batches; `unchanged`, `unseen()` as walker.Walk."""

    batches: list[walker.Batch]
    rows: dict[bytes, tuple[int, int]] = field(default_factory=dict)  # trusted path -> size, mtime
    unchanged: int = 0
    _seen: set[bytes] = field(default_factory=set)

    def __iter__(self) -> Iterator[walker.Batch]:
        for entries, errors in self.batches:
            kept = []
            for entry in entries:
                row = self.rows.get(entry[0])
                if row is not None:
                    self._seen.add(entry[0])
                if row == (entry[1], entry[2]):
                    self.unchanged += 1  # counted, never handed over
                else:
                    kept.append(entry)
            yield kept, errors

    def unseen(self) -> list[bytes]:
        return sorted(set(self.rows) - self._seen)


class FakeProbePool:
    """media/probe_pool.py's face (submit, get, pending, close), answering at once."""

    def __init__(self, library: FakeLibrary) -> None:
        self.library = library
        self._done: deque[ProbeOutcome] = deque()
        self.pending = 0
        self.closed = False

    def submit(self, item: Any, path: bytes) -> None:
        self.library.probed.append(path)
        found = self.library.files.get(path)
        probe = found.probe if found else "No such file or directory"
        if isinstance(probe, str):
            self._done.append(ProbeOutcome(item, None, probe, 0.001))
        else:
            self._done.append(ProbeOutcome(item, probe, None, 0.001))
        self.pending += 1

    def get(self, timeout: float | None = None) -> ProbeOutcome | None:
        if not self._done:
            return None
        self.pending -= 1
        return self._done.popleft()

    def close(self) -> None:
        self.closed = True


class FakeLibrary:
    """Video files by name under `root`, as the walker, the hashes and the probers see them.
    Files are an hour old unless told (a scan distrusts mtimes within 2 s of its start)."""

    def __init__(self, root: Path, *, batch_size: int = 2) -> None:
        self.root = os.fsencode(root)
        self.batch_size = batch_size  # small, so a handful of files spans several batches
        self.files: dict[bytes, FakeFile] = {}
        self.unreadable: dict[bytes, str] = {}  # directory -> the walk's reason
        self.walks: list[Walked] = []
        self.probed: list[bytes] = []
        self.fingerprinted: list[bytes] = []
        self._inodes = itertools.count(1000)

    def path(self, name: str) -> bytes:
        return os.path.join(self.root, os.fsencode(name))

    # -- scripting -----------------------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        size: int = 1000,
        mtime_ns: int | None = None,
        fingerprint: str | None = None,
        probe: ProbeResult | str = RESULT,
    ) -> bytes:
        """A file; its fingerprint defaults to one of its own (no other file has it)."""
        path = self.path(name)
        ino = next(self._inodes)
        mtime = time.time_ns() - HOUR_NS if mtime_ns is None else mtime_ns
        self.files[path] = FakeFile(size, mtime, ino, fingerprint or f"{ino:032x}", probe)
        return path

    def change(self, name: str, **changes: Any) -> bytes:
        """New size, mtime_ns, fingerprint, probe or content_hash for a file."""
        path = self.path(name)
        self.files[path] = replace(self.files[path], **changes)
        return path

    def move(self, old: str, new: str) -> bytes:
        """A rename: the same file (inode, size, mtime, content) under a new name."""
        path = self.path(new)
        self.files[path] = self.files.pop(self.path(old))
        return path

    def remove(self, name: str) -> None:
        del self.files[self.path(name)]

    def cannot_read(self, directory: str, reason: str = "Permission denied") -> None:
        self.unreadable[self.path(directory).rstrip(b"/")] = reason

    # -- the fakes -----------------------------------------------------------------------

    @contextmanager
    def walk(
        self,
        root: bytes,
        *,
        extensions: Sequence[str],
        follow_symlinks: bool = False,
        batch_size: int = 2048,
        threads: int = 0,
        trusted: walker.Trusted | None = None,
    ) -> Iterator[FakeWalk]:
        self.walks.append(Walked(root, trusted is not None))
        rows = _trusted_rows(trusted) if trusted else {}
        errors = [(d, why) for d, why in sorted(self.unreadable.items()) if _under(d, root) or d == root]
        entries = [self._entry(p) for p in sorted(self.files) if self._found(p, root, extensions)]
        batches: list[walker.Batch] = [
            (entries[i : i + self.batch_size], []) for i in range(0, len(entries), self.batch_size)
        ] or [([], [])]
        batches[0] = (batches[0][0], errors)
        yield FakeWalk(batches, rows)

    def fingerprints(self, paths: Sequence[bytes]) -> list[tuple[str | None, str | None]]:
        self.fingerprinted += paths
        return [(f.fingerprint, None) if (f := self.files.get(p)) else (None, "gone") for p in paths]

    def content_hashes(self, paths: Sequence[bytes]) -> list[tuple[str | None, str | None]]:
        return [
            (f.content_hash or f"{f.fingerprint}-all", None) if (f := self.files.get(p)) else (None, "gone")
            for p in paths
        ]

    def probe_pool(self, config: object, *, workers: int) -> FakeProbePool:
        return FakeProbePool(self)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from vpo.scan import service

        monkeypatch.setattr(walker, "walk", self.walk)
        monkeypatch.setattr(walker, "fingerprints", self.fingerprints)
        monkeypatch.setattr(walker, "content_hashes", self.content_hashes)
        # The fake reads the catalogue with Python's own sqlite3: it always can.
        monkeypatch.setattr(walker, "can_read_catalogue", lambda: True)
        monkeypatch.setattr(service, "ProbePool", self.probe_pool)

    # -- what the walk finds ---------------------------------------------------------------

    def _entry(self, path: bytes) -> Entry:
        f = self.files[path]
        return (path, f.size, f.mtime_ns, 1, f.ino)

    def _found(self, path: bytes, root: bytes, extensions: Sequence[str]) -> bool:
        """Under `root` (or `root` itself), with a wanted extension, not hidden, not in a
        directory the walk could not read: as the Rust walker decides."""
        if path != root and not _under(path, root):
            return False
        if any(_under(path, d) for d in self.unreadable):
            return False
        rest = path[len(root.rstrip(b"/")) + 1 :]
        if rest.startswith(b".") or b"/." in rest:
            return False
        name = path.rpartition(b"/")[2]
        dot = name.rfind(b".")
        wanted = {os.fsencode(e).lstrip(b".").lower() for e in extensions}
        return dot > 0 and name[dot + 1 :].lower() in wanted


def _under(path: bytes, root: bytes) -> bool:
    return path.startswith(root.rstrip(b"/") + b"/")


def _trusted_rows(trusted: walker.Trusted) -> dict[bytes, tuple[int, int]]:
    """The rows of the walker's query, read-only, as rust/src/known.rs reads them."""
    conn = sqlite3.connect(f"file:{trusted.database}?mode=ro", uri=True)
    try:
        return {bytes(p): (s, m) for p, s, m in conn.execute(trusted.sql, trusted.params)}
    finally:
        conn.close()
