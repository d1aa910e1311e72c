"""Data access for the transcode queue: atomic claims and state changes that only apply
while the job is still in the state the caller believes (so a cancel is never lost).

A claim is fenced: the worker's heartbeat, finish and requeue match the job's pid, host
and started_at as well as its status, so a worker whose job was cancelled, retried and
claimed again by someone else meanwhile can never write over the new run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from vpo.db.connection import db_now
from vpo.db.dialect import Connection
from vpo.db.jobs import clean

if TYPE_CHECKING:
    from vpo.db.connection import Database


class Claim(NamedTuple):
    job_id: str
    pid: int
    host: str
    started_at: str
    worker: str = ""  # random id of the claiming worker (host and pid may recur)


_MINE = "id = ? AND status = 'running' AND pid = ? AND host = ? AND started_at = ?"


def _fence(claim: Claim) -> tuple[str, int, str, str]:
    return (claim.job_id, claim.pid, claim.host, claim.started_at)


_FREE = (
    "j.status = 'queued' AND j.type = 'transcode' AND NOT EXISTS ("
    " SELECT 1 FROM job_files mine"
    " JOIN job_files other ON other.file_id = mine.file_id AND other.job_id != mine.job_id"
    " JOIN jobs busy ON busy.id = other.job_id"
    " WHERE mine.job_id = j.id AND busy.status = 'running' AND busy.type = 'transcode')"
)


def claim(
    db: Database, *, pid: int, host: str, worker: str = "", exclude: list[str] | None = None
) -> Claim | None:
    """Take the oldest queued transcode job whose file no other transcode is working on.

    Atomic across processes and hosts: on SQLite a claim holds the write lock; on PostgreSQL
    workers claim side by side, each passing over the rows another holds (SKIP LOCKED), and
    a job whose file another worker claimed meanwhile is passed over. Started and heartbeat
    times are the database's clock. `exclude`: job ids not to take (their files cannot be
    seen on this host)."""
    passed: list[str] = list(exclude or ())
    for _ in range(100):
        with db.transaction(lock=db.dialect.claims_take_write_lock) as conn:
            got = _claim_once(conn, pid=pid, host=host, worker=worker, passed=passed)
        if not isinstance(got, str):
            return got
        passed.append(got)
    return None


def _claim_once(
    conn: Connection, *, pid: int, host: str, worker: str, passed: list[str]
) -> Claim | str | None:
    """One try: the claim, None (nothing queued), or the id of a job to pass over."""
    dialect = conn.dialect
    skip = f" AND j.id NOT IN ({','.join('?' * len(passed))})" if passed else ""
    row = conn.execute(
        f"SELECT j.id FROM jobs j WHERE {_FREE}{skip} ORDER BY j.created_at, j.id LIMIT 1"
        + dialect.skip_locked("j"),
        passed,
    ).fetchone()
    if row is None:
        return None
    job_id = row[0]
    if dialect.lock_files_of_job(conn, job_id) and not _still_free(conn, job_id):
        return job_id
    now = db_now(conn)
    cur = conn.execute(
        "UPDATE jobs SET status = 'running', pid = ?, host = ?, worker = ?, started_at = ?, "
        "heartbeat_at = ?, finished_at = NULL, progress = 0 WHERE id = ? AND status = 'queued'",
        (pid, host, worker, now, now, job_id),
    )
    return Claim(job_id, pid, host, now, worker) if cur.rowcount == 1 else job_id


def _still_free(conn: Connection, job_id: str) -> bool:
    return conn.execute(f"SELECT 1 FROM jobs j WHERE j.id = ? AND {_FREE}", (job_id,)).fetchone() is not None


def running_on(conn: Connection, host: str) -> int:
    """How many transcodes are running on `host` (the asking worker's own included)."""
    row = conn.execute(
        "SELECT count(*) FROM jobs WHERE status = 'running' AND type = 'transcode' AND host = ?", (host,)
    ).fetchone()
    return int(row[0])


def beat(conn: Connection, claim: Claim, now: str, progress: float | None) -> bool:
    """Heartbeat; False when the job is no longer this worker's (cancelled meanwhile)."""
    cur = conn.execute(
        f"UPDATE jobs SET heartbeat_at = ?, progress = coalesce(?, progress) WHERE {_MINE}",
        (now, progress, *_fence(claim)),
    )
    return cur.rowcount == 1


def still_mine(conn: Connection, claim: Claim) -> bool:
    """Inside the transaction that replaces the file: has nobody cancelled the job?"""
    return conn.execute(f"SELECT 1 FROM jobs WHERE {_MINE}", _fence(claim)).fetchone() is not None


def finish(
    conn: Connection,
    claim: Claim,
    *,
    status: str,
    now: str,
    summary: str | None,
    error: str | None,
    traceback: str | None,
    progress: float | None,
) -> bool:
    cur = conn.execute(
        "UPDATE jobs SET status = ?, finished_at = ?, heartbeat_at = ?, summary = ?, error_message = ?, "
        f"error_traceback = ?, progress = coalesce(?, progress) WHERE {_MINE}",
        (status, now, now, summary, clean(error), clean(traceback), progress, *_fence(claim)),
    )
    return cur.rowcount == 1


def requeue(conn: Connection, claim: Claim, reason: str) -> bool:
    """This worker gives its job back (the run is stopping)."""
    cur = conn.execute(
        "UPDATE jobs SET status = 'queued', started_at = NULL, pid = NULL, host = NULL, worker = NULL, "
        f"progress = NULL, error_message = ? WHERE {_MINE}",
        (reason, *_fence(claim)),
    )
    return cur.rowcount == 1


def requeue_if_running(
    conn: Connection,
    job_id: str,
    reason: str,
    *,
    pid: int | None = None,
    max_attempts: int | None = None,
    now: str | None = None,
) -> bool:
    """A dead worker's job goes back to the queue (jobs/maintenance.py decides it is dead),
    the attempt counted; with `max_attempts`, the run that reaches it fails the job instead.
    With `pid`, only while that worker still holds it (not if it was retried and re-claimed)."""
    cur = conn.execute(
        "UPDATE jobs SET attempts = attempts + 1, "
        "status = CASE WHEN ? IS NOT NULL AND attempts + 1 >= ? THEN 'failed' ELSE 'queued' END, "
        "finished_at = CASE WHEN ? IS NOT NULL AND attempts + 1 >= ? THEN ? ELSE NULL END, "
        "started_at = NULL, pid = NULL, host = NULL, worker = NULL, progress = NULL, "
        "error_message = ? WHERE id = ? AND status = 'running' AND (? IS NULL OR pid = ?)",
        (max_attempts, max_attempts, max_attempts, max_attempts, now, reason, job_id, pid, pid),
    )
    return cur.rowcount == 1


def cancel(conn: Connection, job_id: str, now: str) -> str | None:
    """Cancel a queued or running job; returns the status it had, None if it was finished."""
    row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None or row[0] not in ("queued", "running"):
        return None
    conn.execute(
        "UPDATE jobs SET status = 'cancelled', finished_at = ?, error_message = 'cancelled by the user' "
        "WHERE id = ? AND status IN ('queued', 'running')",
        (now, job_id),
    )
    return row[0]


def retry(conn: Connection, job_id: str) -> bool:
    """Failed or cancelled back to queued; False if the job is in any other state."""
    cur = conn.execute(
        "UPDATE jobs SET status = 'queued', started_at = NULL, finished_at = NULL, pid = NULL, host = NULL, "
        "worker = NULL, attempts = 0, heartbeat_at = NULL, progress = NULL, error_message = NULL, error_traceback = NULL, "
        "error_context = NULL, summary = NULL WHERE id = ? AND status IN ('failed', 'cancelled')",
        (job_id,),
    )
    return cur.rowcount == 1


def active_transcode_for(conn: Connection, file_id: int) -> bool:
    """Is a transcode of this file queued or running?"""
    return (
        conn.execute(
            "SELECT 1 FROM job_files f JOIN jobs j ON j.id = f.job_id WHERE f.file_id = ? "
            "AND j.type = 'transcode' AND j.status IN ('queued', 'running') LIMIT 1",
            (file_id,),
        ).fetchone()
        is not None
    )
