"""`vpo jobs run`: work the transcode queue.

Threads: `workers` threads in this process, each with its own SQLite connection, each
claiming one job at a time (atomically: BEGIN IMMEDIATE + conditional UPDATE, so workers
in any number of processes never take the same job, nor two jobs of one file) and running
it (job_run.py: one ffmpeg child in its own session, so a terminal's Ctrl+C reaches VPO,
not ffmpeg). The caller's thread only waits; `request_stop` (the CLI's SIGINT/SIGTERM
handler) makes each worker stop its ffmpeg, remove its temporary file and put its job back.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from vpo.config.settings import Settings
from vpo.db import jobs as jobs_db
from vpo.db import queue as queue_db
from vpo.db.connection import Database, describe_sqlite_error, open_database
from vpo.errors import DatabaseError
from vpo.host import hostname
from vpo.logging import job_context
from vpo.transcode.job_run import JobRun
from vpo.transcode.swap import clean_work_dir

log = logging.getLogger(__name__)

# How long a stopped run waits for its workers: a stopped ffmpeg takes up to 3 s
# (media/tools.py:stop_child), then the job goes back to the queue. SIGTERM exits within
# 10 s even when a worker is stuck (docs/security.md, "Signals and child processes").
STOP_GRACE = 5.0


@dataclass(frozen=True)
class RunLimits:
    max_files: int | None = None
    max_duration: float | None = None
    end_by: datetime | None = None  # aware local time
    workers: int = 1
    forever: bool = False  # an empty queue is polled every `poll` seconds, not the end
    poll: float = 5.0


class Running(NamedTuple):
    """A job in progress, as a progress display shows it."""

    job_id: str
    name: str
    fraction: float
    seconds: float
    duration: float | None


class Finished(NamedTuple):
    job_id: str
    status: str
    name: str
    seconds: float
    error: str | None


@dataclass
class RunReport:
    jobs: list[dict[str, object]] = field(default_factory=list)
    stopped_by: str = "queue empty"

    def kept_bytes(self) -> int:
        """Disk the originals these transcodes kept hold."""
        return sum(j["kept_bytes"] for j in self.jobs if isinstance(j.get("kept_bytes"), int))  # type: ignore[misc]

    def to_dict(self) -> dict[str, object]:
        return {"jobs": self.jobs, "stopped_by": self.stopped_by, "kept_bytes": self.kept_bytes()}


class QueueRunner:
    """`on_tick(running, finished)`, when given, is called on the caller's thread about five
    times a second with the jobs in progress and those that ended since the last call."""

    def __init__(
        self,
        settings: Settings,
        limits: RunLimits,
        on_tick: Callable[[list[Running], list[Finished]], None] | None = None,
    ) -> None:
        self.settings = settings
        self.limits = limits
        self.on_tick = on_tick
        self._active: dict[str, JobRun] = {}
        self._ended: list[Finished] = []
        self.stop = threading.Event()
        self.report = RunReport()
        self._lock = threading.Lock()
        self._claimed = 0
        self._started = time.monotonic()
        self._errors: list[BaseException] = []
        self._done = [threading.Event() for _ in range(max(1, limits.workers))]
        self._draining = False
        self._wake = threading.Event()  # ends a --forever worker's wait for new jobs
        self._invisible: set[str] = set()  # jobs whose file this host cannot see

    def run(self) -> RunReport:
        clean_work_dir(self.settings.transcode.work_dir)  # what killed workers left here
        threads = [
            threading.Thread(target=self._worker, args=(done,), name=f"transcode-{n}", daemon=True)
            for n, done in enumerate(self._done)
        ]
        for thread in threads:
            thread.start()
        try:
            self._wait()
        except BaseException:  # KeyboardInterrupt when the caller installed no handler
            self.request_stop("interrupted")
            self._wait()
            raise
        if self._errors:  # a worker could not reach the queue: say so, never exit 0
            self.report.stopped_by = "error"
            raise self._errors[0]
        return self.report

    def request_stop(self, reason: str) -> None:
        """Claim nothing more; running jobs stop their ffmpeg and go back to the queue.
        Safe to call from a signal handler."""
        if not self.stop.is_set():
            self.report.stopped_by = reason  # also after a drain: running jobs are stopped now
        self.stop.set()
        self._wake.set()

    def drain(self, reason: str) -> None:
        """Claim nothing more; running jobs finish (SIGTERM to a --forever worker).
        Safe to call from a signal handler."""
        if not self.stop.is_set() and not self._draining:
            self.report.stopped_by = f"{reason} (drained)"
        self._draining = True
        self._wake.set()

    @property
    def draining(self) -> bool:
        return self._draining

    def _wait(self) -> None:
        """Until every worker is done, or STOP_GRACE after a stop was asked for. Events, not
        Thread.join: on Python 3.11 a join interrupted by a signal handler's exception
        marks the thread stopped while it still runs, and the process would exit under a
        job in progress. A worker still busy after the grace is stuck where it cannot see
        the stop (a tool that does not answer, a read the kernel never completes): its job
        stays `running` under this pid, and the next command puts it back in the queue
        (jobs/maintenance.py), so the process exits instead of waiting on it forever."""
        deadline: float | None = None
        for done in self._done:
            while not done.wait(0.2):
                self._tick()
                if deadline is None and self.stop.is_set():
                    deadline = time.monotonic() + STOP_GRACE
                if deadline is not None and time.monotonic() > deadline:
                    self._abandon_stuck()
                    return
        self._tick()

    def _abandon_stuck(self) -> None:
        with self._lock:
            stuck = list(self._active.values())
        for run in stuck:
            log.warning(
                "job %s did not stop within %gs; leaving it to the next vpo command, which puts it "
                "back in the queue",
                run.job_id[:8],
                STOP_GRACE,
            )

    def _tick(self) -> None:
        if self.on_tick is None:
            return
        now = time.monotonic()
        with self._lock:
            running = [
                Running(r.job_id, r.name, r.progress, now - r.started, r.media_seconds)
                for r in self._active.values()
            ]
            ended, self._ended = self._ended, []
        self.on_tick(running, ended)

    # -- limits --------------------------------------------------------------------------

    def _may_claim(self) -> bool:
        """Limits stop new claims; jobs already running finish."""
        with self._lock:
            lim = self.limits
            if self.stop.is_set() or self._draining:
                return False
            if lim.max_files is not None and self._claimed >= lim.max_files:
                self.report.stopped_by = "max-files"
                return False
            if lim.max_duration is not None and time.monotonic() - self._started >= lim.max_duration:
                self.report.stopped_by = "max-duration"
                return False
            if lim.end_by is not None and datetime.now().astimezone() >= lim.end_by:
                self.report.stopped_by = "end-by"
                return False
            self._claimed += 1
            return True

    def _unclaim(self) -> None:
        with self._lock:
            self._claimed -= 1

    # -- one worker thread ---------------------------------------------------------------

    def _worker(self, done: threading.Event) -> None:
        try:
            self._work()
        finally:
            done.set()

    def _work(self) -> None:
        """One thread: claim, run, repeat. An error outside a job (the database) stops this
        thread and is raised again by run() on the caller's thread."""
        try:
            db = open_database(self.settings.database_target)
        except BaseException as exc:
            self._errors.append(exc)
            return
        try:
            worker = uuid.uuid4().hex[:12]  # this thread's identity, beside host and pid
            while self._may_claim():
                claim = queue_db.claim(
                    db, pid=os.getpid(), host=hostname(), worker=worker, exclude=sorted(self._invisible)
                )
                if claim is None:
                    self._unclaim()
                    if not self.limits.forever:
                        return
                    self._wake.wait(self.limits.poll)  # new jobs, or a signal
                    continue
                status, error, invisible = self._run_job(db, claim)
                if invisible:  # another host's job: never claimed again by this run
                    with self._lock:
                        self._invisible.add(claim.job_id)
                        self._claimed -= 1
                    continue
                kept = _kept_bytes(db, claim.job_id)
                with self._lock:
                    self.report.jobs.append(
                        {"id": claim.job_id, "status": status, "error": error, "kept_bytes": kept}
                    )
        except sqlite3.Error as exc:
            self._errors.append(
                DatabaseError(describe_sqlite_error(db.path or db.label, exc), details={"path": db.label})
            )
        except BaseException as exc:
            self._errors.append(exc)
        finally:
            db.close()

    def _run_job(self, db: Database, claim: queue_db.Claim) -> tuple[str, str | None, bool]:
        token = job_context.set(claim.job_id)
        run = JobRun(db, claim, self.settings, self.stop)
        with self._lock:
            self._active[claim.job_id] = run
        status: str = "failed"
        error: str | None = "stopped"
        try:
            status, error = run.execute()
            return status, error, run.invisible
        finally:
            job_context.reset(token)
            with self._lock:
                self._active.pop(claim.job_id, None)
                self._ended.append(
                    Finished(claim.job_id, status, run.name, time.monotonic() - run.started, error)
                )


def _kept_bytes(db: Database, job_id: str) -> int:
    """What the original a finished transcode kept holds (its summary says)."""
    return int(jobs_db.summary_of(db.conn, job_id).get("kept_bytes") or 0)
