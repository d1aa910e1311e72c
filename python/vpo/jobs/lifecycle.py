"""How a job ends, said once (SPEC section 4): no path leaves a job `running`.

`JobLifecycle` wraps a job's work once its row exists:

- the work returns: the job is `completed` with its summary (unless the work already
  finished it itself, as a transcode does inside the transaction that replaces the file);
- Ctrl+C, SIGTERM or SIGHUP (all a KeyboardInterrupt, cli/stopping.py): the work is
  stopped, keeping what it saved, the job is `cancelled` with the counts so far, and
  `Interrupted` is raised (exit 130, 143 or 129);
- any other exception: the work is stopped, the job is `failed` with the message, the
  traceback, the counts so far and the work's context, and the exception goes on.

Without a job (a dry run) only the stopping and the `Interrupted` remain.

The work is described by callables, given to `watch` once the work exists:

    tracker = None if options.dry_run else JobTracker(db, type=JobType.APPLY, target=..., options=...)
    report = ApplyReport(job_id=tracker.id if tracker else None, dry_run=options.dry_run, files=[])
    with JobLifecycle(tracker, JobType.APPLY) as job:
        job.watch(summary=report.counts, saved="files already changed are recorded")
        for item in work:
            report.files.append(_one(db, item, ...))
            if tracker:
                tracker.beat()
    return report  # the job is completed with report.counts()

A long run with workers to stop (scan/service.py, check/service.py) also gives `stop`
(stop the workers, save what they finished), `context` (what a failure records beside
the traceback) and `on_cancel` (e.g. the progress display's last frame). Until `watch` is
called (an interrupt while the work is being set up) the summary is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

from vpo.errors import Interrupted

log = logging.getLogger(__name__)

Summary = dict[str, Any]


class JobRecorder(Protocol):
    """What the lifecycle writes to: a job this process created (jobs/tracker.py) or one
    a worker claimed from the queue (jobs/claimed.py)."""

    @property
    def id(self) -> str: ...

    @property
    def finished(self) -> bool: ...

    def complete(self, summary: Summary) -> None: ...

    def cancel(self, summary: Summary) -> None: ...

    def fail(
        self, exc: BaseException, summary: Summary | None = None, context: dict[str, Any] | None = None
    ) -> None: ...


_FAILED_JOB = "vpo_failed_job"  # set on an exception that failed a job: that job's id


def failed_job(exc: BaseException) -> str | None:
    """The id of the job `exc` failed, if it failed one (a notification names it)."""
    value = exc.__dict__.get(_FAILED_JOB)
    return value if isinstance(value, str) else None


def _no_summary() -> Summary:
    return {}


def _nothing() -> None:
    return None


class JobLifecycle:
    """`with JobLifecycle(job, what) as lifecycle:` around a job's work; see the module."""

    def __init__(self, job: JobRecorder | None, what: str) -> None:
        self.job = job
        self.what = str(what)
        self._saved: str | Callable[[], str] = "work so far is saved"
        self._summary: Callable[[], Summary] = _no_summary
        self._stop: Callable[[], object] = _nothing
        self._context: Callable[[], dict[str, Any] | None] = _nothing
        self._on_cancel: Callable[[], object] = _nothing

    def watch(
        self,
        *,
        summary: Callable[[], Summary],
        stop: Callable[[], object] | None = None,
        context: Callable[[], dict[str, Any] | None] | None = None,
        on_cancel: Callable[[], object] | None = None,
        saved: str | Callable[[], str] | None = None,
    ) -> None:
        """The work, once it exists. `summary`: its counts so far (also the summary of a
        completed job); `stop`: end it early, keeping what it saved; `context`: what a
        failure records beside the traceback; `on_cancel`: called once a cancel is
        recorded; `saved`: what the interrupted message says was kept."""
        self._summary = summary
        self._saved = saved or self._saved
        self._stop = stop or _nothing
        self._context = context or _nothing
        self._on_cancel = on_cancel or _nothing

    def __enter__(self) -> JobLifecycle:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Never swallows: an exception goes on (a KeyboardInterrupt as `Interrupted`)."""
        if exc is None:
            if self.job is not None and not self.job.finished:
                self.job.complete(self._summary())
            return
        self._stop_work()
        counts = self._summary()
        if isinstance(exc, KeyboardInterrupt):
            self._cancelled(counts)  # raises Interrupted
        if self.job is not None:
            self.job.fail(exc, counts, context=self._context())
            if failed_job(exc) is None:  # the innermost job is the one that failed
                exc.__dict__[_FAILED_JOB] = self.job.id
        # info: the CLI reports the failure itself; the log file keeps it with the counts
        log.info("%s failed: %s", self.what, exc, extra={"operation": self.what, "counts": counts})

    def _stop_work(self) -> None:
        """A failure to stop must not keep the job from being recorded."""
        try:
            self._stop()
        except Exception:
            log.exception("could not stop the %s cleanly", self.what)

    def _cancelled(self, counts: Summary) -> None:
        if self.job is not None:
            self.job.cancel(counts)
        self._on_cancel()
        log.info("%s cancelled", self.what, extra={"operation": self.what, "counts": counts})
        saved = self._saved() if callable(self._saved) else self._saved
        if self.job is None:
            raise Interrupted(f"{self.what} interrupted") from None
        raise Interrupted(
            f"{self.what} interrupted; {saved} (job {self.job.id[:8]})",
            details={"job_id": self.job.id, "counts": counts},
        ) from None
