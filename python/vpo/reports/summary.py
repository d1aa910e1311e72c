"""`vpo report`: the library at a glance, as sections of rows that every renderer (text,
JSON, CSV, HTML) shows the same way. The numbers come from db/reports.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vpo.catalogue import ScanStatus
from vpo.db import reports as reports_db
from vpo.db.connection import Database
from vpo.media.classes import RESOLUTION_ORDER, channel_layout, resolution_class
from vpo.media.hdr import hdr_label
from vpo.media.track_summary import parse_layout, split
from vpo.timeutil import now_iso

LARGEST = 20


@dataclass(frozen=True)
class Section:
    name: str  # the JSON key and the --section / --csv name
    title: str  # for people (text, HTML)
    columns: tuple[str, ...]
    record: bool = False  # one row: a JSON object instead of an array


# In the order every renderer shows them. docs/reports.md documents each column.
SECTIONS = (
    Section("totals", "Catalogue", ("status", "files", "bytes")),
    Section("containers", "Containers", ("container", "files", "bytes")),
    Section("video_codecs", "Video codecs", ("video_codec", "files", "bytes")),
    Section("resolutions", "Resolutions", ("resolution", "files", "bytes")),
    Section("hdr", "HDR", ("hdr", "files", "bytes")),
    Section(
        "audio", "Audio codecs and channels", ("codec", "channels", "layout", "files", "bytes", "tracks")
    ),
    Section("audio_languages", "Audio languages", ("language", "files", "bytes", "tracks")),
    Section("subtitle_languages", "Subtitle languages", ("language", "files", "bytes", "tracks")),
    Section("broken", "Broken files", ("path", "size_bytes", "error")),
    Section("missing", "Missing files", ("path", "size_bytes", "missing_since")),
    Section(
        "largest",
        f"The {LARGEST} largest files",
        ("path", "size_bytes", "container", "video_codec", "width", "height", "resolution", "hdr"),
    ),
    Section(
        "transcodes", "Saved by transcodes", ("files", "bytes_before", "bytes_after", "bytes_saved"), True
    ),
    Section("jobs_per_week", "Jobs per week", ("week", "type", "jobs")),
)
SECTION_NAMES = tuple(s.name for s in SECTIONS)
BY_NAME = {s.name: s for s in SECTIONS}

Row = dict[str, Any]


@dataclass(frozen=True)
class Report:
    generated_at: str
    roots: tuple[bytes, ...]
    data: dict[str, list[Row]]  # section name -> rows (a record section: one row)

    def rows(self, name: str) -> list[Row]:
        return self.data[name]

    def to_dict(self, sections: Sequence[str] = SECTION_NAMES) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "generated_at": self.generated_at,
            "roots": [os.fsdecode(r) for r in self.roots],
        }
        for name in sections:
            rows = self.data[name]
            doc[name] = rows[0] if BY_NAME[name].record else rows
        return doc


def build_report(db: Database, roots: Sequence[bytes] = ()) -> Report:
    """Every section for the files at or under `roots` (the whole catalogue when empty)."""
    conn = db.conn
    roots = tuple(os.path.abspath(r) for r in roots)
    cube = reports_db.cube(conn, roots)
    data: dict[str, list[Row]] = {"totals": _totals(cube)}
    readable = [row for row in cube if row[0] == ScanStatus.OK.value]
    for name, key, value_of in (
        ("containers", "container", lambda r: r[1]),
        ("video_codecs", "video_codec", lambda r: r[2]),
        ("resolutions", "resolution", lambda r: resolution_class(r[3], r[4])),
        ("hdr", "hdr", lambda r: hdr_label(r[5], has_video=r[2] is not None or r[4] is not None)),
    ):
        sums: dict[Any, list[int]] = {}
        for row in readable:
            acc = sums.setdefault(value_of(row), [0, 0])
            acc[0] += row[6]
            acc[1] += row[7]
        data[name] = [{key: k, "files": n, "bytes": b} for k, (n, b) in _largest_first(sums)]
    rank = {c: i for i, c in enumerate(RESOLUTION_ORDER)}  # biggest pictures first, no video last
    data["resolutions"].sort(key=lambda r: rank.get(r["resolution"], len(rank)))
    data["audio"] = [
        {"codec": c, "channels": ch, "layout": channel_layout(ch), "files": n, "bytes": b, "tracks": t}
        for (c, ch), (n, b, t) in _largest_first(
            _spread(reports_db.multisets(conn, "audio_layouts", roots), parse_layout)
        )
    ]
    for name, column in (
        ("audio_languages", "audio_languages"),
        ("subtitle_languages", "subtitle_languages"),
    ):
        data[name] = [
            {"language": lang, "files": n, "bytes": b, "tracks": t}
            for lang, (n, b, t) in _largest_first(_spread(reports_db.multisets(conn, column, roots), str))
        ]
    data["broken"] = [
        {"path": os.fsdecode(p), "size_bytes": size, "error": why}
        for p, size, why in reports_db.problems(conn, ScanStatus.ERROR.value, roots)
    ]
    data["missing"] = [
        {"path": os.fsdecode(p), "size_bytes": size, "missing_since": since}
        for p, size, since in reports_db.problems(conn, ScanStatus.MISSING.value, roots)
    ]
    data["largest"] = [
        {
            "path": os.fsdecode(p),
            "size_bytes": size,
            "container": container,
            "video_codec": codec,
            "width": w,
            "height": h,
            "resolution": resolution_class(w, h),
            "hdr": hdr_label(transfer, has_video=codec is not None or h is not None),
        }
        for p, size, container, codec, w, h, transfer in reports_db.largest(conn, roots, LARGEST)
    ]
    files, before, after = reports_db.transcode_savings(conn, roots)
    data["transcodes"] = [
        {"files": files, "bytes_before": before, "bytes_after": after, "bytes_saved": before - after}
    ]
    data["jobs_per_week"] = [
        {"week": week, "type": kind, "jobs": n} for week, kind, n in reports_db.jobs_per_week(conn, roots)
    ]
    return Report(generated_at=now_iso(), roots=roots, data=data)


def _totals(cube: list[tuple[Any, ...]]) -> list[Row]:
    found = {s.value: [0, 0] for s in ScanStatus}
    for row in cube:
        found[row[0]][0] += row[6]
        found[row[0]][1] += row[7]
    return [{"status": s, "files": n, "bytes": b} for s, (n, b) in found.items()]


def _spread(rows: list[tuple[str | None, int, int]], key: Callable[[str], Any]) -> dict[Any, list[int]]:
    """Multiset rows ("eng eng jpn", files, bytes) -> per item [files, bytes, tracks]."""
    sums: dict[Any, list[int]] = {}
    for value, files, size in rows:
        for item, times in split(value).items():
            acc = sums.setdefault(key(item), [0, 0, 0])
            acc[0] += files
            acc[1] += size
            acc[2] += times * files
    return sums


def _largest_first(sums: dict[Any, list[int]]) -> list[tuple[Any, list[int]]]:
    """Most files first; ties by value (None last)."""
    return sorted(sums.items(), key=lambda kv: (-kv[1][0], kv[0] is None, str(kv[0])))
