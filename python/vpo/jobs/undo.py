"""`vpo jobs undo ID`: put back what an apply or transcode job changed, file by file.

A file is put back only when it is still exactly what the job left (the size and sampled
fingerprint the job recorded for its result); otherwise it is refused, with the reason,
and nothing about it changes. An in-place edit is rewritten from its journal (the bytes
and length before the edit, then the original mtime); a remux or transcode takes its
kept original back with one rename (the original's own inode: its bytes exactly). The
catalogue row and tracks follow (the restored file is probed). The undo is itself a job
(type `undo`) listing what it restored and what it refused.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from vpo.catalogue import JobStatus, JobType
from vpo.config.settings import Settings
from vpo.db import files as files_db
from vpo.db import jobs as jobs_db
from vpo.db.connection import Database
from vpo.edit import journal as journals
from vpo.edit.executor import SIDECARS_ONLY
from vpo.edit.fileops import file_lock
from vpo.edit.restore import restore_journal, restore_kept, restore_sidecars
from vpo.errors import UsageError, VpoError
from vpo.integrations.refresh import refresh_changed
from vpo.jobs.lifecycle import JobLifecycle
from vpo.jobs.queries import resolve_id
from vpo.jobs.tracker import JobTracker
from vpo.library.written import measure, update_catalogue
from vpo.media.probe import ProberConfig, probe_file
from vpo.media.regular_file import NotRegularFileError, require_regular

log = logging.getLogger(__name__)

UNDOABLE = {JobType.APPLY.value: "applied", JobType.TRANSCODE.value: "transcoded"}


@dataclass
class UndoFile:
    path: str
    status: str  # planned | restored | refused
    source: str | None = None  # the journal or kept original it comes back from
    reason: str | None = None
    file_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "from": self.source, "reason": self.reason}


@dataclass
class UndoReport:
    undone_job: str
    job_id: str | None  # the undo job (None in a dry run)
    dry_run: bool
    files: list[UndoFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the media stack's refreshes that failed

    def counts(self) -> dict[str, int]:
        out = {"planned": 0, "restored": 0, "refused": 0}
        for f in self.files:
            out[f.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "undone_job": self.undone_job,
            "job_id": self.job_id,
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "warnings": self.warnings,
            "files": [f.to_dict() for f in self.files],
        }


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def undo(
    db: Database, text: str, *, dry_run: bool, prober: ProberConfig, settings: Settings | None = None
) -> UndoReport:
    """Put back what job `text` changed; `settings`: the media stack to refresh after."""
    job_id = resolve_id(db, text)
    job = jobs_db.get(db.conn, job_id)
    if job is None:
        raise UsageError(f"no job with id {text!r}")
    if job.type not in UNDOABLE:
        raise UsageError(f"job {job_id[:8]} is a {job.type} job: only apply and transcode jobs can be undone")
    if job.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value):
        raise UsageError(f"job {job_id[:8]} is {job.status}: undo it once it has finished")
    rows = [r for r in jobs_db.files_of(db.conn, job_id) if r[2] == UNDOABLE[job.type]]
    tracker = None
    if not dry_run:
        tracker = JobTracker(
            db,
            type=JobType.UNDO.value,
            target=list(job.target),  # what the undone job was run on
            options={"job": job_id, "dry_run": False},
        )
    report = UndoReport(undone_job=job_id, job_id=tracker.id if tracker else None, dry_run=dry_run)
    with JobLifecycle(tracker, JobType.UNDO) as lifecycle:
        lifecycle.watch(
            summary=lambda: {
                **report.counts(),
                "undone_job": job_id,
                **({"warnings": report.warnings} if report.warnings else {}),
            },
            saved="files already put back are recorded",
        )
        for file_id, path, _outcome, details in reversed(rows):
            item = _one(db, job.type, file_id, path, details or {}, dry_run=dry_run, prober=prober)
            report.files.append(item)
            if tracker:
                _record(db, tracker, item, job_id)
        if tracker and settings is not None:
            report.warnings = refresh_changed(
                settings, [os.fsencode(f.path) for f in report.files if f.status == "restored"]
            )
    return report


def _record(db: Database, tracker: JobTracker, item: UndoFile, undone: str) -> None:
    """What happened to one file, on the undo job's history."""
    details = {"undone_job": undone, "from": item.source, "reason": item.reason}
    with db.transaction() as conn:
        tracker.add_files(conn, [(item.file_id, os.fsencode(item.path), item.status, details)])
    tracker.beat()


def _one(
    db: Database,
    job_type: str,
    file_id: int | None,
    path: bytes,
    details: dict[str, Any],
    *,
    dry_run: bool,
    prober: ProberConfig,
) -> UndoFile:
    journal = details.get("journal")
    kept = details.get("backup") if job_type == JobType.APPLY.value else details.get("original")
    source = journal or kept
    # a container change renamed the file (`movie.mp4` -> `movie.mkv`): its original comes
    # back under its own name, and the converted file goes
    target = os.fsencode(details["renamed_from"]) if details.get("renamed_from") else path
    shown = os.fsdecode(target)
    item = UndoFile(shown, "planned", source, file_id=file_id)
    try:
        st = _check_result(path, details)
        if journal:
            _check_journal(os.fsencode(journal), path)
        elif kept:
            _check_kept(os.fsencode(kept), details, job_type)
        elif details.get("method") != SIDECARS_ONLY:  # sidecars alone: nothing else to put back
            raise _Refused("the job kept no original of it (--no-keep-backup or delete_original)")
        if target != path and os.path.lexists(target):
            raise _Refused(
                f"{os.fsdecode(os.path.basename(target))} exists again: its original cannot take it back"
            )
        if dry_run:
            return item
        with file_lock(path, (st.st_size, st.st_mtime_ns)):
            if journal:
                restore_journal(os.fsencode(journal), path)
            elif kept:
                restore_kept(os.fsencode(kept), path, target)
            restore_sidecars(details)
    except _Refused as exc:
        item.status, item.reason = "refused", exc.reason
        log.warning("undo refused: %s: %s", shown, exc.reason)
        return item
    except (OSError, VpoError) as exc:
        reason = getattr(exc, "message", None) or getattr(exc, "strerror", None) or str(exc)
        item.status, item.reason = "refused", f"cannot put it back: {reason}"
        log.warning("undo failed: %s: %s", shown, reason)
        return item
    item.status = "restored"
    _recatalogue(db, file_id, target, prober, left=path)
    log.info("restored %s from %s", shown, source)
    return item


def _check_result(path: bytes, details: dict[str, Any]) -> os.stat_result:
    """The file must be what the job left: its size and sampled fingerprint."""
    from vpo.scan.walker import fingerprints

    result = details.get("result")
    if not isinstance(result, dict):
        raise _Refused("the job recorded no result to compare with (made by an older VPO)")
    try:
        st = require_regular(path)  # a FIFO in its place is refused, never opened
    except FileNotFoundError:
        raise _Refused("the file is gone") from None
    except NotRegularFileError as exc:
        raise _Refused(str(exc.strerror)) from None
    if st.st_size != result.get("size"):
        raise _Refused(
            f"the file changed since the job: {st.st_size:,} bytes, the job left {result['size']:,}"
        )
    if fingerprints([path])[0][0] != result.get("fingerprint"):
        raise _Refused("the file changed since the job: its content is not what the job left")
    return st


def _check_journal(file: bytes, path: bytes) -> None:
    try:
        journal, _ = journals.read(file)
    except FileNotFoundError:
        raise _Refused(f"its journal {os.fsdecode(file)} is gone (vpo backups clean?)") from None
    except (OSError, ValueError, KeyError) as exc:
        raise _Refused(f"its journal {os.fsdecode(file)} is unreadable: {exc}") from None
    if journal.path != os.path.abspath(path):
        raise _Refused(f"its journal {os.fsdecode(file)} belongs to {os.fsdecode(journal.path)}")


def _check_kept(kept: bytes, details: dict[str, Any], job_type: str) -> None:
    try:
        st = os.lstat(kept)
    except FileNotFoundError:
        raise _Refused(f"its kept original {os.fsdecode(kept)} is gone (vpo backups clean?)") from None
    if not stat.S_ISREG(st.st_mode):
        raise _Refused(f"{os.fsdecode(kept)} is not a regular file")
    if job_type == JobType.APPLY.value:
        size = (details.get("original") or {}).get("size")
    else:
        size = details.get("size_before")
    if size is not None and st.st_size != size:
        raise _Refused(f"its kept original {os.fsdecode(kept)} is not the original any more (size)")


def _recatalogue(
    db: Database, file_id: int | None, path: bytes, prober: ProberConfig, *, left: bytes
) -> None:
    """The catalogue row and tracks of the file restored at `path` (probed now); `left` is
    where the job left it (the row's path until now)."""
    record = files_db.get_by_id(db.conn, file_id) if file_id is not None else None
    if record is None or record.path not in (path, left):
        record = files_db.get_by_path(db.conn, left)
    if record is None:
        return
    try:
        result = probe_file(path, prober)
    except ValueError as exc:
        log.warning("cannot probe the restored %s: %s; run `vpo scan`", os.fsdecode(path), exc)
        return
    written = measure(path)
    with db.transaction() as conn:
        update_catalogue(conn, record.id, path, written, result)
