"""Data access for the transcode queue: atomic claims and state changes that only apply
while the job is still in the state the caller believes (so a cancel is never lost)."""

from __future__ import annotations

import sqlite3


def claim_next(conn: sqlite3.Connection, *, pid: int, host: str, now: str) -> str | None:
    """Take the oldest queued transcode job. Call inside a write transaction (BEGIN
    IMMEDIATE), which makes the claim atomic across processes."""
    row = conn.execute(
        "SELECT id FROM jobs WHERE status = 'queued' AND type = 'transcode' ORDER BY created_at, id LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    cur = conn.execute(
        "UPDATE jobs SET status = 'running', pid = ?, host = ?, started_at = ?, heartbeat_at = ?, "
        "finished_at = NULL, progress = 0 WHERE id = ? AND status = 'queued'",
        (pid, host, now, now, row[0]),
    )
    return row[0] if cur.rowcount == 1 else None


def beat_if_running(conn: sqlite3.Connection, job_id: str, now: str, progress: float | None) -> bool:
    """Heartbeat; False when the job is no longer running (cancelled meanwhile)."""
    cur = conn.execute(
        "UPDATE jobs SET heartbeat_at = ?, progress = coalesce(?, progress) WHERE id = ? AND status = 'running'",
        (now, progress, job_id),
    )
    return cur.rowcount == 1


def finish_if_running(conn: sqlite3.Connection, job_id: str, *, status: str, now: str,
                      summary: str | None, error: str | None, traceback: str | None,
                      progress: float | None) -> bool:
    cur = conn.execute(
        "UPDATE jobs SET status = ?, finished_at = ?, heartbeat_at = ?, summary = ?, error_message = ?, "
        "error_traceback = ?, progress = coalesce(?, progress) WHERE id = ? AND status = 'running'",
        (status, now, now, summary, error, traceback, progress, job_id),
    )
    return cur.rowcount == 1


def requeue_if_running(conn: sqlite3.Connection, job_id: str, reason: str) -> bool:
    cur = conn.execute(
        "UPDATE jobs SET status = 'queued', started_at = NULL, pid = NULL, host = NULL, progress = NULL, "
        "error_message = ? WHERE id = ? AND status = 'running'",
        (reason, job_id),
    )
    return cur.rowcount == 1


def cancel(conn: sqlite3.Connection, job_id: str, now: str) -> str | None:
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


def retry(conn: sqlite3.Connection, job_id: str) -> bool:
    """Failed or cancelled back to queued; False if the job is in any other state."""
    cur = conn.execute(
        "UPDATE jobs SET status = 'queued', started_at = NULL, finished_at = NULL, pid = NULL, host = NULL, "
        "heartbeat_at = NULL, progress = NULL, error_message = NULL, error_traceback = NULL, "
        "error_context = NULL, summary = NULL WHERE id = ? AND status IN ('failed', 'cancelled')",
        (job_id,),
    )
    return cur.rowcount == 1


def active_transcode_for(conn: sqlite3.Connection, file_id: int) -> bool:
    """Is a transcode of this file queued or running?"""
    return conn.execute(
        "SELECT 1 FROM job_files f JOIN jobs j ON j.id = f.job_id WHERE f.file_id = ? "
        "AND j.type = 'transcode' AND j.status IN ('queued', 'running') LIMIT 1", (file_id,)
    ).fetchone() is not None
