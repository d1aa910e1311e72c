"""Queueing transcodes (`vpo transcode`), cancelling and retrying jobs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vpo.catalogue import DEFAULT_EXTENSIONS, JobStatus, JobType
from vpo.db import files as files_db
from vpo.db import jobs as jobs_db
from vpo.db import queue as queue_db
from vpo.db.connection import Database, db_now
from vpo.db.jobs import JobRecord
from vpo.errors import UsageError
from vpo.host import hostname
from vpo.jobs.queries import resolve_id
from vpo.library.targets import Unusable, resolve_targets
from vpo.media.regular_file import NotRegularFileError, require_regular
from vpo.transcode.decide import describe, skip_reason
from vpo.transcode.models import TranscodeTarget


@dataclass
class QueuedFile:
    path: str
    status: str  # queued | planned | skipped | failed
    reason: str | None = None
    job_id: str | None = None
    plan: str | None = None  # what the transcode does: "h264 1920x1080 -> hevc crf 28, 1280x720"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "reason": self.reason,
            "job_id": self.job_id,
            "plan": self.plan,
        }


@dataclass
class QueueReport:
    dry_run: bool
    target: TranscodeTarget
    files: list[QueuedFile] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "target": self.target.to_dict(),
            "files": [f.to_dict() for f in self.files],
        }


def queue_transcodes(
    db: Database,
    paths: tuple[bytes, ...],
    target: TranscodeTarget,
    *,
    policy_path: str | None,
    dry_run: bool,
    extensions: Sequence[str] = DEFAULT_EXTENSIONS,
    follow_symlinks: bool = False,
) -> QueueReport:
    """One queued job per file that needs the transcode; the others are reported skipped
    (with the reason) or failed (not catalogued). Nothing is queued with `dry_run`."""
    problem = target.problem()
    if problem:
        raise UsageError(problem, details=target.to_dict())
    report = QueueReport(dry_run=dry_run, target=target)
    for item in resolve_targets(db, paths, extensions=extensions, follow_symlinks=follow_symlinks):
        if isinstance(item, Unusable):
            report.files.append(QueuedFile(os.fsdecode(item.path), "failed", item.reason))
            continue
        shown = os.fsdecode(item.path)
        problem = _not_regular(item.path)
        if problem:
            report.files.append(QueuedFile(shown, "failed", problem))
            continue
        tracks = files_db.tracks_of(db.conn, item.id)
        plan = describe(tracks, target)
        why = skip_reason(tracks, target, item.container)
        if why:
            report.files.append(QueuedFile(shown, "skipped", why, plan=plan))
            continue
        if dry_run:
            busy = queue_db.active_transcode_for(db.conn, item.id)
            report.files.append(
                QueuedFile(shown, "skipped", ALREADY_QUEUED, plan=plan)
                if busy
                else QueuedFile(shown, "planned", plan=plan)
            )
            continue
        job = JobRecord(
            id=str(uuid.uuid4()),
            type=JobType.TRANSCODE.value,
            status=JobStatus.QUEUED.value,
            target=[shown],
            options={**target.to_dict(), "file_id": item.id},
            created_at="",  # set below, by the database's clock (the queue's order)
            policy={"path": policy_path} if policy_path else None,
            host=hostname(),
        )
        with db.transaction() as conn:
            job.created_at = db_now(conn)
            # Checked inside the write lock: two `vpo transcode` at once queue the file once.
            if queue_db.active_transcode_for(conn, item.id):
                report.files.append(QueuedFile(shown, "skipped", ALREADY_QUEUED))
                continue
            jobs_db.insert(conn, job)
            jobs_db.add_files(conn, job.id, [(item.id, item.path, "queued", None)])
        report.files.append(QueuedFile(shown, "queued", job_id=job.id, plan=plan))
    return report


def _not_regular(path: bytes) -> str | None:
    """Why a file that is there is not one VPO reads (a FIFO in its place), or None. A file
    this host cannot see is queued all the same: the host that runs the job may."""
    try:
        require_regular(path)
    except NotRegularFileError as exc:
        return exc.strerror
    except OSError:
        return None
    return None


ALREADY_QUEUED = "a transcode of this file is already queued or running"


def cancel_job(db: Database, text: str) -> tuple[str, str]:
    """Returns (job id, status it had). A running job's worker sees the cancel at its next
    heartbeat, stops ffmpeg and removes its temporary file."""
    job_id = resolve_id(db, text)
    job = jobs_db.get(db.conn, job_id)
    if job is not None and job.type != "transcode":
        # A scan or apply runs in the foreground of its own command and never reads the
        # job's status: marking it cancelled would be a lie. Ctrl+C stops it.
        raise UsageError(
            f"job {job_id[:8]} is a {job.type} job; only transcode jobs can be cancelled "
            f"(stop a running {job.type} with Ctrl+C)"
        )
    with db.transaction() as conn:
        before = queue_db.cancel(conn, job_id, db_now(conn))
    if before is None:
        job = jobs_db.get(db.conn, job_id)
        raise UsageError(
            f"job {job_id[:8]} is {job.status if job else 'gone'}; only queued or running jobs can be cancelled"
        )
    return job_id, before


def retry_job(db: Database, text: str) -> str:
    job_id = resolve_id(db, text)
    job = jobs_db.get(db.conn, job_id)
    if job is not None and job.type != "transcode":
        raise UsageError(
            f"job {job_id[:8]} is a {job.type} job; run `vpo {job.type}` again instead of retrying it"
        )
    with db.transaction() as conn:
        done = queue_db.retry(conn, job_id)
    if not done:
        job = jobs_db.get(db.conn, job_id)
        raise UsageError(
            f"job {job_id[:8]} is {job.status if job else 'gone'}; only failed or cancelled jobs can be retried"
        )
    return job_id
