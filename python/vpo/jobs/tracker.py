"""The one place that writes a job's lifecycle: create, heartbeat, complete, fail, cancel.

A job row is committed before work starts, so a crash always leaves evidence, and every
later state change is its own short transaction.
"""

from __future__ import annotations

import os
import time
import traceback
import uuid
from typing import Any

from vpo.catalogue import JobStatus
from vpo.db import jobs as jobs_db
from vpo.db.connection import Database, db_now
from vpo.db.jobs import JobRecord
from vpo.host import hostname
from vpo.logging import job_context

HEARTBEAT_SECONDS = 5.0


def failure(exc: BaseException) -> tuple[str, str]:
    """The message and traceback a failed job records (any job, claimed ones too)."""
    return str(exc) or type(exc).__name__, "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__)
    )


class JobTracker:
    def __init__(
        self,
        db: Database,
        *,
        type: str,
        target: list[str],
        options: dict[str, Any],
        policy: dict[str, Any] | None = None,
        status: str = "running",
    ) -> None:
        self.db = db
        self._last_beat = time.monotonic()
        self._token = None
        with db.transaction() as conn:
            # Every time on the row is the database's clock, like the heartbeats: a host
            # whose clock is behind must not write a heartbeat other hosts read as stale.
            now = db_now(conn)
            self.record = JobRecord(
                id=str(uuid.uuid4()),
                type=type,
                status=status,
                target=target,
                options=options,
                policy=policy,
                created_at=now,
                pid=os.getpid(),
                host=hostname(),
                heartbeat_at=now,
                started_at=now if status == "running" else None,
            )
            jobs_db.insert(conn, self.record)
        if status == "running":
            self._token = job_context.set(self.record.id)

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def finished(self) -> bool:
        """Completed, failed or cancelled (jobs/lifecycle.py completes a job only once)."""
        return self.record.status not in (JobStatus.QUEUED, JobStatus.RUNNING)

    def beat(self, progress: float | None = None, *, force: bool = False) -> None:
        """Tell other processes this job is alive (at most every few seconds)."""
        now = time.monotonic()
        if not force and now - self._last_beat < HEARTBEAT_SECONDS:
            return
        self._last_beat = now
        with self.db.transaction() as conn:
            jobs_db.heartbeat(conn, self.id, db_now(conn), progress)  # the database's clock

    def add_files(self, conn: Any, rows: list[tuple[int | None, bytes, str, dict[str, Any] | None]]) -> None:
        """Record affected files inside the caller's transaction (with the change itself)."""
        if rows:
            jobs_db.add_files(conn, self.id, rows)

    def complete(self, summary: dict[str, Any]) -> None:
        self._finish("completed", summary)

    def cancel(self, summary: dict[str, Any]) -> None:
        self._finish("cancelled", summary, message="interrupted by the user (Ctrl+C)")

    def fail(
        self, exc: BaseException, summary: dict[str, Any] | None = None, context: dict[str, Any] | None = None
    ) -> None:
        message, tb = failure(exc)
        self._finish("failed", summary, message=message, tb=tb, context=context)

    def _finish(
        self,
        status: str,
        summary: dict[str, Any] | None,
        *,
        message: str | None = None,
        tb: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        rec = self.record
        rec.status, rec.summary = status, summary
        rec.error_message, rec.error_traceback, rec.error_context = message, tb, context
        if status == "completed":
            rec.progress = 1.0
        with self.db.transaction() as conn:
            rec.finished_at = db_now(conn)
            jobs_db.finish(conn, rec)
        if self._token is not None:
            job_context.reset(self._token)
            self._token = None
