"""`vpo report`: the library at a glance, as sections of rows that every renderer (text,
JSON, CSV, HTML) shows the same way. The numbers come from db/reports.py."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vpo.catalogue import ScanStatus
from vpo.db import reports as reports_db
from vpo.db.connection import Database
from vpo.media.classes import RESOLUTION_ORDER, channel_layout, resolution_class
from vpo.media.hdr import hdr_label
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
    reports_db.select_files(conn, roots)
    data: dict[str, list[Row]] = {}
    found = {status: (files, size) for status, files, size in reports_db.totals(conn)}
    data["totals"] = [
        {"status": s.value, "files": found.get(s.value, (0, 0))[0], "bytes": found.get(s.value, (0, 0))[1]}
        for s in ScanStatus
    ]
    for name, key in (
        ("containers", "container"),
        ("video_codecs", "video_codec"),
        ("resolutions", "resolution"),
        ("hdr", "hdr"),
    ):
        rows: list[Row] = [
            {key: v, "files": n, "bytes": b} for v, n, b in reports_db.by_file_property(conn, key)
        ]
        if name == "resolutions":  # biggest pictures first, files without video last
            rank = {c: i for i, c in enumerate(RESOLUTION_ORDER)}
            rows.sort(key=lambda r: rank.get(r["resolution"], len(rank)))
        data[name] = rows
    data["audio"] = [
        {"codec": c, "channels": ch, "layout": channel_layout(ch), "files": n, "bytes": b, "tracks": t}
        for c, ch, n, b, t in reports_db.by_audio(conn)
    ]
    for name, kind in (("audio_languages", "audio"), ("subtitle_languages", "subtitle")):
        data[name] = [
            {"language": lang, "files": n, "bytes": b, "tracks": t}
            for lang, n, b, t in reports_db.by_language(conn, kind)
        ]
    data["broken"] = [
        {"path": os.fsdecode(p), "size_bytes": size, "error": why}
        for p, size, why in reports_db.problems(conn, ScanStatus.ERROR.value)
    ]
    data["missing"] = [
        {"path": os.fsdecode(p), "size_bytes": size, "missing_since": since}
        for p, size, since in reports_db.problems(conn, ScanStatus.MISSING.value)
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
            "hdr": hdr_label(transfer, has_video=bool(has_video)),
        }
        for p, size, container, codec, w, h, transfer, has_video in reports_db.largest(conn, LARGEST)
    ]
    files, before, after = reports_db.transcode_savings(conn, roots)
    data["transcodes"] = [
        {"files": files, "bytes_before": before, "bytes_after": after, "bytes_saved": before - after}
    ]
    data["jobs_per_week"] = [
        {"week": week, "type": kind, "jobs": n} for week, kind, n in reports_db.jobs_per_week(conn, roots)
    ]
    return Report(generated_at=now_iso(), roots=roots, data=data)
