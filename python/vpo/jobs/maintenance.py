"""Keeping the history honest and bounded: abandoned jobs and retention."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import NamedTuple

from vpo.db import jobs as jobs_db
from vpo.db import queue as queue_db
from vpo.db.connection import Database, db_now
from vpo.host import hostname
from vpo.timeutil import from_iso, to_iso

# A job on another host (a shared database) is presumed dead after this long without a beat.
STALE_HEARTBEAT = timedelta(minutes=10)
# Older than any job: a purge cutoff that matches nothing.
EPOCH = "0001-01-01T00:00:00.000000Z"


def recover_abandoned(db: Database, *, max_attempts: int | None = None) -> list[str]:
    """`running` jobs whose process is gone: failed with the reason (transcodes go back to
    the queue, the attempt counted, until `max_attempts`). Returns their ids.

    Staleness is judged by the database's clock, which wrote the heartbeats: hosts whose
    own clocks disagree still agree on who is dead."""
    here = hostname()
    recovered = []
    rows = jobs_db.running(db.conn)
    now = db_now(db.conn) if rows else ""
    for job_id, job_type, pid, host, heartbeat in rows:
        reason = why_dead(pid, host, heartbeat, here, now)
        if reason is None:
            continue
        with db.transaction() as conn:
            if job_type == "transcode":
                # Nothing was replaced before verification, so redoing it is safe.
                done = queue_db.requeue_if_running(
                    conn, job_id, f"{reason}; requeued", pid=pid, max_attempts=max_attempts, now=now
                )
            else:
                # It ended at its last sign of life, not when we noticed: a scan killed
                # last week and found today did not run for a week.
                context = {"pid": pid, "host": host, "last_heartbeat_at": heartbeat, "detected_at": now}
                done = jobs_db.mark_abandoned(conn, job_id, reason, context, heartbeat or now)
            if done:
                recovered.append(job_id)
    return recovered


def why_dead(
    pid: int | None,
    host: str | None,
    heartbeat: str | None,
    here: str,
    now: str,
    *,
    stale: timedelta = STALE_HEARTBEAT,
) -> str | None:
    """Why the process that wrote a row is dead (None: alive, or not known to be dead): on
    this host, its pid is gone; on another, no heartbeat for `stale` (the database's clock)."""
    if host == here and pid:
        if pid == os.getpid():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return f"process {pid} exited without finishing"
        except PermissionError:
            pass  # alive, another user's
    if heartbeat and from_iso(now) - from_iso(heartbeat) > stale:
        return f"no heartbeat from process {pid} on {host} since {heartbeat}"
    return None


class PurgeResult(NamedTuple):
    cutoff: str
    job_ids: list[str]
    dry_run: bool


def purge(db: Database, *, older_than_days: float, dry_run: bool = False) -> PurgeResult:
    """Delete finished jobs (and their file rows) created more than `older_than_days` ago."""
    try:  # by the database's clock, which wrote the jobs' times
        cutoff = to_iso(from_iso(db_now(db.conn)) - timedelta(days=older_than_days))
    except (OverflowError, ValueError):  # beyond the calendar (inf, 1e308): nothing is that old
        cutoff = EPOCH
    ids = jobs_db.finished_before(db.conn, cutoff)
    if ids and not dry_run:
        with db.transaction() as conn:
            jobs_db.delete(conn, ids)
    return PurgeResult(cutoff=cutoff, job_ids=ids, dry_run=dry_run)
