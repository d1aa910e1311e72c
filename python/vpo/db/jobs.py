"""Data access for `jobs` and `job_files`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from vpo.db.connection import chunks
from vpo.db.dialect import Connection
from vpo.redact import scrub, scrub_tree


@dataclass(slots=True)
class JobRecord:
    id: str
    type: str
    status: str
    target: list[str]
    options: dict[str, Any]
    created_at: str
    policy: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    error_context: dict[str, Any] | None = None
    progress: float | None = None
    pid: int | None = None
    host: str | None = None
    heartbeat_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    worker: str | None = None  # random id of the worker running it (a transcode)
    attempts: int = 0  # runs ended by a dead worker


_COLUMNS = (
    "id, type, status, target, options, created_at, policy, summary, error_message, "
    "error_traceback, error_context, progress, pid, host, heartbeat_at, started_at, finished_at, "
    "worker, attempts"
)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def clean(text: str | None) -> str | None:
    """An error message or traceback as stored: never a password (a database error's text
    may quote one; see vpo/redact.py)."""
    return None if text is None else scrub(text)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _record(row: Sequence[Any]) -> JobRecord:
    r = list(row)
    for i in (3, 4, 6, 7, 10):
        r[i] = _load(r[i])
    return JobRecord(*r)


def insert(conn: Connection, job: JobRecord) -> None:
    conn.execute(
        f"INSERT INTO jobs ({_COLUMNS}) VALUES ({','.join('?' * 19)})",
        (
            job.id,
            job.type,
            job.status,
            _dump(job.target),
            _dump(job.options),
            job.created_at,
            _dump(job.policy),
            _dump(job.summary),
            clean(job.error_message),
            clean(job.error_traceback),
            _dump(scrub_tree(job.error_context)),
            job.progress,
            job.pid,
            job.host,
            job.heartbeat_at,
            job.started_at,
            job.finished_at,
            job.worker,
            job.attempts,
        ),
    )


def heartbeat(conn: Connection, job_id: str, now: str, progress: float | None) -> None:
    conn.execute(
        "UPDATE jobs SET heartbeat_at = ?, progress = coalesce(?, progress) WHERE id = ?",
        (now, progress, job_id),
    )


def finish(conn: Connection, job: JobRecord) -> None:
    conn.execute(
        "UPDATE jobs SET status = ?, summary = ?, error_message = ?, error_traceback = ?, "
        "error_context = ?, progress = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?",
        (
            job.status,
            _dump(job.summary),
            clean(job.error_message),
            clean(job.error_traceback),
            _dump(scrub_tree(job.error_context)),
            job.progress,
            job.finished_at,
            job.finished_at,
            job.id,
        ),
    )


def add_warnings(conn: Connection, job_id: str, warnings: Sequence[str]) -> None:
    """Warnings found once a job had finished (the media stack's refreshes, after a
    transcode replaced its file), added to its summary's `warnings`."""
    row = conn.execute("SELECT summary FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None or not warnings:
        return
    summary = _load(row[0]) or {}
    summary["warnings"] = [*summary.get("warnings", []), *(scrub(w) for w in warnings)]
    conn.execute("UPDATE jobs SET summary = ? WHERE id = ?", (_dump(summary), job_id))


def add_files(
    conn: Connection,
    job_id: str,
    rows: Sequence[tuple[int | None, bytes, str, dict[str, Any] | None]],
) -> None:
    conn.executemany(
        "INSERT INTO job_files (job_id, file_id, path, outcome, details) VALUES (?, ?, ?, ?, ?)",
        [(job_id, fid, path, outcome, _dump(details)) for fid, path, outcome, details in rows],
    )


def get(conn: Connection, job_id: str) -> JobRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return _record(row) if row else None


def exists(conn: Connection, job_id: str) -> bool:
    return conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is not None


def summary_of(conn: Connection, job_id: str) -> dict[str, Any]:
    """A job's summary ({} when it has none, or none that reads as one)."""
    row = conn.execute("SELECT summary FROM jobs WHERE id = ?", (job_id,)).fetchone()
    try:
        summary = _load(row[0]) if row else None
    except ValueError:
        return {}
    return summary if isinstance(summary, dict) else {}


def scan_targets(conn: Connection) -> list[list[str]]:
    """The roots of every scan ever run (each scan job's target), as stored; a target that
    does not read as a list of paths is left out."""
    out = []
    for (target,) in conn.execute("SELECT DISTINCT target FROM jobs WHERE type = 'scan'"):
        try:
            roots = _load(target)
        except ValueError:
            continue
        if isinstance(roots, list) and all(isinstance(r, str) for r in roots):
            out.append(roots)
    return out


class ChangedFile(NamedTuple):
    """A file an apply or a transcode changed: its details may name a kept original or journal."""

    job_id: str
    job_type: str
    finished: str  # when the job finished (created, if it never did)
    path: bytes
    details: dict[str, Any]


def changed_files(conn: Connection) -> list[ChangedFile]:
    """Every file applies and transcodes changed, oldest job first, in each job's order."""
    rows = conn.execute(
        "SELECT j.id, j.type, coalesce(j.finished_at, j.created_at), jf.path, jf.details "
        "FROM job_files jf JOIN jobs j ON j.id = jf.job_id "
        "WHERE (j.type = 'apply' AND jf.outcome = 'applied') "
        "OR (j.type = 'transcode' AND jf.outcome = 'transcoded') "
        "ORDER BY j.created_at, jf.rowid"
    )
    return [ChangedFile(r[0], r[1], r[2], bytes(r[3]), _load(r[4]) or {}) for r in rows]


def ids_with_prefix(conn: Connection, prefix: str, limit: int = 20) -> list[str]:
    # A range, not LIKE: uses the primary key index. '~' sorts after every id character.
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "~", limit),
        )
    ]


def query(
    conn: Connection,
    *,
    status: str | None = None,
    type: str | None = None,
    since: str | None = None,
    file: bytes | None = None,
    limit: int | None = 20,
) -> list[JobRecord]:
    """Newest first; every filter is served by an index. `file` is an absolute path: the jobs
    that touched the file there, under any path it has had (its id survives moves)."""
    where: list[str] = []
    args: list[Any] = []
    if status:
        where.append("status = ?")
        args.append(status)
    if type:
        where.append("type = ?")
        args.append(type)
    if since:
        where.append("created_at >= ?")
        args.append(since)
    if file is not None:
        # The file's ids, plus rows left without one when its record was pruned (by path).
        ids = file_ids_for_path(conn, file)
        marks = ",".join("?" * len(ids)) or "NULL"
        where.append(
            f"id IN (SELECT job_id FROM job_files WHERE file_id IN ({marks}) "
            "UNION SELECT job_id FROM job_files WHERE path = ? AND file_id IS NULL)"
        )
        args.extend([*ids, file])
    sql = f"SELECT {_COLUMNS} FROM jobs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [_record(r) for r in conn.execute(sql, args)]


def files_of(
    conn: Connection, job_id: str, limit: int | None = None
) -> list[tuple[int | None, bytes, str, dict[str, Any] | None]]:
    sql = "SELECT file_id, path, outcome, details FROM job_files WHERE job_id = ? ORDER BY rowid"
    args: list[Any] = [job_id]
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [(r[0], r[1], r[2], _load(r[3])) for r in conn.execute(sql, args)]


def count_files(conn: Connection, job_id: str) -> int:
    return conn.execute("SELECT count(*) FROM job_files WHERE job_id = ?", (job_id,)).fetchone()[0]


def file_ids_for_path(conn: Connection, path: bytes) -> list[int]:
    """Ids a path has been known by: its current record, and any record a job saw there."""
    ids = {r[0] for r in conn.execute("SELECT id FROM files WHERE path = ?", (path,))}
    ids |= {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT file_id FROM job_files WHERE path = ? AND file_id IS NOT NULL", (path,)
        )
    }
    return sorted(ids)


def running(conn: Connection) -> list[tuple[str, str, int | None, str | None, str | None]]:
    return conn.execute(
        "SELECT id, type, pid, host, heartbeat_at FROM jobs WHERE status = 'running'"
    ).fetchall()


def mark_abandoned(
    conn: Connection, job_id: str, reason: str, context: dict[str, Any], finished_at: str
) -> bool:
    cur = conn.execute(
        "UPDATE jobs SET status = 'failed', error_message = ?, error_context = ?, finished_at = ? "
        "WHERE id = ? AND status = 'running'",
        (reason, _dump(context), finished_at, job_id),
    )
    return cur.rowcount == 1


def finished_before(conn: Connection, cutoff: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM jobs WHERE created_at < ? AND status IN ('completed', 'failed', 'cancelled', 'skipped')",
            (cutoff,),
        )
    ]


def delete(conn: Connection, ids: Sequence[str]) -> None:
    for part in chunks(list(ids)):
        conn.execute(f"DELETE FROM jobs WHERE id IN ({','.join('?' * len(part))})", part)
