"""Data access for `checks`: the latest integrity check of each file (SPEC section 14)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from vpo.db.dialect import Connection
from vpo.paths import under_range


class Candidate(NamedTuple):
    """A catalogued file `vpo check` may check, with its latest check (if any)."""

    file_id: int
    path: bytes
    duration: float | None
    check_size: int | None
    check_mtime_ns: int | None
    check_level: str | None
    checked_at: str | None
    check_passed: int | None


class CheckRecord(NamedTuple):
    file_id: int
    size: int
    mtime_ns: int
    level: str
    passed: bool
    error: str | None
    checked_at: str
    seconds: float | None
    job_id: str | None


_CANDIDATE = (
    "SELECT f.id, f.path, f.duration, c.size, c.mtime_ns, c.level, c.checked_at, c.passed "
    "FROM files f LEFT JOIN checks c ON c.file_id = f.id WHERE f.scan_status != 'missing'"
)
# Never checked first, then the oldest check: a nightly run bounded by --max-duration
# works through the whole library over several nights.
_ORDER = " ORDER BY c.checked_at IS NOT NULL, c.checked_at, f.id"


def candidates(conn: Connection, roots: Iterable[bytes]) -> list[Candidate]:
    """Present catalogued files at or under any of `roots` (every file when none), oldest
    check first. A path in two roots is listed once."""
    roots = list(roots)
    if not roots:
        return [Candidate._make(r) for r in conn.execute(_CANDIDATE + _ORDER)]
    clauses, params = [], []
    for root in roots:
        lo, hi = under_range(root)
        clauses.append("(f.path = ? OR (f.path >= ? AND f.path < ?))")
        params += [root, lo, hi]
    sql = f"{_CANDIDATE} AND ({' OR '.join(clauses)}){_ORDER}"
    return [Candidate._make(r) for r in conn.execute(sql, params)]


def record(conn: Connection, rec: CheckRecord) -> None:
    conn.execute(
        "INSERT INTO checks (file_id, size, mtime_ns, level, passed, error, checked_at, seconds, job_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (file_id) DO UPDATE SET size = excluded.size, "
        "mtime_ns = excluded.mtime_ns, level = excluded.level, passed = excluded.passed, "
        "error = excluded.error, checked_at = excluded.checked_at, seconds = excluded.seconds, "
        "job_id = excluded.job_id",
        (
            rec.file_id,
            rec.size,
            rec.mtime_ns,
            rec.level,
            int(rec.passed),
            rec.error,
            rec.checked_at,
            rec.seconds,
            rec.job_id,
        ),
    )


def count_broken(conn: Connection, roots: Iterable[bytes]) -> int:
    """Catalogued files at or under `roots` whose last probe failed (`scan_status = error`)."""
    total = 0
    for root in roots:
        lo, hi = under_range(root)
        total += conn.execute(
            "SELECT count(*) FROM files WHERE scan_status = 'error' AND (path = ? OR (path >= ? AND path < ?))",
            (root, lo, hi),
        ).fetchone()[0]
    return total


class Catalogued(NamedTuple):
    """What the catalogue says of a file's health: its last probe, and its last check."""

    scan_status: str
    scan_error: str | None
    last_scanned: str
    check: CheckRecord | None


def status_of(conn: Connection, path: bytes) -> Catalogued | None:
    """None when `path` is not catalogued."""
    row = conn.execute(
        "SELECT f.scan_status, f.scan_error, f.last_scanned, c.file_id, c.size, c.mtime_ns, c.level, "
        "c.passed, c.error, c.checked_at, c.seconds, c.job_id "
        "FROM files f LEFT JOIN checks c ON c.file_id = f.id WHERE f.path = ?",
        (path,),
    ).fetchone()
    if row is None:
        return None
    check = None
    if row[3] is not None:
        check = CheckRecord(row[3], row[4], row[5], row[6], bool(row[7]), row[8], row[9], row[10], row[11])
    return Catalogued(row[0], row[1], row[2], check)
