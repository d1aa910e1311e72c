"""Resolving PATH arguments (files, or directories of them) to catalogued files, for
`apply` and `transcode` alike. A path VPO cannot work on comes back as `Unusable` with
the reason, so each command reports it its own way and goes on with the others."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from vpo.catalogue import ScanStatus
from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.db.files import FileRecord
from vpo.errors import RootNotFoundError
from vpo.paths import under_range

NOT_SCANNED = "not in the catalogue; run `vpo scan` first"


@dataclass(frozen=True)
class Unusable:
    path: bytes
    reason: str
    file_id: int | None = None


def resolve_targets(
    db: Database, paths: Sequence[bytes], *, extensions: Sequence[str], follow_symlinks: bool = False
) -> list[FileRecord | Unusable]:
    """`iter_targets`, as a list."""
    return list(iter_targets(db, paths, extensions=extensions, follow_symlinks=follow_symlinks))


def iter_targets(
    db: Database, paths: Sequence[bytes], *, extensions: Sequence[str], follow_symlinks: bool = False
) -> Iterator[FileRecord | Unusable]:
    """Each file once, in argument order, as it is read (a directory of 1,000,000 files
    is never held whole). Under a directory: every catalogued file that probed fine, plus
    every video file a scan would find there but the catalogue lacks (as Unusable: not
    scanned). Missing and broken records under a directory are left out; named directly,
    they are Unusable with the reason."""
    _require_existing(db, paths)
    done = _Done()
    for raw in paths:
        path = os.path.abspath(raw)
        if os.path.isdir(path):
            yield from _directory(db, path, done, extensions, follow_symlinks)
            done.directories.append(path)
        elif not done.covers(path):
            done.files.add(path)
            yield _named_file(db, path)


class _Done:
    """The arguments already resolved: a file under one of them comes once."""

    def __init__(self) -> None:
        self.directories: list[bytes] = []
        self.files: set[bytes] = set()

    def covers(self, path: bytes) -> bool:
        return path in self.files or any(_within(path, d) for d in self.directories)


def _within(path: bytes, directory: bytes) -> bool:
    lo, hi = under_range(directory)
    return path == directory or lo <= path < hi


def _directory(
    db: Database, path: bytes, done: _Done, extensions: Sequence[str], follow_symlinks: bool
) -> Iterator[FileRecord | Unusable]:
    known = False
    for entry in files_db.iter_files_under(db.conn, path):
        known = True
        if entry.scan_status == ScanStatus.OK and not done.covers(entry.path):
            yield entry
    for found in _unscanned(db, path, extensions, follow_symlinks):
        if not done.covers(found):
            yield Unusable(found, NOT_SCANNED)
    if not known and not done.covers(path):
        yield Unusable(path, "no catalogued video files here; run `vpo scan` first")


def _require_existing(db: Database, paths: Sequence[bytes]) -> None:
    """A path that is nowhere, on disk or in the catalogue, is a typo, as for `vpo scan`:
    said before any file is resolved."""
    for raw in paths:
        path = os.path.abspath(raw)
        if not os.path.exists(path) and files_db.get_by_path(db.conn, path) is None:
            shown = os.fsdecode(path)
            raise RootNotFoundError(f"path does not exist: {shown}", details={"path": shown})


def _named_file(db: Database, path: bytes) -> FileRecord | Unusable:
    record = files_db.get_by_path(db.conn, path)
    if record is None:
        return Unusable(path, NOT_SCANNED)
    if record.scan_status != ScanStatus.OK:
        reason = f"catalogued as {record.scan_status}" + (
            f": {record.scan_error}" if record.scan_error else ""
        )
        return Unusable(path, reason, record.id)
    return record


def _unscanned(db: Database, root: bytes, extensions: Sequence[str], follow_symlinks: bool) -> list[bytes]:
    """Video files under `root` the catalogue does not know (found as a scan would find
    them), looked up a batch of the walk at a time."""
    from vpo.scan.walker import walk

    found: list[bytes] = []
    with walk(root, extensions=extensions, follow_symlinks=follow_symlinks) as batches:
        for entries, _errors in batches:
            paths = [e[0] for e in entries]
            catalogued = files_db.catalogued_among(db.conn, paths)
            found.extend(p for p in paths if p not in catalogued)
    return sorted(found)
