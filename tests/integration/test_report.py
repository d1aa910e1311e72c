"""`vpo report` through the real CLI: every count and sum equals what ffprobe says of the
same files (reportlib.Library), in JSON, in CSV read back, and scoped to a PATH."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import engine
from integration import reportlib
from integration.reportlib import Library, Probed, json_of, present

SECTIONS = [
    "totals",
    "containers",
    "video_codecs",
    "resolutions",
    "hdr",
    "audio",
    "audio_languages",
    "subtitle_languages",
    "broken",
    "missing",
    "largest",
    "transcodes",
    "jobs_per_week",
]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory, make_video: Any) -> Library:
    base = tmp_path_factory.mktemp("report-lib")
    return reportlib.build(base / "lib", base / "home", make_video)


def resolution(width: int, height: int) -> str:
    """docs/reports.md: the first class whose width OR height the picture exceeds."""
    for name, w, h in (("2160p", 2560, 1440), ("1080p", 1280, 720), ("720p", 1024, 576)):
        if width > w or height > h:
            return name
    return "SD"


def hdr(transfer: str | None) -> str:
    return {"smpte2084": "PQ", "arib-std-b67": "HLG"}.get(transfer or "", "SDR")


def grouped(files: Iterable[Probed], key: Any) -> dict[Any, tuple[int, int]]:
    out: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for f in files:
        out[key(f)][0] += 1
        out[key(f)][1] += f.size
    return {k: (v[0], v[1]) for k, v in out.items()}


def rows_by(rows: list[dict], key: str) -> dict[Any, tuple[int, int]]:
    found = {r[key]: (r["files"], r["bytes"]) for r in rows}
    assert len(found) == len(rows), rows  # one row per value
    return found


def per_track(files: Iterable[Probed], keys: Any) -> dict[Any, tuple[int, int, int]]:
    """key -> (files with at least one such track, their bytes, tracks)."""
    out: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    for f in files:
        counts = Counter(keys(f))
        for key, n in counts.items():
            out[key][0] += 1
            out[key][1] += f.size
            out[key][2] += n
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def expected(lib: Library, files: list[Probed]) -> dict[str, Any]:
    ok = files
    return {
        "containers": grouped(ok, lambda f: f.container),
        "video_codecs": grouped(ok, lambda f: f.video[0] if f.video else None),
        "resolutions": grouped(ok, lambda f: resolution(f.video[1], f.video[2]) if f.video else None),
        "hdr": grouped(ok, lambda f: hdr(f.video[3]) if f.video else None),
        "audio": per_track(ok, lambda f: [(codec, ch) for codec, ch, _ in f.audio]),
        "audio_languages": per_track(ok, lambda f: [lang for _, _, lang in f.audio]),
        "subtitle_languages": per_track(ok, lambda f: list(f.subtitles)),
    }


def test_every_count_equals_what_ffprobe_says(lib: Library) -> None:
    doc = json_of(lib.run("report", "--json"))
    assert [k for k in doc if k not in ("generated_at", "roots")] == SECTIONS
    assert doc["roots"] == [] and doc["generated_at"].endswith("Z")
    files = present(lib)
    want = expected(lib, files)

    sizes = {p: os.stat(p).st_size for p in lib.broken}
    missing_size = sum(lib.probed[p].size for p in lib.missing)
    assert {r["status"]: (r["files"], r["bytes"]) for r in doc["totals"]} == {
        "ok": (len(files), sum(f.size for f in files)),
        "error": (len(lib.broken), sum(sizes.values())),
        "missing": (len(lib.missing), missing_size),
    }
    assert rows_by(doc["containers"], "container") == want["containers"]
    assert rows_by(doc["video_codecs"], "video_codec") == want["video_codecs"]
    assert rows_by(doc["resolutions"], "resolution") == want["resolutions"]
    assert [r["resolution"] for r in doc["resolutions"]] == ["2160p", "1080p", "720p", "SD"]
    assert rows_by(doc["hdr"], "hdr") == want["hdr"]
    assert want["hdr"].keys() == {"PQ", "HLG", "SDR"}  # the library really has both kinds of HDR
    assert {(r["codec"], r["channels"]): (r["files"], r["bytes"], r["tracks"]) for r in doc["audio"]} == want[
        "audio"
    ]
    layouts = {(r["channels"], r["layout"]) for r in doc["audio"]}
    assert layouts == {(1, "mono"), (2, "stereo"), (6, "5.1")}
    for name in ("audio_languages", "subtitle_languages"):
        got = {r["language"]: (r["files"], r["bytes"], r["tracks"]) for r in doc[name]}
        assert got == want[name], name

    assert {os.fsencode(r["path"]) for r in doc["broken"]} == lib.broken
    assert all(r["error"] for r in doc["broken"])
    assert [(os.fsencode(r["path"]), r["size_bytes"]) for r in doc["missing"]] == [
        (p, lib.probed[p].size) for p in sorted(lib.missing)
    ]
    assert all(r["missing_since"].endswith("Z") for r in doc["missing"])
    largest = sorted(files, key=lambda f: (-f.size, f.path))[:20]
    assert [(os.fsencode(r["path"]), r["size_bytes"]) for r in doc["largest"]] == [
        (f.path, f.size) for f in largest
    ]
    for row in doc["largest"]:
        f = lib.probed[os.fsencode(row["path"])]
        assert f.video is not None
        codec, width, height, transfer = f.video
        shown = (
            row["container"],
            row["video_codec"],
            row["width"],
            row["height"],
            row["resolution"],
            row["hdr"],
        )
        assert shown == (f.container, codec, width, height, resolution(width, height), hdr(transfer))
    before, after = lib.transcode
    assert doc["transcodes"] == {
        "files": 1,
        "bytes_before": before,
        "bytes_after": after,
        "bytes_saved": before - after,
    }
    assert lib.probed[lib.path(reportlib.TRANSCODED)].video[0] == "hevc"  # type: ignore[index]

    jobs = json_of(lib.run("jobs", "list", "--json", "--limit", "100"))
    weeks: Counter[tuple[str, str]] = Counter()
    for job in jobs:
        day = datetime.fromisoformat(job["created_at"].replace("Z", "+00:00")).date()
        weeks[((day - timedelta(days=day.weekday())).isoformat(), job["type"])] += 1
    assert {(r["week"], r["type"]): r["jobs"] for r in doc["jobs_per_week"]} == weeks
    assert sum(weeks.values()) == 3  # two scans and a transcode


def test_a_path_scopes_every_section(lib: Library) -> None:
    tv = lib.path("tv")
    doc = json_of(lib.run("report", tv, "--json"))
    files = [f for f in present(lib) if f.path.startswith(tv + b"/")]
    assert [os.fsencode(r) for r in doc["roots"]] == [tv]
    assert {r["status"]: r["files"] for r in doc["totals"]} == {"ok": len(files), "error": 1, "missing": 0}
    want = expected(lib, files)
    assert rows_by(doc["containers"], "container") == want["containers"]
    assert rows_by(doc["resolutions"], "resolution") == want["resolutions"]
    assert doc["transcodes"]["files"] == 0  # the transcoded file is under films/
    assert doc["missing"] == []
    assert {r["type"] for r in doc["jobs_per_week"]} == {"scan"}  # jobs that recorded a tv/ file


def parse_csv_tables(raw: bytes) -> dict[str, list[list[str]]]:
    """`# NAME` line, header and rows per table; tables separated by an empty line."""
    tables: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in csv.reader(io.StringIO(raw.decode("utf-8", "surrogateescape"), newline="")):
        if len(row) == 1 and row[0].startswith("# "):
            current = tables.setdefault(row[0][2:], [])
        elif row:
            assert current is not None
            current.append(row)
    return tables


def cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def test_csv_parses_back_to_the_json_rows(lib: Library) -> None:
    doc = json_of(lib.run("report", "--json"))
    result = lib.run("report", "--csv")
    assert result.code == 0, result
    tables = parse_csv_tables(os.fsencode(result.stdout))
    assert list(tables) == SECTIONS
    for name in SECTIONS:
        rows = doc[name] if isinstance(doc[name], list) else [doc[name]]
        header, *body = tables[name]
        assert header == list(rows[0]) if rows else True, name
        assert body == [[cell(r[c]) for c in header] for r in rows], name
    one = lib.run("report", "--csv", "--section", "broken")
    header, *body = list(csv.reader(io.StringIO(one.stdout, newline="")))
    assert header == ["path", "size_bytes", "error"]
    assert {os.fsencode(r[0]) for r in body} == lib.broken


def test_text_fits_a_terminal_and_names_every_section(lib: Library) -> None:
    result = lib.run("report", "--section", "containers", "--section", "largest")
    assert result.code == 0, result
    assert "Containers" in result.stdout and "The 20 largest files" in result.stdout
    assert "Video codecs" not in result.stdout
    env = {**lib.env, "COLUMNS": "80"}
    full = reportlib.run_vpo(env, "report")
    assert full.code == 0 and full.stderr == "", full
    assert max(len(line) for line in full.stdout.splitlines()) <= 80, full.stdout
    for title in (
        "Catalogue",
        "HDR",
        "Audio languages",
        "Broken files",
        "Saved by transcodes",
        "Jobs per week",
    ):
        assert title in full.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [(("--section", "nope"), "USAGE"), (("--csv",), "USAGE")],
)
def test_bad_options_are_one_line_usage_errors(lib: Library, args: tuple[str, ...], code: str) -> None:
    result = lib.run("report", "--json", *args)
    assert result.code == 2, result
    assert result.json()["code"] == code
    assert "Traceback" not in result.stderr


def test_html_is_written_and_json_names_it(lib: Library, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    doc = json_of(lib.run("report", "--json", "--html", page))
    assert doc["html"] == str(page)
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 8 and "<script" not in text and "<link" not in text
    assert "src=" not in text and "@import" not in text and "url(http" not in text


# Per chart: its bounding box and how many of its drawn shapes (bars, glyphs, ticks) have
# a non-empty box of their own.
SVG_SIZES = """
return Array.from(document.querySelectorAll('svg.chart')).map(svg => {
  const box = svg.getBoundingClientRect();
  const drawn = Array.from(svg.querySelectorAll('path, use, rect'))
    .filter(el => { const b = el.getBBox(); return b.width > 0 || b.height > 0; }).length;
  return {width: box.width, height: box.height, drawn: drawn,
          section: svg.closest('section').querySelector('h2').textContent};
});
"""
TABLES = """
return Array.from(document.querySelectorAll('section')).map(s => [
  s.querySelector('h2').textContent,
  Array.from(s.querySelectorAll('details table tr')).slice(1)
    .map(tr => Array.from(tr.cells).map(td => td.textContent)),
]);
"""


def test_html_report_renders_in_a_real_browser(
    lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integration.browser import LAPTOP, open_page

    page_file = tmp_path / "report.html"
    doc = json_of(lib.run("report", "--json", "--html", page_file))
    with open_page(page_file, monkeypatch) as page:
        charts = page.js(SVG_SIZES)
        assert len(charts) == 8, charts
        for chart in charts:
            assert chart["width"] > 300 and chart["height"] > 50, chart  # drawn at a readable size
            assert chart["width"] <= LAPTOP[0], chart
            assert chart["drawn"] > 10, chart
        assert page.js("return document.documentElement.scrollWidth") <= LAPTOP[0]  # no sideways scrolling
        assert page.requests() == [page.url]  # the page itself, nothing else
        assert page.js("return performance.getEntriesByType('resource').length") == 0
        assert page.console_errors() == []
        tables = dict(page.js(TABLES))
        shot = page.screenshot(tmp_path / "report.png")
    # The charts' tables show the numbers of the JSON report.
    for title, section, key in (
        ("Containers", "containers", "container"),
        ("Video codecs", "video_codecs", "video_codec"),
        ("Resolutions", "resolutions", "resolution"),
        ("HDR", "hdr", "hdr"),
    ):
        want = [(r[key] if r[key] is not None else "(none)", f"{r['files']:,}") for r in doc[section]]
        assert [(row[0], row[1]) for row in tables[title]] == want, title
    assert [row[0] for row in tables["Audio languages"]] == [r["language"] for r in doc["audio_languages"]]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"screenshot of the HTML report: {shot}")


def test_migration_fills_the_summary_columns_as_a_scan_writes_them(lib: Library, tmp_path: Path) -> None:
    """Catalogues made before V_REPORT_INDEXES get the columns from their tracks: the
    migration's UPDATE (the catalogue's engine's own), run again on a copy with the columns
    wiped, gives what the scan wrote."""
    from vpo.db import migrations_postgres, migrations_sqlite
    from vpo.db.migrations import statements
    from vpo.media.track_summary import TrackSummary

    copy = tmp_path / "home-copy"
    engine.copy_home(lib.home, copy)
    conn = engine.connect(copy)
    columns = ", ".join(TrackSummary._fields)
    written = conn.execute(f"SELECT id, {columns} FROM files ORDER BY id").fetchall()
    assert any(row[4] == "smpte2084" for row in written)
    conn.execute(f"UPDATE files SET {', '.join(f'{c} = NULL' for c in TrackSummary._fields)}")
    script = (migrations_postgres if engine.url_for(copy) else migrations_sqlite).V_REPORT_INDEXES
    [backfill] = [s for s in statements(script) if s.startswith("UPDATE files")]
    conn.execute(backfill)
    # The transfer was not catalogued before the migration: it stays unknown (NULL).
    assert conn.execute(f"SELECT id, {columns} FROM files ORDER BY id").fetchall() == [
        (*row[:4], None, *row[5:]) for row in written
    ]
    conn.close()


@pytest.mark.sqlite_only  # SQLite's query plans
def test_groupings_read_covering_indexes_only(lib: Library) -> None:
    """The report's groupings never sort and never read the table (docs/reports.md)."""
    import sqlite3

    from vpo.db import reports as reports_db

    conn = sqlite3.connect(f"{lib.home}/library.db")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    reports_db.cube(conn, [])
    for column in reports_db.MULTISET_COLUMNS:
        reports_db.multisets(conn, column, [])
    conn.set_trace_callback(None)
    assert len(statements) == 4
    for sql in statements:
        plan = " / ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "COVERING INDEX files_" in plan and "TEMP B-TREE" not in plan, (sql, plan)
