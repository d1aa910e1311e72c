"""Resolving PATH arguments (files, or directories of them) to catalogued files, for
`apply` and `transcode` alike. A path VPO cannot work on comes back as `Unusable` with
the reason, so each command reports it its own way and goes on with the others."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from vpo.catalogue import ScanStatus
from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.db.files import FileRecord
from vpo.errors import RootNotFoundError

NOT_SCANNED = "not in the catalogue; run `vpo scan` first"


@dataclass(frozen=True)
class Unusable:
    path: bytes
    reason: str
    file_id: int | None = None


def resolve_targets(
    db: Database, paths: Sequence[bytes], *, extensions: Sequence[str], follow_symlinks: bool = False
) -> list[FileRecord | Unusable]:
    """Each file once, in argument order. Under a directory: every catalogued file that
    probed fine, plus every video file a scan would find there but the catalogue lacks
    (as Unusable: not scanned). Missing and broken records under a directory are left out;
    named directly, they are Unusable with the reason."""
    out: list[FileRecord | Unusable] = []
    seen: set[bytes] = set()

    def add(item: FileRecord | Unusable, key: bytes) -> None:
        if key not in seen:
            seen.add(key)
            out.append(item)

    for raw in paths:
        path = os.path.abspath(raw)
        if os.path.isdir(path):
            known = files_db.files_under(db.conn, path)
            for entry in known:
                if entry.scan_status == ScanStatus.OK:
                    add(entry, entry.path)
            catalogued = {r.path for r in known}
            for found in _unscanned(path, catalogued, extensions, follow_symlinks):
                add(Unusable(found, NOT_SCANNED), found)
            if not known and path not in seen:
                add(Unusable(path, "no catalogued video files here; run `vpo scan` first"), path)
            continue
        record = files_db.get_by_path(db.conn, path)
        if record is None and not os.path.exists(path):
            # a path that is nowhere, on disk or in the catalogue: a typo, as for `vpo scan`
            shown = os.fsdecode(path)
            raise RootNotFoundError(f"path does not exist: {shown}", details={"path": shown})
        if record is None:
            add(Unusable(path, NOT_SCANNED), path)
        elif record.scan_status != ScanStatus.OK:
            reason = f"catalogued as {record.scan_status}" + (
                f": {record.scan_error}" if record.scan_error else ""
            )
            add(Unusable(path, reason, record.id), path)
        else:
            add(record, path)
    return out


def _unscanned(
    root: bytes, catalogued: set[bytes], extensions: Sequence[str], follow_symlinks: bool
) -> list[bytes]:
    """Video files under `root` the catalogue does not know (found as a scan would find them)."""
    from vpo.scan.walker import walk

    found: list[bytes] = []
    with walk(root, extensions=extensions, follow_symlinks=follow_symlinks) as batches:
        for entries, _errors in batches:
            found.extend(e[0] for e in entries if e[0] not in catalogued)
    return sorted(found)
