"""A queued job a worker claimed (`vpo jobs run`): its lifecycle's writes, each fenced by
the claim (db/queue.py), so a worker whose job was cancelled, retried and claimed again by
someone else meanwhile never writes over the new run.

It is what jobs/lifecycle.py writes to for a transcode, as jobs/tracker.py is for the jobs
a command creates and runs itself. Once the job is no longer this worker's (finished,
put back, or found cancelled by someone else), it is `finished`: nothing more is written.
"""

from __future__ import annotations

import json
from typing import Any

from vpo.catalogue import JobStatus
from vpo.db import queue as queue_db
from vpo.db.connection import Database, db_now
from vpo.db.dialect import Connection
from vpo.jobs.tracker import failure

STOPPED = "worker stopped before finishing; requeued"


class ClaimedJob:
    def __init__(self, db: Database, claim: queue_db.Claim) -> None:
        self.db = db
        self.claim = claim
        self._finished = False

    @property
    def id(self) -> str:
        return self.claim.job_id

    @property
    def finished(self) -> bool:
        return self._finished

    def beat(self, progress: float | None) -> bool:
        """Heartbeat (the database's clock); False once the job is no longer this worker's
        (cancelled meanwhile)."""
        with self.db.transaction() as conn:
            alive = queue_db.beat(conn, self.claim, db_now(conn), progress)
        self._finished = self._finished or not alive
        return alive

    def still_mine(self, conn: Connection) -> bool:
        """Inside the caller's transaction: has nobody cancelled the job?"""
        mine = queue_db.still_mine(conn, self.claim)
        self._finished = self._finished or not mine
        return mine

    def finish_in(
        self,
        conn: Connection,
        status: JobStatus,
        summary: dict[str, Any] | None,
        *,
        progress: float | None = None,
    ) -> None:
        """End the job inside the caller's transaction (with the change it records)."""
        self._end(conn, status, summary, progress=progress)

    def finish(
        self, status: JobStatus, summary: dict[str, Any] | None, *, progress: float | None = None
    ) -> None:
        with self.db.transaction() as conn:
            self._end(conn, status, summary, progress=progress)

    def complete(self, summary: dict[str, Any]) -> None:
        self.finish(JobStatus.COMPLETED, summary, progress=1.0)

    def requeue(self, reason: str) -> None:
        """Back to the queue: another run (or another host's worker) does it."""
        with self.db.transaction() as conn:
            queue_db.requeue(conn, self.claim, reason)
        self._finished = True

    def cancel(self, summary: dict[str, Any]) -> None:
        """A claimed job stopped before it finished goes back to the queue: nothing was
        replaced before verification, so doing it again is safe."""
        self.requeue(STOPPED)

    def fail(
        self, exc: BaseException, summary: dict[str, Any] | None = None, context: dict[str, Any] | None = None
    ) -> None:
        """`failed` with the message and traceback (`context` is not kept for a claimed job)."""
        message, tb = failure(exc)
        with self.db.transaction() as conn:
            self._end(conn, JobStatus.FAILED, summary or None, error=message, tb=tb)

    def _end(
        self,
        conn: Connection,
        status: JobStatus,
        summary: dict[str, Any] | None,
        *,
        error: str | None = None,
        tb: str | None = None,
        progress: float | None = None,
    ) -> None:
        queue_db.finish(
            conn,
            self.claim,
            status=status.value,
            now=db_now(conn),
            summary=json.dumps(summary) if summary is not None else None,
            error=error,
            traceback=tb,
            progress=progress,
        )
        self._finished = True
