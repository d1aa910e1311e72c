"""Data access for `files` and `tracks`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from vpo.catalogue import Entry, Known, ScanStatus
from vpo.db.connection import chunks
from vpo.db.dialect import Connection
from vpo.media.models import ProbeResult, Track
from vpo.media.track_summary import TrackSummary, summarize
from vpo.paths import under_range


class FileRecord(NamedTuple):
    id: int
    path: bytes
    size: int
    mtime_ns: int
    container: str | None
    duration: float | None
    fingerprint: str | None
    content_hash: str | None
    scan_status: str
    scan_error: str | None
    first_seen: str
    last_scanned: str


_RECORD_COLUMNS = (
    "id, path, size, mtime_ns, container, duration, fingerprint, content_hash, "
    "scan_status, scan_error, first_seen, last_scanned"
)


def _under(root: bytes) -> tuple[str, tuple[bytes, bytes, bytes]]:
    lo, hi = under_range(root)
    return "(path = ? OR (path >= ? AND path < ?))", (root, lo, hi)


_KNOWN_COLUMNS = "path, id, size, mtime_ns, scan_status, racy, content_hash"
# Rows whose size and mtime, if equal on disk, prove the file unchanged: present and not
# stored while racy. The scan's walker reads these itself (see scan.walker.Trusted).
# Both conditions are the WHERE clauses of partial indexes (migration V3), spelled alike.
_TRUSTED = "scan_status != 'missing' AND racy = 0"
_UNTRUSTED = "(scan_status = 'missing' OR racy != 0)"


def load_known(conn: Connection, root: bytes, *, untrusted_only: bool = False) -> dict[bytes, Known]:
    """Every catalogued path at or under `root`, keyed by path bytes (one copy per path).

    `untrusted_only`: only the rows `trusted_query` leaves out (missing or racy).
    """
    where, args = _under(root)
    if untrusted_only:
        where += f" AND {_UNTRUSTED}"
    rows = conn.execute(f"SELECT {_KNOWN_COLUMNS} FROM files WHERE {where}", args)
    return {row[0]: Known._make(row[1:]) for row in rows}


def trusted_query(root: bytes) -> tuple[str, tuple[bytes, bytes, bytes]]:
    """SQL and parameters of (path, size, mtime_ns) for the trusted rows under `root`.

    Two searches rather than one OR, so the range is read from the covering index alone.
    """
    lo, hi = under_range(root)
    columns = "SELECT path, size, mtime_ns FROM files"
    return (
        f"{columns} WHERE path >= ?2 AND path < ?3 AND {_TRUSTED} "
        f"UNION ALL {columns} WHERE path = ?1 AND {_TRUSTED}"
    ), (root, lo, hi)


# PostgreSQL's: the same rows, as a binary COPY (the walker reads that format, see
# rust/src/pgcopy.rs). COPY takes no bound parameters: psycopg quotes them in.
_TRUSTED_COPY = (
    "COPY (SELECT path, size, mtime_ns FROM files WHERE path >= ? AND path < ? "
    "AND scan_status != 'missing' AND racy = 0 "
    "UNION ALL SELECT path, size, mtime_ns FROM files WHERE path = ? "
    "AND scan_status != 'missing' AND racy = 0) TO STDOUT (FORMAT BINARY)"
)


def trusted_copy(conn: Connection, root: bytes) -> Iterator[bytes]:
    """PostgreSQL: the rows of `trusted_query` as its binary COPY, in chunks of bytes."""
    from vpo.db.postgres import PgConnection

    if not isinstance(conn, PgConnection):
        raise sqlite3.NotSupportedError("a binary COPY is PostgreSQL's")
    lo, hi = under_range(root)
    return conn.copy_out(_TRUSTED_COPY, (lo, hi, root))


def known_for(conn: Connection, paths: list[bytes]) -> dict[bytes, Known]:
    """The catalogue rows of these paths (those that have one)."""
    found: dict[bytes, Known] = {}
    for chunk in chunks(paths):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {_KNOWN_COLUMNS} FROM files WHERE path IN ({marks})", chunk):
            found[row[0]] = Known._make(row[1:])
    return found


def catalogued_among(conn: Connection, paths: list[bytes]) -> set[bytes]:
    """Which of these paths the catalogue has a row for (the paths alone: `known_for`
    builds each row, which finding the unscanned files of a whole library does not need)."""
    found: set[bytes] = set()
    for chunk in chunks(paths):
        marks = ",".join("?" * len(chunk))
        found.update(row[0] for row in conn.execute(f"SELECT path FROM files WHERE path IN ({marks})", chunk))
    return found


def path_known(conn: Connection, path: bytes) -> bool:
    """Whether the catalogue has a row at `path` (present, missing or broken)."""
    return conn.execute("SELECT 1 FROM files WHERE path = ?", (path,)).fetchone() is not None


def knows_under(conn: Connection, root: bytes) -> bool:
    where, args = _under(root)
    return conn.execute(f"SELECT EXISTS (SELECT 1 FROM files WHERE {where})", args).fetchone()[0] == 1


def size_known(conn: Connection, size: int) -> bool:
    """Whether any catalogued file (present or missing) has this size."""
    return conn.execute("SELECT EXISTS (SELECT 1 FROM files WHERE size = ?)", (size,)).fetchone()[0] == 1


def count_present_under(conn: Connection, root: bytes) -> int:
    where, args = _under(root)
    return conn.execute(
        f"SELECT count(*) FROM files WHERE {where} AND scan_status != 'missing'", args
    ).fetchone()[0]


def prints_of(conn: Connection, ids: list[int]) -> list[tuple[int, int, str | None]]:
    """(id, size, sampled fingerprint) of these files, by id."""
    found: list[tuple[int, int, str | None]] = []
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        found += conn.execute(
            f"SELECT id, size, fingerprint FROM files WHERE id IN ({marks})", chunk
        ).fetchall()
    return sorted(found)


def any_missing(conn: Connection) -> bool:
    return (
        conn.execute("SELECT EXISTS (SELECT 1 FROM files WHERE scan_status = 'missing')").fetchone()[0] == 1
    )


def missing_with_print(conn: Connection, size: int, fingerprint: str) -> tuple[int, bytes] | None:
    """(id, path) of the first missing file with this size and sampled fingerprint."""
    row = conn.execute(
        "SELECT id, path FROM files WHERE size = ? AND fingerprint = ? AND scan_status = 'missing' "
        "ORDER BY id LIMIT 1",
        (size, fingerprint),
    ).fetchone()
    return (row[0], bytes(row[1])) if row else None


class Measured(NamedTuple):
    """What reading a file found: its tracks (None: unreadable, `error` says why), its
    sampled fingerprint (scan/walker.py) and its content hash, when one was computed."""

    result: ProbeResult | None
    error: str | None
    fingerprint: str | None
    content_hash: str | None = None


def upsert_probed(
    conn: Connection, entry: Entry, measured: Measured, *, racy: bool, now: str
) -> tuple[int, bool]:
    """Write what a probe found of the file `entry` (the walk's stat of it); returns (file
    id, whether the row is new). Tracks replaced."""
    path, size, mtime_ns, dev, ino = entry
    result = measured.result
    existing = conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    values = (
        size,
        mtime_ns,
        dev,
        ino,
        result.container if result else None,
        result.duration_seconds if result else None,
        measured.fingerprint,
        measured.content_hash,
        (ScanStatus.OK if result else ScanStatus.ERROR).value,
        measured.error,
        int(racy),
        now,
    )
    if existing:
        file_id = existing[0]
        conn.execute(
            "UPDATE files SET size = ?, mtime_ns = ?, dev = ?, ino = ?, container = ?, duration = ?, "
            "fingerprint = ?, content_hash = ?, scan_status = ?, scan_error = ?, racy = ?, "
            "last_scanned = ?, missing_since = NULL WHERE id = ?",
            (*values, file_id),
        )
    else:
        file_id = conn.execute(
            "INSERT INTO files (size, mtime_ns, dev, ino, container, duration, fingerprint, "
            "content_hash, scan_status, scan_error, racy, last_scanned, path, first_seen) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (*values, path, now),
        ).fetchone()[0]
    replace_tracks(conn, file_id, result.tracks if result else ())
    return file_id, existing is None


def replace_tracks(conn: Connection, file_id: int, tracks: Sequence[Track]) -> None:
    conn.execute("DELETE FROM tracks WHERE file_id = ?", (file_id,))
    conn.executemany(
        "INSERT INTO tracks (file_id, idx, type, codec, language, title, is_default, is_forced, "
        "channels, width, height, color_transfer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                file_id,
                t.index,
                t.type,
                t.codec,
                t.language,
                t.title,
                int(t.default),
                int(t.forced),
                t.channels,
                t.width,
                t.height,
                t.color_transfer,
            )
            for t in tracks
        ],
    )
    summary = summarize(tracks)  # what `vpo report` and `vpo files` group and filter by
    conn.execute(
        f"UPDATE files SET {', '.join(f'{c} = ?' for c in TrackSummary._fields)} WHERE id = ?",
        (*summary, file_id),
    )


def update_probe_result(
    conn: Connection, file_id: int, entry: Entry, *, result: ProbeResult, fingerprint: str | None, now: str
) -> None:
    """After VPO itself rewrote a file (apply, transcode): its new path and stat (`entry`)
    and tracks, no rescan. racy = 1: the file was just written, so the next scan checks it
    once more."""
    path, size, mtime_ns, dev, ino = entry
    conn.execute(
        "UPDATE files SET path = ?, size = ?, mtime_ns = ?, dev = ?, ino = ?, container = ?, "
        "duration = ?, scan_status = 'ok', scan_error = NULL, content_hash = NULL, fingerprint = ?, "
        "racy = 1, last_scanned = ? WHERE id = ?",
        (
            path,
            size,
            mtime_ns,
            dev,
            ino,
            result.container,
            result.duration_seconds,
            fingerprint,
            now,
            file_id,
        ),
    )
    replace_tracks(conn, file_id, result.tracks)


def mark_present(conn: Connection, file_id: int, now: str) -> None:
    """A missing file came back unchanged: ok again (or error, if it was broken)."""
    conn.execute(
        "UPDATE files SET scan_status = CASE WHEN scan_error IS NULL THEN 'ok' ELSE 'error' END, "
        "missing_since = NULL, last_scanned = ? WHERE id = ?",
        (now, file_id),
    )


def mark_missing(conn: Connection, files: Iterable[tuple[int, bytes]], now: str) -> list[tuple[int, bytes]]:
    """Mark each (id, path) missing if its record still has that path; returns those marked.

    A record another process moved meanwhile (a scan, apply or transcode) is left alone:
    its file is at the new path, not missing.
    """
    marked = []
    for file_id, path in files:
        cur = conn.execute(
            "UPDATE files SET scan_status = 'missing', missing_since = ? WHERE id = ? AND path = ?",
            (now, file_id, path),
        )
        if cur.rowcount:
            marked.append((file_id, path))
    return marked


def delete_at(
    conn: Connection, files: Iterable[tuple[int, bytes]], *, only_missing: bool = False
) -> list[tuple[int, bytes]]:
    """Delete each (id, path) record that still has that path (and, with only_missing, is
    still missing); returns those deleted. Tracks go with them (ON DELETE CASCADE)."""
    extra = " AND scan_status = 'missing'" if only_missing else ""
    deleted = []
    for file_id, path in files:
        if conn.execute(f"DELETE FROM files WHERE id = ? AND path = ?{extra}", (file_id, path)).rowcount:
            deleted.append((file_id, path))
    return deleted


def delete_files(conn: Connection, ids: Iterable[int]) -> None:
    for part in chunks(list(ids)):
        conn.execute(f"DELETE FROM files WHERE id IN ({','.join('?' * len(part))})", part)


def move_file(conn: Connection, file_id: int, entry: Entry, *, old_path: bytes, racy: bool, now: str) -> bool:
    """Give a file its new path and stat (`entry`, the walk's); False if another process
    moved or re-added it meanwhile.

    Inside a savepoint: on PostgreSQL a failed statement would abort the whole transaction."""
    new_path, size, mtime_ns, dev, ino = entry
    conn.execute("SAVEPOINT move_file")
    try:
        cur = conn.execute(
            "UPDATE files SET path = ?, size = ?, mtime_ns = ?, dev = ?, ino = ?, racy = ?, "
            "scan_status = CASE WHEN scan_error IS NULL THEN 'ok' ELSE 'error' END, "
            "missing_since = NULL, last_scanned = ? WHERE id = ? AND path = ?",
            (new_path, size, mtime_ns, dev, ino, int(racy), now, file_id, old_path),
        )
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO move_file")
        conn.execute("RELEASE move_file")
        return False
    conn.execute("RELEASE move_file")
    return cur.rowcount == 1


def set_content_hashes(conn: Connection, pairs: Sequence[tuple[str, int]]) -> None:
    conn.executemany("UPDATE files SET content_hash = ? WHERE id = ?", pairs)


def get_by_path(conn: Connection, path: bytes) -> FileRecord | None:
    row = conn.execute(f"SELECT {_RECORD_COLUMNS} FROM files WHERE path = ?", (path,)).fetchone()
    return FileRecord(*row) if row else None


def files_under(conn: Connection, root: bytes) -> list[FileRecord]:
    where, args = _under(root)
    rows = conn.execute(f"SELECT {_RECORD_COLUMNS} FROM files WHERE {where} ORDER BY path", args)
    return [FileRecord(*row) for row in rows]


def iter_files_under(conn: Connection, root: bytes, page: int = 2000) -> Iterator[FileRecord]:
    """`files_under`, read a page at a time (each page a search of the path index after
    the last path of the one before): never the whole tree in memory, and no statement
    left open between pages for the caller's own queries and writes."""
    columns = f"SELECT {_RECORD_COLUMNS} FROM files"
    yield from (FileRecord(*row) for row in conn.execute(f"{columns} WHERE path = ?", (root,)))
    lo, hi = under_range(root)
    rows = conn.execute(
        f"{columns} WHERE path >= ? AND path < ? ORDER BY path LIMIT ?", (lo, hi, page)
    ).fetchall()
    while rows:
        yield from map(FileRecord._make, rows)
        if len(rows) < page:
            return
        rows = conn.execute(
            f"{columns} WHERE path > ? AND path < ? ORDER BY path LIMIT ?", (rows[-1][1], hi, page)
        ).fetchall()


def tracks_of(conn: Connection, file_id: int) -> list[Track]:
    rows = conn.execute(
        "SELECT idx, type, codec, language, title, is_default, is_forced, channels, width, height, "
        "color_transfer FROM tracks WHERE file_id = ? ORDER BY idx",
        (file_id,),
    )
    return [
        Track(
            index=r[0],
            type=r[1],
            codec=r[2],
            language=r[3],
            title=r[4],
            default=bool(r[5]),
            forced=bool(r[6]),
            channels=r[7],
            width=r[8],
            height=r[9],
            color_transfer=r[10],
        )
        for r in rows
    ]


def get_by_id(conn: Connection, file_id: int) -> FileRecord | None:
    row = conn.execute(f"SELECT {_RECORD_COLUMNS} FROM files WHERE id = ?", (file_id,)).fetchone()
    return FileRecord(*row) if row else None


class KnownSizes:
    """`size in sizes`: does the catalogue hold a file (present or missing) of this size?"""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[int, bool] = {}

    def __contains__(self, size: int) -> bool:
        hit = self._seen.get(size)
        if hit is None:
            hit = self._seen[size] = size_known(self._conn, size)
        return hit
