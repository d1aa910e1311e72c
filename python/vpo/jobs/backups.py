"""`vpo backups list|clean`: the kept originals and journals, what they hold, and freeing them.

What is kept comes from the job history (an apply's or transcode's file row names its
kept original `NAME.EXT.vpo-original[.N]` or its journal), the journal folder itself (a
journal whose job was purged is still listed, by the file its header names) and, under
the PATHs given, the folders (a kept original whose job was purged, or a
`NAME.EXT.vpo-backup` of an older VPO). Only what still exists is listed.

`clean` never removes the only copy of anything: a pending journal (an edit in flight,
or killed and not yet rolled back) holds the only copy of the original's headers; a kept
original whose file is gone, or that is the file itself (a second name), stays too.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from vpo.catalogue import JobType
from vpo.db import jobs as jobs_db
from vpo.db.connection import Database
from vpo.edit import journal as journals
from vpo.media.siblings import kept_for, kept_originals
from vpo.timeutil import from_iso, to_iso, utcnow


@dataclass(frozen=True)
class Kept:
    kind: str  # original | journal
    path: bytes  # the kept original or journal
    file: bytes  # the media file it belongs to
    job_id: str | None
    size: int
    created: str  # UTC ISO: when its job finished (else the file's mtime)
    age_days: float
    keep_reason: str | None  # why clean never removes it; None: removable

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": os.fsdecode(self.path),
            "file": os.fsdecode(self.file),
            "job_id": self.job_id,
            "size": self.size,
            "created": self.created,
            "age_days": round(self.age_days, 3),
            "removable": self.keep_reason is None,
            "keep_reason": self.keep_reason,
        }


@dataclass(frozen=True)
class Listing:
    items: list[Kept]
    removed: list[Kept] | None = None  # clean: what it removed (or would, in a dry run)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "items": [k.to_dict() for k in self.items],
            "count": len(self.items),
            "total_bytes": sum(k.size for k in self.items),
        }
        if self.removed is not None:
            doc.update(
                dry_run=self.dry_run,
                removed=[k.to_dict() for k in self.removed],
                removed_count=len(self.removed),
                freed_bytes=sum(k.size for k in self.removed),
            )
        return doc


def list_kept(db: Database, journal_dir: bytes, paths: tuple[bytes, ...] = ()) -> list[Kept]:
    roots = tuple(os.path.abspath(p) for p in paths)
    now = utcnow()
    found: dict[bytes, Kept] = {}
    for kept in _named_by_jobs(db, now):
        found.setdefault(kept.path, kept)
    for kept in _journals(journal_dir, now, found):
        found[kept.path] = kept
    for root in roots:
        for kept in _kept_under(root, now, found):
            found[kept.path] = kept
    return [k for k in found.values() if not roots or any(_under(k.file, r) for r in roots)]


def _named_by_jobs(db: Database, now: datetime) -> list[Kept]:
    """The kept originals and journals the applies' and transcodes' file rows name, oldest job first."""
    out = []
    for row in jobs_db.changed_files(db.conn):
        original = row.details.get("backup" if row.job_type == JobType.APPLY else "original")
        for kind, name in (("journal", row.details.get("journal")), ("original", original)):
            if name:
                kept = _kept(kind, os.fsencode(name), row.path, row.job_id, row.finished, now)
                if kept is not None:
                    out.append(kept)
    return out


def _journals(journal_dir: bytes, now: datetime, found: dict[bytes, Kept]) -> list[Kept]:
    """The journals in the journal folder no job row names (their job was purged)."""
    try:
        entries = sorted(os.listdir(journal_dir))
    except OSError:
        return []
    out = []
    for entry in entries:
        full = os.path.join(journal_dir, entry)
        if full in found or not entry.endswith(b".vpoj"):
            continue
        try:
            header, _ = journals.read(full)
        except (OSError, ValueError, KeyError):
            continue
        kept = _kept("journal", full, header.path, header.job_id, None, now)
        if kept is not None:
            out.append(kept)
    return out


def _kept_under(root: bytes, now: datetime, found: dict[bytes, Kept]) -> list[Kept]:
    """The kept originals at or under `root` no job row names (purged jobs, older VPOs' backups)."""
    out = []
    for path in _kept_names_under(root):
        if path not in found:
            file = kept_for(path) if _ORIGINAL.search(path) else _KEPT_NAME.sub(b"", path)
            kept = _kept("original", path, file, None, None, now)
            if kept is not None:
                out.append(kept)
    return out


def clean(
    db: Database,
    journal_dir: bytes,
    paths: tuple[bytes, ...] = (),
    *,
    older_than_days: float = 0,
    dry_run: bool = False,
) -> Listing:
    items = list_kept(db, journal_dir, paths)
    chosen = [k for k in items if k.keep_reason is None and k.age_days >= older_than_days]
    removed = []
    for k in chosen:
        if not dry_run:
            try:
                os.unlink(k.path)
            except OSError:
                continue
        removed.append(k)
    return Listing(items=items, removed=removed, dry_run=dry_run)


def _kept(
    kind: str, path: bytes, file: bytes, job_id: str | None, when: str | None, now: datetime
) -> Kept | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    # Without a job: a kept original's mtime is the original's (old); its ctime is when it
    # got its kept name. A journal's mtime is when it was written.
    stamp = st.st_ctime_ns if kind == "original" else st.st_mtime_ns
    created = when or to_iso(datetime.fromtimestamp(stamp / 1e9, tz=timezone.utc))
    age = max(0.0, (now - from_iso(created)).total_seconds() / 86400)
    return Kept(kind, path, file, job_id, st.st_size, created, age, _keep_reason(kind, path, file, st))


def _keep_reason(kind: str, path: bytes, file: bytes, st: os.stat_result) -> str | None:
    if kind == "journal":
        if os.path.basename(path).startswith(b"pending-"):
            return "an in-place edit in progress or killed: the only copy of the original's headers"
        return None
    try:
        now = os.stat(file)
    except FileNotFoundError:
        return "the file is gone: this is its only copy"
    except OSError as exc:
        return f"cannot check the file ({exc.strerror or exc})"
    if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
        return "it is the file itself (a second name)"
    return None


_KEPT_NAME = re.compile(rb"\.vpo-(?:original(?:\.\d+)?|backup)$")
_ORIGINAL = re.compile(rb"\.vpo-original(?:\.\d+)?$")


def _kept_names_under(root: bytes) -> list[bytes]:
    """Kept originals in the folders at or under `root` (hidden folders skipped)."""
    if not os.path.isdir(root):
        folder = os.path.dirname(root)
        base = os.path.basename(root)
        try:
            names = os.listdir(folder or b".")
        except OSError:
            return []
        found = [os.path.join(folder, n) for n in names if n.startswith(base) and _KEPT_NAME.search(n)]
        return found + [p for p in kept_originals(root) if p not in found]  # shortened names too
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(b".")]
        out += [os.path.join(folder, f) for f in files if _KEPT_NAME.search(f)]
    return out


def _under(path: bytes, root: bytes) -> bool:
    return path == root or path.startswith(root.rstrip(b"/") + b"/")
