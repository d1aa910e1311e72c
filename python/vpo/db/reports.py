"""SQL of `vpo report`: counts and sums over the catalogue, computed by the database.

Every grouping reads the `files` rows alone (their track summary columns, see
media/track_summary.py), never joining `tracks`, and comes back as a few hundred rows at
most: `cube` groups by status, container and the main video's codec, size and transfer
(the covering index `files_report`, in its own order: no sort, no table read),
`multisets` by one of the language or audio layout columns (their own covering indexes).
reports/summary.py adds those rows up into the report's sections.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vpo.db.dialect import Connection
from vpo.db.listing import scope_sql

MULTISET_COLUMNS = ("audio_layouts", "audio_languages", "subtitle_languages")


def cube(conn: Connection, roots: Sequence[bytes]) -> list[tuple[Any, ...]]:
    """(status, container, video codec, width, height, transfer, files, bytes)."""
    where, params = scope_sql(roots)
    return conn.execute(
        "SELECT scan_status, container, video_codec, video_width, video_height, video_transfer, "
        f"count(*), coalesce(sum(size), 0) FROM files f WHERE {where} "
        "GROUP BY scan_status, container, video_codec, video_width, video_height, video_transfer",
        params,
    ).fetchall()


def multisets(conn: Connection, column: str, roots: Sequence[bytes]) -> list[tuple[str | None, int, int]]:
    """(multiset, files, bytes) of the readable files, by one of MULTISET_COLUMNS."""
    if column not in MULTISET_COLUMNS:
        raise ValueError(column)
    where, params = scope_sql(roots)
    return conn.execute(
        f"SELECT {column}, count(*), sum(size) FROM files f WHERE scan_status = 'ok' AND {where} "
        f"GROUP BY {column}",
        params,
    ).fetchall()


def problems(conn: Connection, status: str, roots: Sequence[bytes]) -> list[tuple[bytes, int, str | None]]:
    """(path, size, scan_error or missing_since) of the files with this status, by path."""
    column = "scan_error" if status == "error" else "missing_since"
    where, params = scope_sql(roots)
    return conn.execute(
        # Not by the path index: find the few through the status index and sort them, rather
        # than walk every path in order looking for them (which SQLite would otherwise choose).
        f"SELECT path, size, {column} FROM files f WHERE scan_status = ? AND {where} "
        f"ORDER BY {conn.dialect.not_indexed('path')}",
        (status, *params),
    ).fetchall()


def largest(conn: Connection, roots: Sequence[bytes], limit: int) -> list[tuple[Any, ...]]:
    """(path, size, container, video codec, width, height, transfer), largest first."""
    where, params = scope_sql(roots)
    return conn.execute(
        "SELECT path, size, container, video_codec, video_width, video_height, video_transfer "
        f"FROM files f WHERE scan_status = 'ok' AND {where} ORDER BY size DESC, path LIMIT ?",
        (*params, limit),
    ).fetchall()


def transcode_savings(conn: Connection, roots: Sequence[bytes]) -> tuple[int, int, int]:
    """(files, bytes before, bytes after) of every file a transcode job replaced, from the
    sizes the job recorded (transcode/job_run.py); at or under `roots` when given."""
    where, params = scope_sql(roots, "jf.path")
    before, after = (conn.dialect.json_integer("jf.details", key) for key in ("size_before", "size_after"))
    row = conn.execute(
        f"SELECT count(*), coalesce(sum({before}), 0), coalesce(sum({after}), 0) FROM job_files jf "
        f"WHERE jf.outcome = 'transcoded' AND {where}",
        params,
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def jobs_per_week(conn: Connection, roots: Sequence[bytes]) -> list[tuple[str, str, int]]:
    """(Monday of the week, UTC, as YYYY-MM-DD; job type; jobs created that week). With
    `roots`: only jobs that recorded a file at or under them."""
    where, params = "TRUE", list[bytes]()
    if roots:
        scope, params = scope_sql(roots, "jf.path")
        where = f"EXISTS (SELECT 1 FROM job_files jf WHERE jf.job_id = j.id AND {scope})"
    return conn.execute(
        f"SELECT {conn.dialect.week_of('j.created_at')} AS week, j.type, count(*) FROM jobs j "
        f"WHERE {where} GROUP BY week, j.type ORDER BY week, j.type",
        params,
    ).fetchall()
