"""SQL of `vpo report`: counts and sums over the catalogue, computed by SQLite.

`select_files` copies what every section needs of the files in scope (id, size,
container, status and the main video track) into a temporary table once; the sections
then group that narrow table, or join it with the track indexes of migration
V_REPORT_INDEXES. Nothing here loads the catalogue into Python: each function returns
the grouped rows only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from vpo.db.listing import MAIN_VIDEO_JOIN, scope_sql
from vpo.media.classes import resolution_sql
from vpo.media.hdr import HDR_TRANSFERS

REPORT_TABLE = "temp.report_files"

_HDR_CASE = (
    "(CASE WHEN NOT r.has_video THEN NULL "
    + " ".join(f"WHEN r.color_transfer = '{t}' THEN '{name}'" for t, name in HDR_TRANSFERS.items())
    + " ELSE 'SDR' END)"
)
_GROUPS = {
    "container": "r.container",
    "video_codec": "r.video_codec",
    "resolution": resolution_sql("r.width", "r.height"),
    "hdr": _HDR_CASE,
}


def select_files(conn: sqlite3.Connection, roots: Sequence[bytes]) -> None:
    """Fill the temporary table with the files at or under `roots` (all when empty)."""
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"DROP TABLE IF EXISTS {REPORT_TABLE}")
    conn.execute(
        f"CREATE TABLE {REPORT_TABLE} (id INTEGER PRIMARY KEY, size INTEGER, container TEXT, "
        "status TEXT, video_codec TEXT, width INTEGER, height INTEGER, color_transfer TEXT, "
        "has_video INTEGER)"
    )
    where, params = scope_sql(roots)
    conn.execute(
        f"INSERT INTO {REPORT_TABLE} SELECT f.id, f.size, f.container, f.scan_status, v.codec, "
        f"v.width, v.height, v.color_transfer, v.file_id IS NOT NULL FROM files f {MAIN_VIDEO_JOIN} "
        f"WHERE {where}",
        params,
    )


def totals(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """(status, files, bytes) per scan status."""
    return conn.execute(
        f"SELECT status, count(*), coalesce(sum(size), 0) FROM {REPORT_TABLE} GROUP BY status"
    ).fetchall()


def by_file_property(conn: sqlite3.Connection, name: str) -> list[tuple[str | None, int, int]]:
    """(value, files, bytes) of the readable files, grouped by container, video_codec,
    resolution or hdr; largest groups first."""
    expr = _GROUPS[name]
    return conn.execute(
        f"SELECT {expr} AS value, count(*) AS n, sum(r.size) FROM {REPORT_TABLE} r "
        "WHERE r.status = 'ok' GROUP BY value ORDER BY n DESC, value"
    ).fetchall()


def by_audio(conn: sqlite3.Connection) -> list[tuple[str | None, int | None, int, int, int]]:
    """(codec, channels, files, bytes, tracks): files with at least one such audio track."""
    return conn.execute(
        "SELECT x.codec, x.channels, count(*) AS n, sum(r.size), sum(x.tracks) FROM "
        "(SELECT file_id, codec, channels, count(*) AS tracks FROM tracks WHERE type = 'audio' "
        "GROUP BY file_id, codec, channels) x "
        f"JOIN {REPORT_TABLE} r ON r.id = x.file_id WHERE r.status = 'ok' "
        "GROUP BY x.codec, x.channels ORDER BY n DESC, x.codec, x.channels"
    ).fetchall()


def by_language(conn: sqlite3.Connection, kind: str) -> list[tuple[str, int, int, int]]:
    """(language, files, bytes, tracks) for `audio` or `subtitle` tracks."""
    return conn.execute(
        "SELECT x.language, count(*) AS n, sum(r.size), sum(x.tracks) FROM "
        "(SELECT language, file_id, count(*) AS tracks FROM tracks WHERE type = ? "
        "GROUP BY language, file_id) x "
        f"JOIN {REPORT_TABLE} r ON r.id = x.file_id WHERE r.status = 'ok' "
        "GROUP BY x.language ORDER BY n DESC, x.language",
        (kind,),
    ).fetchall()


def problems(conn: sqlite3.Connection, status: str) -> list[tuple[bytes, int, str | None]]:
    """(path, size, scan_error or missing_since) of the files with this status, by path."""
    column = "f.scan_error" if status == "error" else "f.missing_since"
    return conn.execute(
        f"SELECT f.path, f.size, {column} FROM {REPORT_TABLE} r JOIN files f ON f.id = r.id "
        "WHERE r.status = ? ORDER BY f.path",
        (status,),
    ).fetchall()


def largest(conn: sqlite3.Connection, limit: int) -> list[tuple[Any, ...]]:
    """(path, size, container, video codec, width, height, color transfer, has video),
    largest first."""
    return conn.execute(
        "SELECT f.path, r.size, r.container, r.video_codec, r.width, r.height, r.color_transfer, "
        "r.has_video "
        f"FROM {REPORT_TABLE} r JOIN files f ON f.id = r.id WHERE r.status = 'ok' "
        "ORDER BY r.size DESC, f.path LIMIT ?",
        (limit,),
    ).fetchall()


def transcode_savings(conn: sqlite3.Connection, roots: Sequence[bytes]) -> tuple[int, int, int]:
    """(files, bytes before, bytes after) of every file a transcode job replaced, from the
    sizes the job recorded (transcode/job_run.py); at or under `roots` when given."""
    where, params = scope_sql(roots, "jf.path")
    row = conn.execute(
        "SELECT count(*), coalesce(sum(json_extract(jf.details, '$.size_before')), 0), "
        "coalesce(sum(json_extract(jf.details, '$.size_after')), 0) FROM job_files jf "
        f"WHERE jf.outcome = 'transcoded' AND {where}",
        params,
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def jobs_per_week(conn: sqlite3.Connection, roots: Sequence[bytes]) -> list[tuple[str, str, int]]:
    """(Monday of the week, UTC, as YYYY-MM-DD; job type; jobs created that week). With
    `roots`: only jobs that recorded a file at or under them."""
    where, params = "1", list[bytes]()
    if roots:
        scope, params = scope_sql(roots, "jf.path")
        where = f"EXISTS (SELECT 1 FROM job_files jf WHERE jf.job_id = j.id AND {scope})"
    return conn.execute(
        "SELECT date(j.created_at, '-6 days', 'weekday 1') AS week, j.type, count(*) FROM jobs j "
        f"WHERE {where} GROUP BY week, j.type ORDER BY week, j.type",
        params,
    ).fetchall()
