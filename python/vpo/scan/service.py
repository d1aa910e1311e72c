"""`scan`: walk each root, diff against the catalogue, probe what is new or changed.

Threads: this function runs on the caller's thread; the Rust walker uses its own pool;
probing runs in worker processes (see media.probe_pool). Only this thread touches SQLite.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from vpo.catalogue import JobStatus, JobType, Known, ScanStatus
from vpo.db import checks as checks_db
from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.errors import RootUnreadableError, UnmountedLibraryError
from vpo.jobs.lifecycle import JobLifecycle
from vpo.jobs.tracker import JobTracker
from vpo.media.probe_pool import ProbeOutcome, ProbePool
from vpo.scan import walker
from vpo.scan.diff import BatchPlan, hash_verdict, hold_back, in_scope, plan_batch, split_remaining
from vpo.scan.models import ScanCounts, ScanOptions, ScanProgress, ScanReport
from vpo.scan.moves import Moves
from vpo.scan.roots import check_file_roots, normalize_roots, vanished_roots
from vpo.scan.trusted import trusted_rows, walker_can_filter
from vpo.scan.writer import Probed, ScanWriter, record_missing

log = logging.getLogger(__name__)

MAX_PENDING_PROBES = 4096  # backpressure: the walk waits for probes beyond this


@dataclass(slots=True)
class _Item:
    entry: walker.Entry
    known_id: int | None
    why: str | None
    fingerprint: str | None
    content_hash: str | None
    was_broken: bool = False  # an error before, size and mtime unchanged (a --full or racy re-probe)


def scan(
    db: Database, options: ScanOptions, progress: Callable[[ScanProgress], None] | None = None
) -> ScanReport:
    started = time.monotonic()
    start_ns = time.time_ns()
    roots = normalize_roots(list(options.roots), must_exist=False)
    check_file_roots(roots, options.extensions)
    vanished = vanished_roots(db, roots)
    tracker = JobTracker(
        db, type=JobType.SCAN, target=[os.fsdecode(r) for r in roots], options=options.for_job()
    )
    # Everything after the job row exists is inside the lifecycle: no path leaves it running.
    with JobLifecycle(tracker, JobType.SCAN) as job:
        log.info(
            "scan started: %s",
            ", ".join(os.fsdecode(r) for r in roots),
            extra={"operation": "scan", "roots": [os.fsdecode(r) for r in roots]},
        )
        if vanished:
            # A root the catalogue knows that no longer exists (an autofs path, a removed
            # mount point): the job says so, as for an empty mount point.
            raise vanished[0]
        run = _ScanRun(db, options, tracker, start_ns, progress, started)
        job.watch(
            summary=run.counts.to_dict,
            stop=run.stop,
            context=run.context,
            on_cancel=lambda: run.report_phase("interrupted"),
        )
        run.execute(roots)
        run.pool.close()  # the probe workers end with the scan, not with the process
        log.info(
            "scan completed: %s",
            ", ".join(f"{k} {v}" for k, v in run.counts.to_dict().items()),
            extra={
                "operation": "scan",
                "counts": run.counts.to_dict(),
                "duration_seconds": round(time.monotonic() - started, 3),
            },
        )
    return ScanReport(
        job_id=tracker.id,
        status=JobStatus.COMPLETED.value,
        roots=[os.fsdecode(r) for r in roots],
        incremental=run.incremental,
        counts=run.counts,
        duration_seconds=time.monotonic() - started,
        errors=run.errors,
        held=run.held,
    )


class _ScanRun:
    def __init__(
        self,
        db: Database,
        options: ScanOptions,
        tracker: JobTracker,
        start_ns: int,
        progress: Callable[[ScanProgress], None] | None,
        started: float,
    ) -> None:
        self.db = db
        self.options = options
        self.tracker = tracker
        self.progress = progress
        self.started = started
        self.counts = ScanCounts()
        self.writer = ScanWriter(db, tracker, start_ns, self.counts)
        self.pool = ProbePool(options.prober, workers=options.workers)
        self.errors: list[dict[str, str]] = []
        self.held: list[walker.Entry] = []
        self.incremental = False
        self.queued = 0
        self.probed = 0
        self.current: bytes = b""
        self.phase = "walking"
        self._first_probe: float | None = None
        self.new_broken = 0
        self._last_progress = 0.0

    def context(self) -> dict[str, object]:
        return {"root": os.fsdecode(self.current), "counts": self.counts.to_dict()}

    def execute(self, roots: tuple[bytes, ...]) -> None:
        conn = self.db.conn
        under = [files_db.knows_under(conn, root) for root in roots]
        self.incremental = any(under) and not self.options.full
        # Plain incremental scans let the walker itself drop files equal to their trusted
        # catalogue row; Python then sees only the rest (and loads only those rows).
        filtering = self.incremental and not self.options.verify_hash and walker_can_filter(self.db)
        trusted = [filtering and u for u in under]
        knowns = [files_db.load_known(conn, root, untrusted_only=t) for root, t in zip(roots, trusted)]
        # New files the size of a file that may have moved wait until every root is walked,
        # so a move from one root to another is seen as a move.
        move_sizes = files_db.KnownSizes(conn)
        deferred: list[tuple[walker.Entry, str | None, str | None]] = []
        newly: list[tuple[int, bytes]] = []
        already: list[tuple[int, bytes]] = []
        for root, known, use_trusted in zip(roots, knowns, trusted):
            self.current = root
            root_newly, root_already = self._walk_root(root, known, use_trusted, move_sizes, deferred)
            newly += root_newly
            already += root_already
        self.phase = "probing"
        self._report(force=True)
        if deferred:
            newly = self._match_moves(deferred, newly, already)
        self._drain(until=0)
        self.writer.flush()
        removed, pruned = record_missing(self.db, self.tracker, newly, already, prune=self.options.prune)
        self.counts.removed += removed
        self.counts.pruned += pruned
        # Every broken file under the roots that this scan did not newly find broken.
        self.counts.known_broken = checks_db.count_broken(self.db.conn, roots) - self.new_broken
        self.report_phase("done")

    def stop(self) -> dict[str, int]:
        """Ctrl+C or failure: stop the probers, keep what was already probed; the counts."""
        self.pool.close()
        try:
            while (outcome := self.pool.get(timeout=0)) is not None:
                self._take(outcome)
            self.writer.flush()
        except Exception:
            log.exception("could not save the last batch of a stopped scan")
        return self.counts.to_dict()

    def _walk_root(
        self,
        root: bytes,
        known: dict[bytes, Known],
        use_trusted: bool,
        move_sizes: files_db.KnownSizes,
        deferred: list[tuple[walker.Entry, str | None, str | None]],
    ) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]]:
        """Walk one root; returns its (newly missing, already missing) known files.

        With `use_trusted`, `known` starts with the untrusted rows only; the rows of the
        entries the walker hands over, and of trusted paths it never found, are loaded
        as they are needed.
        """
        opts = self.options
        conn = self.db.conn
        trusted = trusted_rows(self.db, root) if use_trusted else None
        unreadable: list[bytes] = []
        found = 0
        unchanged = 0
        with walker.walk(
            root, extensions=opts.extensions, follow_symlinks=opts.follow_symlinks, trusted=trusted
        ) as batches:
            for entries, walk_errors in batches:
                skipped_now, unchanged = batches.unchanged - unchanged, batches.unchanged
                found += len(entries) + skipped_now
                self.counts.discovered += len(entries) + skipped_now
                self.counts.skipped += skipped_now
                for path, reason in walk_errors:
                    if path.rstrip(b"/") == root.rstrip(b"/"):
                        raise RootUnreadableError(
                            f"cannot read {os.fsdecode(root)}: {reason}; nothing was marked missing",
                            details={"path": os.fsdecode(root), "reason": reason},
                        )
                    unreadable.append(path)
                    self._error(path, f"cannot read directory: {reason}")
                if entries:
                    if trusted:
                        unknown = [e[0] for e in entries if e[0] not in known]
                        known.update(files_db.known_for(conn, unknown))
                    self._plan(
                        plan_batch(entries, known, full=opts.full, verify=opts.verify_hash),
                        move_sizes,
                        deferred,
                    )
                self._drain(until=MAX_PENDING_PROBES)
                self._report()
                self.tracker.beat()
            if trusted:
                known.update(files_db.known_for(conn, batches.unseen()))
                log.debug(
                    "%s: the walker skipped %d files equal to their catalogue rows",
                    os.fsdecode(root),
                    batches.unchanged,
                )
        # Only files this walk looked for can have gone missing (not other extensions,
        # not files in hidden directories that were catalogued as roots of their own).
        unseen = in_scope(known, root, opts.extensions)
        if found == 0 and opts.empty_is_unmounted and any(not k.missing for k in unseen.values()):
            raise UnmountedLibraryError(
                f"{os.fsdecode(root)} holds no video files but the library knows files under it; "
                "is it unmounted? Nothing was marked missing",
                details={"path": os.fsdecode(root)},
            )
        return split_remaining(unseen, unreadable)

    def _plan(
        self,
        plan: BatchPlan,
        move_sizes: files_db.KnownSizes,
        deferred: list[tuple[walker.Entry, str | None, str | None]],
    ) -> None:
        self.counts.skipped += plan.skipped
        if self.options.only is not None:
            self.held += hold_back(plan, self.options.only)
        for entry, k in plan.returned:
            self.writer.returned(k.id, entry[0])
            self.counts.restored += 1
        hashes: dict[bytes, str | None] = {}
        if self.options.verify_hash:
            everything = [e for e, _ in plan.unchanged] + [e for e, _, _ in plan.changed] + plan.new
            for entry, (digest, err) in zip(everything, walker.content_hashes([e[0] for e in everything])):
                hashes[entry[0]] = digest
                if err:
                    log.warning("cannot hash %s: %s", os.fsdecode(entry[0]), err)
            baselines = []
            for entry, k in plan.unchanged:
                digest = hashes.get(entry[0])
                verdict = hash_verdict(k, digest)
                if verdict == "changed":
                    plan.changed.append((entry, k, "content hash changed"))
                    continue
                if verdict == "baseline" and digest is not None:
                    baselines.append((digest, k.id))
                self.counts.skipped += 1
            self.writer.hashes(baselines)
        to_fingerprint = plan.new + [e for e, _, _ in plan.changed]
        prints = walker.fingerprints([e[0] for e in to_fingerprint])
        fp = {e[0]: digest for e, (digest, _) in zip(to_fingerprint, prints)}
        for entry, k, why in plan.changed:
            was_broken = k.scan_status == ScanStatus.ERROR and (entry[1], entry[2]) == (k.size, k.mtime_ns)
            self._submit(_Item(entry, k.id, why, fp.get(entry[0]), hashes.get(entry[0]), was_broken))
        for entry in plan.new:
            if entry[1] in move_sizes:
                deferred.append((entry, fp.get(entry[0]), hashes.get(entry[0])))
            else:
                self._submit(_Item(entry, None, None, fp.get(entry[0]), hashes.get(entry[0])))

    def _match_moves(
        self,
        deferred: list[tuple[walker.Entry, str | None, str | None]],
        newly: list[tuple[int, bytes]],
        already: list[tuple[int, bytes]],
    ) -> list[tuple[int, bytes]]:
        """A new file with the size and fingerprint of a vanished one is that file, moved."""
        moves = Moves(self.db.conn, dict(newly))
        for entry, fingerprint, content_hash in deferred:
            match = moves.find(entry[1], fingerprint) if fingerprint is not None else None
            if match and self.writer.move(match[0], match[1], entry):
                moves.taken(match[0])
                already[:] = [a for a in already if a[0] != match[0]]
                self.counts.moved += 1
            else:
                self._submit(_Item(entry, None, None, fingerprint, content_hash))
        return list(moves.vanished.items())

    def _submit(self, item: _Item) -> None:
        if self._first_probe is None:
            self._first_probe = time.monotonic() - self.started
        self.queued += 1
        self.pool.submit(item, item.entry[0])

    def _drain(self, *, until: int) -> None:
        """Take every finished probe; wait only while more than `until` are pending."""
        while self.pool.pending:
            waiting = self.pool.pending > until
            outcome = self.pool.get(timeout=0.2 if waiting else 0)
            if outcome is not None:
                self._take(outcome)
            elif not waiting:
                return
            self.tracker.beat()  # both at most every few seconds / tenth of a second
            self._report()

    def _take(self, outcome: ProbeOutcome) -> None:
        item: _Item = outcome.item
        self.probed += 1
        log.debug(
            "probed %s in %.3fs",
            os.fsdecode(item.entry[0]),
            outcome.seconds,
            extra={
                "file": os.fsdecode(item.entry[0]),
                "operation": "probe",
                "duration_seconds": round(outcome.seconds, 6),
            },
        )
        if outcome.error is not None:
            if not item.was_broken:  # a file broken before and unchanged is not a new error
                self.counts.errors += 1
                self.new_broken += 1
                self.errors.append({"path": os.fsdecode(item.entry[0]), "error": outcome.error})
            log.warning(
                "probe failed: %s: %s",
                os.fsdecode(item.entry[0]),
                outcome.error,
                extra={"file": os.fsdecode(item.entry[0]), "operation": "probe"},
            )
        # added / scanned are counted by the writer, which knows whether its insert was first
        self.writer.probed(
            Probed(
                item.entry,
                item.known_id,
                item.why,
                item.fingerprint,
                item.content_hash,
                outcome.result,
                outcome.error,
            )
        )

    def _error(self, path: bytes, message: str) -> None:
        self.counts.errors += 1
        self.errors.append({"path": os.fsdecode(path), "error": message})
        log.warning("%s: %s", os.fsdecode(path), message, extra={"file": os.fsdecode(path)})

    def report_phase(self, phase: str) -> None:
        """The last frame: the scan is done, or was interrupted (what was saved)."""
        self.phase = phase
        self._report(force=True)

    def _report(self, *, force: bool = False) -> None:
        """At most ten frames a second, as probes finish and batches are walked."""
        now = time.monotonic()
        if self.progress is None or (not force and now - self._last_progress < 0.1):
            return
        self._last_progress = now
        c, root = self.counts, os.fsdecode(self.current)
        elapsed, saved = now - self.started, c.added + c.scanned
        self.progress(
            ScanProgress(
                root, c.discovered, self.queued, self.probed, self.phase, elapsed, self._first_probe, saved
            )
        )
