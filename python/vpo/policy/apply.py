"""`apply`: evaluate a policy against catalogued files and carry out the plans.

Runs on the caller's thread, one file at a time (the tools are IO-bound and a library is
changed best one file at a time). Every changed file is recorded on one `apply` job.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from vpo.config.settings import ToolsSettings
from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.db.files import FileRecord
from vpo.errors import Interrupted, VpoError
from vpo.jobs.tracker import JobTracker
from vpo.logging import file_context
from vpo.policy import executor
from vpo.policy.evaluate import evaluate
from vpo.policy.models import Policy
from vpo.timeutil import now_iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyOptions:
    paths: tuple[bytes, ...]
    policy: Policy
    policy_path: str
    dry_run: bool = False
    keep_backup: bool = True
    tools: ToolsSettings = field(default_factory=ToolsSettings)


@dataclass
class FileOutcome:
    path: str
    status: str  # planned | changed | unchanged | failed
    actions: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "actions": self.actions, "error": self.error}


@dataclass
class ApplyReport:
    job_id: str | None
    dry_run: bool
    files: list[FileOutcome]

    def counts(self) -> dict[str, int]:
        out = {"planned": 0, "changed": 0, "unchanged": 0, "failed": 0}
        for f in self.files:
            out[f.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "dry_run": self.dry_run, "counts": self.counts(),
                "files": [f.to_dict() for f in self.files]}


def targets(db: Database, paths: tuple[bytes, ...]) -> list[FileRecord | FileOutcome]:
    """Catalogued files for each PATH (a file, or every file under a directory)."""
    out: list[FileRecord | FileOutcome] = []
    for raw in paths:
        path = os.path.abspath(raw)
        if os.path.isdir(path):
            out.extend(r for r in files_db.files_under(db.conn, path) if r.scan_status == "ok")
            continue
        record = files_db.get_by_path(db.conn, path)
        if record is None:
            why = "not in the catalogue; run `vpo scan` first" if os.path.exists(path) else "no such file"
            out.append(FileOutcome(os.fsdecode(path), "failed", error=why))
        elif record.scan_status != "ok":
            out.append(FileOutcome(os.fsdecode(path), "failed", error=f"catalogued as {record.scan_status}"
                                   + (f": {record.scan_error}" if record.scan_error else "")))
        else:
            out.append(record)
    return out


def apply(db: Database, options: ApplyOptions) -> ApplyReport:
    todo = targets(db, options.paths)
    tracker = None
    if not options.dry_run:
        tracker = JobTracker(db, type="apply", target=[os.fsdecode(os.path.abspath(p)) for p in options.paths],
                             options={"dry_run": False, "keep_backup": options.keep_backup},
                             policy={"path": options.policy_path, **options.policy.model_dump()})
    report = ApplyReport(job_id=tracker.id if tracker else None, dry_run=options.dry_run, files=[])
    try:
        for item in todo:
            if isinstance(item, FileOutcome):
                report.files.append(item)
                continue
            token = file_context.set(os.fsdecode(item.path))
            try:
                report.files.append(_one(db, item, options, tracker))
            finally:
                file_context.reset(token)
    except KeyboardInterrupt:
        if tracker:
            tracker.cancel(report.counts())
        raise Interrupted("apply interrupted; files already changed are recorded",
                          details={"job_id": report.job_id}) from None
    except BaseException as exc:
        if tracker:
            tracker.fail(exc, report.counts())
        raise
    if tracker:
        tracker.complete(report.counts())
    return report


def _one(db: Database, record: FileRecord, options: ApplyOptions, tracker: JobTracker | None) -> FileOutcome:
    shown = os.fsdecode(record.path)
    current = files_db.tracks_of(db.conn, record.id)
    try:
        st = os.stat(record.path)
    except OSError as exc:
        return FileOutcome(shown, "failed", error=f"cannot read: {exc.strerror}")
    if st.st_size != record.size or st.st_mtime_ns != record.mtime_ns:
        return FileOutcome(shown, "failed", error="changed since the last scan; run `vpo scan` first")
    plan = evaluate(current, options.policy, container=record.container)
    actions = [a.to_dict() for a in plan.actions]
    if plan.empty:
        return FileOutcome(shown, "unchanged")
    if options.dry_run:
        return FileOutcome(shown, "planned", actions)
    assert tracker is not None
    try:
        done = executor.execute(record.path, record.container or "", current, record.duration, plan,
                                options.tools, keep_backup=options.keep_backup)
    except VpoError as exc:
        log.warning("apply failed: %s: %s", shown, exc.message)
        with db.transaction() as conn:
            tracker.add_files(conn, [(record.id, record.path, "error", {"error": exc.message, "actions": actions})])
        return FileOutcome(shown, "failed", actions, error=exc.message)
    from vpo.scan.walker import fingerprints

    st = os.stat(record.path)
    fingerprint = fingerprints([record.path])[0][0]
    with db.transaction() as conn:
        files_db.update_probe_result(conn, record.id, path=record.path, size=st.st_size,
                                     mtime_ns=st.st_mtime_ns, dev=st.st_dev, ino=st.st_ino,
                                     result=done.result, fingerprint=fingerprint, now=now_iso())
        tracker.add_files(conn, [(record.id, record.path, "applied", {
            "method": done.method, "actions": actions,
            "before": [t.to_dict() for t in current], "after": [t.to_dict() for t in done.result.tracks],
            "backup": os.fsdecode(done.backup) if done.backup else None,
        })])
    log.info("applied policy to %s with %s (%d actions)", shown, done.method, len(actions))
    return FileOutcome(shown, "changed", actions)
