"""Reading the job history: list with filters, show one job, the audit trail of a file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from vpo.catalogue import JOB_STATUSES, JOB_TYPES
from vpo.db import jobs as jobs_db
from vpo.db.connection import Database
from vpo.db.jobs import JobRecord
from vpo.errors import AmbiguousJobIdError, JobNotFoundError, UsageError
from vpo.timeutil import from_iso, utcnow

STATUSES = JOB_STATUSES
TYPES = JOB_TYPES
MIN_PREFIX = 4
MAX_LIMIT = 2**63 - 1  # SQLite's largest integer
_ID_CHARS = re.compile(r"^[0-9a-f-]+$")


def list_jobs(
    db: Database,
    *,
    status: str | None = None,
    type: str | None = None,
    since: str | None = None,
    limit: int | None = 20,
    file: bytes | None = None,
) -> list[JobRecord]:
    path = os.path.abspath(file) if file is not None else None
    if limit is not None and limit > MAX_LIMIT:  # more than SQLite can count: no limit at all
        limit = None
    return jobs_db.query(db.conn, status=status, type=type, since=since, file=path, limit=limit)


def resolve_id(db: Database, text: str) -> str:
    """A full id, or a unique prefix of at least 4 characters."""
    prefix = text.strip().lower()
    if len(prefix) < MIN_PREFIX:
        raise UsageError(f"job id prefix {text!r} is too short: give at least {MIN_PREFIX} characters")
    if not _ID_CHARS.match(prefix):  # not hex (or not even UTF-8): no job can have it
        raise JobNotFoundError(f"no job with id {text!r}", details={"id": text})
    matches = jobs_db.ids_with_prefix(db.conn, prefix, limit=21)
    if not matches:
        raise JobNotFoundError(f"no job with id {text!r}", details={"id": text})
    if len(matches) > 1:
        # Whole ids: any shorter cut could print two candidates that look the same.
        more = len(matches) > 20
        shown = ", ".join(matches[:20]) + (", ..." if more else "")
        raise AmbiguousJobIdError(
            f"job id prefix {text!r} matches {'more than 20' if more else len(matches)} jobs: {shown}",
            details={"id": text, "candidates": matches[:20]},
        )
    return matches[0]


@dataclass
class JobDetail:
    job: JobRecord
    files: list[tuple[int | None, bytes, str, dict[str, Any] | None]]
    file_count: int


def show_job(db: Database, text: str, *, file_limit: int | None = None) -> JobDetail:
    job_id = resolve_id(db, text)
    job = jobs_db.get(db.conn, job_id)
    if job is None:  # deleted between the two reads
        raise JobNotFoundError(f"no job with id {text!r}", details={"id": text})
    files = jobs_db.files_of(db.conn, job_id, limit=file_limit)
    count = len(files) if file_limit is None else jobs_db.count_files(db.conn, job_id)
    return JobDetail(job=job, files=files, file_count=count)


def duration_seconds(job: JobRecord) -> float | None:
    if not job.started_at:
        return None
    end = from_iso(job.finished_at) if job.finished_at else utcnow()
    return max(0.0, (end - from_iso(job.started_at)).total_seconds())


def summary_dict(job: JobRecord) -> dict[str, Any]:
    """The keys SPEC section 10 promises for `jobs list --json`."""
    return {
        "id": job.id,
        "type": job.type,
        "status": job.status,
        "path": job.target[0] if job.target else None,
        "paths": job.target,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "duration_seconds": _round(duration_seconds(job)),
    }


def detail_dict(detail: JobDetail) -> dict[str, Any]:
    job = detail.job
    error = None
    if job.error_message is not None:
        error = {"message": job.error_message, "traceback": job.error_traceback, "context": job.error_context}
    return {
        **summary_dict(job),
        "options": job.options,
        "policy": job.policy,
        "summary": job.summary,
        "progress": job.progress,
        "pid": job.pid,
        "host": job.host,
        "heartbeat_at": job.heartbeat_at,
        "worker": job.worker,
        "attempts": job.attempts,
        "error": error,
        "files": [
            {"path": os.fsdecode(path), "file_id": fid, "outcome": outcome, "details": details}
            for fid, path, outcome, details in detail.files
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def check_choice(value: str | None, allowed: tuple[str, ...], option: str) -> str | None:
    if value is not None and value not in allowed:
        raise UsageError(f"invalid {option} {value!r}: choose from {', '.join(allowed)}")
    return value
