"""Batched catalogue writes for a scan: each flush is one transaction that records the
changes and the job's affected-file rows together, so a crash loses at most one batch
and never leaves one without the other."""

from __future__ import annotations

import os
import time
from typing import Any, NamedTuple

from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.db.dialect import Connection
from vpo.jobs.tracker import JobTracker
from vpo.media.models import ProbeResult
from vpo.scan.diff import RACY_REASON, is_racy, racy_confirmed
from vpo.scan.models import ScanCounts
from vpo.scan.walker import Entry
from vpo.timeutil import now_iso

FLUSH_EVERY = 500
FLUSH_SECONDS = 1.0


class Probed(NamedTuple):
    entry: Entry
    known_id: int | None
    why: str | None
    fingerprint: str | None
    content_hash: str | None
    result: ProbeResult | None
    error: str | None


class ScanWriter:
    """Also keeps `counts.added`, `.scanned` and (for a file another scan catalogued first)
    `.skipped` for probed files: only the write knows whether its insert created the row.
    They move when a batch commits, so a rolled-back batch is counted once, when it lands."""

    def __init__(
        self, db: Database, tracker: JobTracker, scan_start_ns: int, counts: ScanCounts | None = None
    ) -> None:
        self.db = db
        self.tracker = tracker
        self.start_ns = scan_start_ns
        self.counts = counts if counts is not None else ScanCounts()
        self._ops: list[tuple[str, Any]] = []
        self._last = time.monotonic()

    def probed(self, item: Probed) -> None:
        self._queue("probed", item)

    def returned(self, file_id: int, path: bytes) -> None:
        self._queue("returned", (file_id, path))

    def move(self, file_id: int, old_path: bytes, entry: Entry) -> bool:
        """Record a move now, in its own transaction; False if another process got there first."""
        with self.db.transaction() as conn:
            done = files_db.move_file(
                conn, file_id, entry, old_path=old_path, racy=is_racy(entry[2], self.start_ns), now=now_iso()
            )
            if done:
                self.tracker.add_files(conn, [(file_id, entry[0], "moved", {"from": os.fsdecode(old_path)})])
        return done

    def hashes(self, pairs: list[tuple[str, int]]) -> None:
        if pairs:
            self._queue("hashes", pairs)

    def _queue(self, kind: str, payload: Any) -> None:
        self._ops.append((kind, payload))
        if len(self._ops) >= FLUSH_EVERY or time.monotonic() - self._last > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Commit everything queued, in one transaction.

        If the transaction is rolled back (Ctrl+C or an error while writing), the batch
        stays queued, so the flush that saves a stopped scan's work still writes it.
        """
        ops, self._ops = self._ops, []
        self._last = time.monotonic()
        if not ops:
            return
        committing = False
        try:
            with self.db.transaction() as conn:
                tally = self._write(conn, ops)
                committing = True  # past this point the batch is (being) committed: never twice
        except BaseException:
            if not committing:
                self._ops[:0] = ops
            raise
        for name, n in tally.items():
            setattr(self.counts, name, getattr(self.counts, name) + n)

    def _write(self, conn: Connection, ops: list[tuple[str, Any]]) -> dict[str, int]:
        """Write the batch; returns what it adds to the counts."""
        now = now_iso()
        tally = {"added": 0, "scanned": 0, "skipped": 0}
        job_rows: list[tuple[int | None, bytes, str, dict[str, Any] | None]] = []
        for kind, payload in ops:
            if kind == "probed":
                path, _size, mtime_ns, _dev, _ino = payload.entry
                # A racy file re-checked and found as it was is not a change: no job row.
                was = files_db.tracks_of(conn, payload.known_id) if payload.why == RACY_REASON else ()
                confirmed = racy_confirmed(
                    payload.why, was, payload.result.tracks if payload.result else None
                )
                measured = files_db.Measured(
                    payload.result, payload.error, payload.fingerprint, payload.content_hash
                )
                file_id, is_new = files_db.upsert_probed(
                    conn, payload.entry, measured, racy=is_racy(mtime_ns, self.start_ns), now=now
                )
                if payload.error is not None:  # counted by the scan, with the walk's errors
                    job_rows.append((file_id, path, "error", {"error": payload.error}))
                elif payload.known_id is None and is_new:
                    tally["added"] += 1
                    job_rows.append((file_id, path, "added", _summary(payload.result)))
                elif payload.known_id is None:
                    # Another scan running at the same time catalogued it first (its job
                    # says `added`); for this one the file was already there.
                    tally["skipped"] += 1
                else:
                    tally["scanned"] += 1
                    if not confirmed:
                        job_rows.append(
                            (file_id, path, "changed", {"reason": payload.why, **_summary(payload.result)})
                        )
            elif kind == "returned":
                file_id, path = payload
                files_db.mark_present(conn, file_id, now)
                job_rows.append((file_id, path, "changed", {"reason": "reappeared"}))
            elif kind == "hashes":
                files_db.set_content_hashes(conn, payload)
        self.tracker.add_files(conn, job_rows)
        return tally


def _summary(result: ProbeResult | None) -> dict[str, Any]:
    if result is None:
        return {}
    return {"container": result.container, "tracks": len(result.tracks)}


def record_missing(
    db: Database,
    tracker: JobTracker,
    newly: list[tuple[int, bytes]],
    already: list[tuple[int, bytes]],
    *,
    prune: bool,
) -> tuple[int, int]:
    """Mark files not found as missing (they keep their history), or delete them with prune.

    Only records still at the path the walk missed are touched: another process may have
    moved one meanwhile. Returns (newly missing, records deleted). A pruned file's audit
    row keeps its path, with no file id.
    """
    now = now_iso()
    with db.transaction() as conn:
        if not prune:
            marked = files_db.mark_missing(conn, newly, now)
            tracker.add_files(conn, [(fid, path, "missing", None) for fid, path in marked])
            return len(marked), 0
        gone = files_db.delete_at(conn, newly)
        old = files_db.delete_at(conn, already, only_missing=True)
        tracker.add_files(conn, [(None, path, "missing", {"pruned": True}) for _, path in gone + old])
        return len(gone), len(gone) + len(old)
