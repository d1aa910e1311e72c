"""SQL of `vpo files`: catalogued files matching filters, with their main properties.

Everything is filtered, sorted and limited by SQLite; Python only sees the rows it prints.
A file's video properties are those of its main video track, the video track with the
lowest index (migration V_REPORT_INDEXES has the covering partial index `tracks_video`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from vpo.db.connection import chunks
from vpo.media.hdr import HDR_TRANSFERS
from vpo.paths import under_range

# The main video track of `f`: joined with `LEFT JOIN tracks v ON ... AND v.idx = (...)`.
MAIN_VIDEO_JOIN = (
    "LEFT JOIN tracks v ON v.file_id = f.id AND v.type = 'video' AND v.idx = "
    "(SELECT min(m.idx) FROM tracks m WHERE m.file_id = f.id AND m.type = 'video')"
)
HDR_SQL = "(" + ", ".join(f"'{name}'" for name in HDR_TRANSFERS) + ")"

SORT_COLUMNS = {
    "path": "f.path",
    "size": "f.size",
    "container": "f.container",
    "codec": "v.codec",
    "height": "v.height",
    "status": "f.scan_status",
}


@dataclass(frozen=True)
class FileFilter:
    """What `vpo files` selects. Lists mean "any of" (languages: each must be present, or
    each absent); None and empty lists mean no condition."""

    roots: Sequence[bytes] = ()
    statuses: Sequence[str] = ()
    containers: Sequence[str] = ()
    codecs: Sequence[str] = ()
    min_height: int | None = None
    max_height: int | None = None
    hdr: bool | None = None
    # Each entry: the stored codes of one language ("fre", "fra"), see reports/query.py.
    audio_langs: Sequence[Sequence[str]] = ()
    no_audio_langs: Sequence[Sequence[str]] = ()
    sub_langs: Sequence[Sequence[str]] = ()
    no_sub_langs: Sequence[Sequence[str]] = ()
    min_size: int | None = None
    max_size: int | None = None
    sort: str = "path"
    reverse: bool = False
    limit: int | None = None


class FileRow(NamedTuple):
    id: int
    path: bytes
    size: int
    container: str | None
    status: str
    error: str | None
    video_codec: str | None
    width: int | None
    height: int | None
    color_transfer: str | None
    has_video: bool


def scope_sql(roots: Sequence[bytes], column: str = "f.path") -> tuple[str, list[bytes]]:
    """`column` at or under any of `roots` (byte ranges, so the unique path index serves)."""
    if not roots:
        return "1", []
    parts, params = [], []
    for root in roots:
        lo, hi = under_range(root)
        parts.append(f"({column} = ? OR ({column} >= ? AND {column} < ?))")
        params += [root, lo, hi]
    return "(" + " OR ".join(parts) + ")", params


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def where_sql(flt: FileFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    scope, scope_params = scope_sql(flt.roots)
    clauses.append(scope)
    params += scope_params
    for column, values in (
        ("f.scan_status", flt.statuses),
        ("f.container", flt.containers),
        ("v.codec", flt.codecs),
    ):
        if values:
            clauses.append(f"{column} IN ({_marks(values)})")
            params += list(values)
    if flt.min_height is not None:
        clauses.append("v.height >= ?")
        params.append(flt.min_height)
    if flt.max_height is not None:
        clauses.append("v.height <= ?")
        params.append(flt.max_height)
    if flt.hdr is True:
        clauses.append(f"v.color_transfer IN {HDR_SQL}")
    elif flt.hdr is False:
        clauses.append(f"v.file_id IS NOT NULL AND coalesce(v.color_transfer, '') NOT IN {HDR_SQL}")
    if flt.min_size is not None:
        clauses.append("f.size >= ?")
        params.append(flt.min_size)
    if flt.max_size is not None:
        clauses.append("f.size <= ?")
        params.append(flt.max_size)
    for kind, groups, negate in (
        ("audio", flt.audio_langs, False),
        ("audio", flt.no_audio_langs, True),
        ("subtitle", flt.sub_langs, False),
        ("subtitle", flt.no_sub_langs, True),
    ):
        for codes in groups:
            clauses.append(
                f"{'NOT ' if negate else ''}EXISTS (SELECT 1 FROM tracks t WHERE t.file_id = f.id "
                f"AND t.type = '{kind}' AND t.language IN ({_marks(codes)}))"
            )
            params += list(codes)
    return " AND ".join(clauses), params


def query_files(conn: sqlite3.Connection, flt: FileFilter) -> list[FileRow]:
    where, params = where_sql(flt)
    column = SORT_COLUMNS[flt.sort]
    direction = "DESC" if flt.reverse else "ASC"
    # NULLs (no video track) last whichever the direction; the path breaks ties.
    order = f"{column} IS NULL, {column} {direction}" + (", f.path" if flt.sort != "path" else "")
    sql = (
        "SELECT f.id, f.path, f.size, f.container, f.scan_status, f.scan_error, "
        f"v.codec, v.width, v.height, v.color_transfer, v.file_id IS NOT NULL FROM files f {MAIN_VIDEO_JOIN} "
        f"WHERE {where} ORDER BY {order}"
    )
    if flt.limit is not None:
        sql += " LIMIT ?"
        params.append(flt.limit)
    return [FileRow._make(r) for r in conn.execute(sql, params)]


def languages_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[list[str], list[str]]]:
    """file id -> (audio languages, subtitle languages), each distinct, in track order."""
    out: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in ids}
    for part in chunks(list(ids)):
        rows = conn.execute(
            "SELECT file_id, type, language FROM tracks WHERE type IN ('audio', 'subtitle') "
            f"AND file_id IN ({_marks(part)}) ORDER BY file_id, idx",
            part,
        )
        for file_id, kind, language in rows:
            langs = out[file_id][0 if kind == "audio" else 1]
            if language not in langs:
                langs.append(language)
    return out
