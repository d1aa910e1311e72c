"""Queueing transcodes (`vpo transcode`), cancelling and retrying jobs."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

from vpo.db import files as files_db
from vpo.db import jobs as jobs_db
from vpo.db import queue as queue_db
from vpo.db.connection import Database
from vpo.db.jobs import JobRecord
from vpo.errors import UsageError
from vpo.jobs.queries import resolve_id
from vpo.policy.apply import targets
from vpo.timeutil import now_iso
from vpo.transcode.decide import skip_reason
from vpo.transcode.models import TranscodeTarget


@dataclass
class QueuedFile:
    path: str
    status: str  # queued | planned | skipped | failed
    reason: str | None = None
    job_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "reason": self.reason, "job_id": self.job_id}


@dataclass
class QueueReport:
    dry_run: bool
    target: TranscodeTarget
    files: list[QueuedFile] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "target": self.target.to_dict(),
                "files": [f.to_dict() for f in self.files]}


def queue_transcodes(db: Database, paths: tuple[bytes, ...], target: TranscodeTarget, *,
                     policy_path: str | None, dry_run: bool) -> QueueReport:
    report = QueueReport(dry_run=dry_run, target=target)
    for item in targets(db, paths):
        if not isinstance(item, files_db.FileRecord):
            report.files.append(QueuedFile(item.path, "failed", item.error))
            continue
        shown = os.fsdecode(item.path)
        why = skip_reason(files_db.tracks_of(db.conn, item.id), target)
        if why:
            report.files.append(QueuedFile(shown, "skipped", why))
            continue
        if queue_db.active_transcode_for(db.conn, item.id):
            report.files.append(QueuedFile(shown, "skipped", "a transcode of this file is already queued or running"))
            continue
        if dry_run:
            report.files.append(QueuedFile(shown, "planned"))
            continue
        job = JobRecord(id=str(uuid.uuid4()), type="transcode", status="queued", target=[shown],
                        options={**target.to_dict(), "file_id": item.id}, created_at=now_iso(),
                        policy={"path": policy_path} if policy_path else None,
                        host=socket.gethostname())
        with db.transaction() as conn:
            jobs_db.insert(conn, job)
            jobs_db.add_files(conn, job.id, [(item.id, item.path, "queued", None)])
        report.files.append(QueuedFile(shown, "queued", job_id=job.id))
    return report


def cancel_job(db: Database, text: str) -> tuple[str, str]:
    """Returns (job id, status it had). A running job's worker sees the cancel at its next
    heartbeat, stops ffmpeg and removes its temporary file."""
    job_id = resolve_id(db, text)
    with db.transaction() as conn:
        before = queue_db.cancel(conn, job_id, now_iso())
    if before is None:
        job = jobs_db.get(db.conn, job_id)
        raise UsageError(f"job {job_id[:8]} is {job.status if job else 'gone'}; only queued or running jobs can be cancelled")
    return job_id, before


def retry_job(db: Database, text: str) -> str:
    job_id = resolve_id(db, text)
    job = jobs_db.get(db.conn, job_id)
    if job is not None and job.type != "transcode":
        raise UsageError(f"job {job_id[:8]} is a {job.type} job; run `vpo {job.type}` again instead of retrying it")
    with db.transaction() as conn:
        done = queue_db.retry(conn, job_id)
    if not done:
        job = jobs_db.get(db.conn, job_id)
        raise UsageError(f"job {job_id[:8]} is {job.status if job else 'gone'}; only failed or cancelled jobs can be retried")
    return job_id
