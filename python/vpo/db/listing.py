"""SQL of `vpo files`: catalogued files matching filters, with their main properties.

Everything is filtered, sorted and limited by the database; Python only sees the rows it prints.
Filters read the `files` row alone: its video is that of its main video track and its
languages the multisets of media/track_summary.py, written with the tracks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from vpo.db.dialect import Connection, Dialect
from vpo.media.hdr import HDR_TRANSFERS
from vpo.paths import under_range

# A main video track was found (its codec or its size is known).
HAS_VIDEO = "(f.video_codec IS NOT NULL OR f.video_height IS NOT NULL)"
HDR_SQL = "(" + ", ".join(f"'{name}'" for name in HDR_TRANSFERS) + ")"

SORT_COLUMNS = {
    "path": "f.path",
    "size": "f.size",
    "container": "f.container",
    "codec": "f.video_codec",
    "height": "f.video_height",
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
    audio_languages: str | None  # multisets, see media/track_summary.py
    subtitle_languages: str | None


def scope_sql(roots: Sequence[bytes], column: str = "f.path") -> tuple[str, list[bytes]]:
    """`column` at or under any of `roots` (byte ranges, so the unique path index serves)."""
    if not roots:
        return "TRUE", []  # a boolean on both engines (PostgreSQL refuses `WHERE 1`)
    parts, params = [], []
    for root in roots:
        lo, hi = under_range(root)
        parts.append(f"({column} = ? OR ({column} >= ? AND {column} < ?))")
        params += [root, lo, hi]
    return "(" + " OR ".join(parts) + ")", params


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def where_sql(flt: FileFilter, dialect: Dialect) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    scope, scope_params = scope_sql(flt.roots)
    clauses.append(scope)
    params += scope_params
    # Most files are ok: through the status index, asking for them would read the table row
    # by row; not through the index, SQLite makes one pass over it. Errors and missing files
    # are few: the index finds them.
    status = dialect.not_indexed("f.scan_status") if "ok" in flt.statuses else "f.scan_status"
    for column, values in (
        (status, flt.statuses),
        ("f.container", flt.containers),
        ("f.video_codec", flt.codecs),
    ):
        if values:
            clauses.append(f"{column} IN ({_marks(values)})")
            params += list(values)
    if flt.min_height is not None:
        clauses.append("f.video_height >= ?")
        params.append(flt.min_height)
    if flt.max_height is not None:
        clauses.append("f.video_height <= ?")
        params.append(flt.max_height)
    if flt.hdr is True:
        clauses.append(f"f.video_transfer IN {HDR_SQL}")
    elif flt.hdr is False:
        clauses.append(f"{HAS_VIDEO} AND coalesce(f.video_transfer, '') NOT IN {HDR_SQL}")
    if flt.min_size is not None:
        clauses.append("f.size >= ?")
        params.append(flt.min_size)
    if flt.max_size is not None:
        clauses.append("f.size <= ?")
        params.append(flt.max_size)
    for column, groups, negate in (
        ("f.audio_languages", flt.audio_langs, False),
        ("f.audio_languages", flt.no_audio_langs, True),
        ("f.subtitle_languages", flt.sub_langs, False),
        ("f.subtitle_languages", flt.no_sub_langs, True),
    ):
        for codes in groups:
            # A word of the multiset: ' ' + "eng jpn" + ' ' holds ' eng '.
            words = f"' ' || coalesce({column}, '') || ' '"
            found = " OR ".join(dialect.contains(words, "?") for _ in codes)
            clauses.append(f"{'NOT ' if negate else ''}({found})")
            params += [f" {code} " for code in codes]
    return " AND ".join(clauses), params


def query_files(conn: Connection, flt: FileFilter) -> list[FileRow]:
    where, params = where_sql(flt, conn.dialect)
    column = SORT_COLUMNS[flt.sort]
    direction = "DESC" if flt.reverse else "ASC"
    # NULLs (no video track) last whichever the direction; the path breaks ties.
    order = f"{column} IS NULL, {column} {direction}" + (", f.path" if flt.sort != "path" else "")
    sql = (
        "SELECT f.id, f.path, f.size, f.container, f.scan_status, f.scan_error, f.video_codec, "
        f"f.video_width, f.video_height, f.video_transfer, {HAS_VIDEO}, f.audio_languages, "
        f"f.subtitle_languages FROM files f "
        f"WHERE {where} ORDER BY {order}"
    )
    if flt.limit is not None:
        sql += " LIMIT ?"
        params.append(flt.limit)
    return [FileRow._make(r) for r in conn.execute(sql, params)]
