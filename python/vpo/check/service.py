"""`check`: run the integrity checks over catalogued files and store each result with the
size and mtime it was made for (SPEC section 14).

Threads and processes: this function runs on the caller's thread and is the only one that
touches SQLite. The quick check runs in probe worker processes (media.probe_pool, the
same probe as a scan's, quick check included); with `thorough`, files that pass it are
decoded by one ffmpeg process each (media.decode), started from a pool of `workers`
threads. At most `workers` decodes run at once.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from vpo.catalogue import CheckLevel, JobType
from vpo.check.models import CheckCounts, CheckOptions, CheckProgress, CheckReport
from vpo.db import checks as checks_db
from vpo.db.connection import Database
from vpo.errors import RootNotFoundError
from vpo.jobs.lifecycle import JobLifecycle
from vpo.jobs.tracker import JobTracker
from vpo.media.decode import Decoded, Decoder
from vpo.media.probe_pool import ProbeOutcome, ProbePool
from vpo.timeutil import now_iso

log = logging.getLogger(__name__)

FLUSH_EVERY = 100
FLUSH_SECONDS = 1.0


def decode_timeout(duration: float | None) -> float:
    """Seconds one file may take to decode: 4x its duration (one core decodes even 4K
    H.264 faster than that) plus a minute, at least 5 minutes."""
    return max(300.0, 4 * (duration or 0) + 60)


class _Todo(NamedTuple):
    file_id: int
    path: bytes
    size: int
    mtime_ns: int
    duration: float | None


def check(
    db: Database,
    options: CheckOptions,
    progress: Callable[[CheckProgress], None] | None = None,
) -> CheckReport:
    started = time.monotonic()
    roots = tuple(os.path.abspath(r) for r in options.roots)
    for root in roots:
        if not os.path.exists(root):
            shown = os.fsdecode(root)
            raise RootNotFoundError(f"path does not exist: {shown}", details={"path": shown})
    candidates = checks_db.candidates(db.conn, roots)
    tracker = JobTracker(
        db, type=JobType.CHECK, target=[os.fsdecode(r) for r in roots], options=options.for_job()
    )
    # Everything after the job row exists is inside the lifecycle: no path leaves it running.
    with JobLifecycle(tracker, JobType.CHECK) as job:
        run = _CheckRun(db, options, tracker, progress, started)
        job.watch(
            summary=run.counts.to_dict,
            stop=run.stop,
            saved=lambda: f"{run.counts.checked:,} results so far are saved",
        )
        run.execute(candidates)
        run.close()
    status = "stopped" if run.counts.left else "completed"
    log.info(
        "check %s: %s",
        status,
        ", ".join(f"{k} {v}" for k, v in run.counts.to_dict().items()),
        extra={"operation": "check", "counts": run.counts.to_dict()},
    )
    return CheckReport(
        job_id=tracker.id,
        status=status,
        level=run.level,
        counts=run.counts,
        duration_seconds=time.monotonic() - started,
        failures=run.failures,
    )


class _CheckRun:
    def __init__(
        self,
        db: Database,
        options: CheckOptions,
        tracker: JobTracker,
        progress: Callable[[CheckProgress], None] | None,
        started: float,
    ) -> None:
        self.db = db
        self.options = options
        self.tracker = tracker
        self.progress = progress
        self.started = started
        self.level = CheckLevel.THOROUGH.value if options.thorough else CheckLevel.QUICK.value
        self.counts = CheckCounts()
        self.failures: list[dict[str, str]] = []
        # The quick check always runs, whatever scan.quick_check says.
        self.pool = ProbePool(options.prober._replace(quick_check=True), workers=options.workers)
        self.decoder = Decoder(options.ffmpeg)
        self.decoding: cf.ThreadPoolExecutor | None = None
        self.futures: dict[cf.Future[Decoded], _Todo] = {}
        self.total = 0
        self.past = False  # --max-duration reached: nothing new starts
        self._rows: list[tuple[_Todo, bool, str | None, float]] = []
        self._last_flush = time.monotonic()
        self._last_progress = 0.0

    # -- the run -------------------------------------------------------------------------

    def execute(self, candidates: list[checks_db.Candidate]) -> None:
        todo = self._select(candidates)
        self.total = len(todo)
        deadline = None
        if self.options.max_duration is not None:
            deadline = self.started + self.options.max_duration
        if self.options.thorough:
            self.decoding = cf.ThreadPoolExecutor(self.options.workers, thread_name_prefix="decode")
        limit = 2 * self.options.workers
        position = 0
        while True:
            in_flight = self.pool.pending + len(self.futures)
            past = self.past = self.past or (deadline is not None and time.monotonic() >= deadline)
            if past:
                self._drop_queued_decodes()
            while not past and position < len(todo) and in_flight < limit:
                self.pool.submit(todo[position], todo[position].path)
                position += 1
                in_flight += 1
            if past:
                self.counts.left = len(todo) - position + self.counts.left
                position = len(todo)
            if not self.pool.pending and not self.futures and position >= len(todo):
                break
            self._collect()
            self._report()
            self.tracker.beat(self.counts.checked / self.total if self.total else None)
        self._flush()
        self._report(force=True)

    def _select(self, candidates: list[checks_db.Candidate]) -> list[_Todo]:
        """Stat every candidate: missing ones are counted, unchanged checked ones skipped."""
        todo = []
        for c in candidates:
            self.counts.candidates += 1
            try:
                st = os.stat(c.path)
            except FileNotFoundError:
                self.counts.missing += 1
                continue
            except OSError as exc:
                st = None
                log.warning("cannot stat %s: %s", os.fsdecode(c.path), exc)
            if st is not None and not self.options.recheck and self._still_valid(c, st):
                self.counts.skipped += 1
                self.counts.known_failed += c.check_passed == 0
                continue
            size, mtime = (st.st_size, st.st_mtime_ns) if st else (-1, -1)
            todo.append(_Todo(c.file_id, c.path, size, mtime, c.duration))
        return todo

    def _still_valid(self, c: checks_db.Candidate, st: os.stat_result) -> bool:
        if c.check_size != st.st_size or c.check_mtime_ns != st.st_mtime_ns:
            return False
        return c.check_level == CheckLevel.THOROUGH or self.level == CheckLevel.QUICK

    def _collect(self) -> None:
        outcome = self.pool.get(timeout=0.05 if self.pool.pending else 0)
        while outcome is not None:
            self._quick_done(outcome)
            outcome = self.pool.get(timeout=0)
        if self.futures:
            done, _ = cf.wait(list(self.futures), timeout=0.05, return_when=cf.FIRST_COMPLETED)
            for future in done:
                item = self.futures.pop(future)
                if future.cancelled():
                    continue
                result = future.result()
                if not result.cancelled:
                    self._finish(item, result.ok, result.error, result.seconds)

    def _quick_done(self, outcome: ProbeOutcome) -> None:
        item: _Todo = outcome.item
        if outcome.error is not None or self.decoding is None:
            self._finish(item, outcome.error is None, outcome.error, outcome.seconds)
            return
        if self.past:
            self.counts.left += 1  # it passed the quick check; its decode waits for the next run
            return
        duration = outcome.result.duration_seconds if outcome.result else item.duration
        threads = self._spare_cores()
        future = self.decoding.submit(
            self.decoder.decode, item.path, timeout=decode_timeout(duration), threads=threads
        )
        self.futures[future] = item

    def _spare_cores(self) -> int:
        """Decoder threads for the decode about to start: one while other files wait for a
        worker; the workers nobody will use otherwise when this is among the last."""
        waiting = self.total - self.counts.checked - len(self.futures) - 1  # not decoding yet
        if waiting > 0:
            return 1
        return max(1, self.options.workers - len(self.futures))

    def _drop_queued_decodes(self) -> None:
        """At --max-duration: decodes not started yet are left for the next run."""
        for future in [f for f in self.futures if f.cancel()]:
            self.futures.pop(future)
            self.counts.left += 1

    def _finish(self, item: _Todo, ok: bool, error: str | None, seconds: float) -> None:
        self.counts.checked += 1
        if ok:
            self.counts.passed += 1
        else:
            self.counts.failed += 1
            self.failures.append({"path": os.fsdecode(item.path), "error": error or "failed"})
            log.warning(
                "check failed: %s: %s",
                os.fsdecode(item.path),
                error,
                extra={"file": os.fsdecode(item.path), "operation": "check"},
            )
        self._rows.append((item, ok, error, seconds))
        if len(self._rows) >= FLUSH_EVERY or time.monotonic() - self._last_flush > FLUSH_SECONDS:
            self._flush()

    def _flush(self) -> None:
        rows, self._rows = self._rows, []
        self._last_flush = time.monotonic()
        if not rows:
            return
        now = now_iso()
        job_rows: list[tuple[int | None, bytes, str, dict[str, Any] | None]] = []
        with self.db.transaction() as conn:
            for item, ok, error, seconds in rows:
                checks_db.record(
                    conn,
                    checks_db.CheckRecord(
                        item.file_id, item.size, item.mtime_ns, self.level, ok, error, now,
                        round(seconds, 3), self.tracker.id,
                    ),
                )  # fmt: skip
                details: dict[str, Any] = {"level": self.level}
                if error:
                    details["error"] = error
                job_rows.append((item.file_id, item.path, "passed" if ok else "failed", details))
            self.tracker.add_files(conn, job_rows)

    # -- ending --------------------------------------------------------------------------

    def close(self) -> None:
        self.pool.close()
        if self.decoding is not None:
            self.decoding.shutdown(wait=True)

    def stop(self) -> dict[str, int]:
        """Ctrl+C or a failure: stop the workers, keep every result already in."""
        self.decoder.cancel()
        self.pool.close()
        if self.decoding is not None:
            self.decoding.shutdown(wait=True, cancel_futures=True)
        try:
            self._flush()
        except Exception:
            log.exception("could not save the last results of a stopped check")
        return self.counts.to_dict()

    def _report(self, *, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < 0.1:
            return
        self._last_progress = now
        self.progress(CheckProgress(self.counts.checked, self.total, self.counts.failed, now - self.started))
