"""`vpo scan` on a library the catalogue has never seen, and its fatal errors (issue 2).

The first scan of the standard corpus runs once per module (`first`); each test reads a
different side of its result: the JSON document, the rows in SQLite, the job it recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import media
from integration.conftest import Result, age_tree
from integration.scanutil import (
    SPEC_COUNT_KEYS,
    SPEC_ERROR_KEYS,
    SPEC_SCAN_KEYS,
    as_other_user,
    assert_no_traceback,
    files_by_path,
    one_error_line,
    query,
    run_vpo,
    run_vpo_as,
)

NON_UTF8 = b"caf\xe9-latin1.mkv"


@dataclass
class FirstScan:
    corpus: media.Corpus
    home: Path
    result: Result


@pytest.fixture(scope="module")
def first(corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory) -> FirstScan:
    base = tmp_path_factory.mktemp("first-scan")
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(base / "lib"), symlinks=True)
    lib = corpus.rebased(base / "lib")
    age_tree(lib.root)
    home = base / "home"
    return FirstScan(lib, home, run_vpo(home, "scan", "--json", lib.root))


def test_first_scan_exits_1_because_three_files_are_broken(first: FirstScan) -> None:
    assert first.result.code == 1, first.result
    assert_no_traceback(first.result)


def test_stdout_is_exactly_one_json_document_with_the_spec_keys(first: FirstScan) -> None:
    doc = json.loads(first.result.stdout)  # raises if anything else reached stdout
    assert set(doc) >= SPEC_SCAN_KEYS
    assert set(doc["counts"]) >= SPEC_COUNT_KEYS
    assert isinstance(doc["duration_seconds"], (int, float)) and doc["duration_seconds"] >= 0
    assert len(doc["job_id"]) == 36 and doc["job_id"].count("-") == 4
    assert doc["roots"] == [str(first.corpus.root)]
    assert doc["incremental"] is False
    assert doc["status"] == "completed"


def test_counts_report_every_video_file_once(first: FirstScan) -> None:
    counts = first.result.json()["counts"]
    assert {k: counts[k] for k in SPEC_COUNT_KEYS} == {
        "discovered": 10,
        "skipped": 0,
        "scanned": 0,
        "added": 7,
        "moved": 0,
        "removed": 0,
        "errors": 3,
    }


def test_errors_name_exactly_the_broken_files(first: FirstScan) -> None:
    errors = first.result.json()["errors"]
    assert sorted(e["path"] for e in errors) == sorted(str(f.path) for f in first.corpus.broken)
    for e in errors:
        assert set(e) == {"path", "error"}
        assert isinstance(e["error"], str) and e["error"].strip()
        assert "\n" not in e["error"]
    by_name = {Path(e["path"]).name: e["error"] for e in errors}
    assert "empty" in by_name["empty.mkv"]


def test_database_holds_every_file_and_nothing_ignored(first: FirstScan) -> None:
    rows = files_by_path(first.home)
    assert set(rows) == {f.fspath for f in first.corpus.files}
    for ignored in first.corpus.ignored:
        assert os.fsencode(ignored) not in rows
    for f in first.corpus.videos:
        row = rows[f.fspath]
        assert row["scan_status"] == "ok", row
        assert row["scan_error"] is None
        assert row["container"] == f.container
        assert row["size"] == os.stat(f.fspath).st_size
        assert row["mtime_ns"] == os.stat(f.fspath).st_mtime_ns
        assert row["fingerprint"] and len(row["fingerprint"]) == 32
    for f in first.corpus.broken:
        row = rows[f.fspath]
        assert row["scan_status"] == "error", row
        assert row["scan_error"]


def test_upper_case_dash_space_and_non_utf8_names_are_catalogued(first: FirstScan) -> None:
    rows = files_by_path(first.home)
    root = os.fsencode(first.corpus.root)
    for rel in (b"UPPER.MKV", b"-starts-with-dash.mkv", b"sub dir/with space.mkv", NON_UTF8):
        assert rows[root + b"/" + rel]["scan_status"] == "ok"


def test_non_utf8_path_is_raw_bytes_in_the_db_and_an_escape_in_json(first: FirstScan) -> None:
    # In the database: bytes (a BLOB, a bytea) that are the OS's, not a re-encoding (SQLite
    # would give back a str for a TEXT value).
    raw = os.fsencode(first.corpus.root) + b"/" + NON_UTF8
    assert query(first.home, "SELECT count(*) FROM files WHERE path = ?", raw) == [(1,)]
    [(stored,)] = query(first.home, "SELECT path FROM files WHERE path = ?", raw)
    assert isinstance(stored, bytes) and stored == raw
    rows = query(first.home, "SELECT outcome FROM job_files WHERE path = ?", raw)
    assert rows == [("added",)]


def test_non_utf8_paths_in_json_are_udcxx_escapes(corpus: media.Corpus, tmp_path: Path) -> None:
    """A root and a broken file with latin-1 names: both reach the JSON as \\udcXX escapes,
    and os.fsencode of the decoded string gives back the bytes on disk."""
    root = os.fsencode(tmp_path) + b"/lib-\xe9t\xe9"
    os.makedirs(root)
    shutil.copy(corpus.by_name("movie.mkv").fspath, root + b"/" + NON_UTF8)
    shutil.copy(corpus.by_name("random.mkv").fspath, root + b"/bad-\xff.mkv")
    age_tree(root)
    result = run_vpo(tmp_path / "home", "scan", "--json", root)
    assert result.code == 1, result
    assert "\\udce9t\\udce9" in result.stdout and "bad-\\udcff.mkv" in result.stdout
    doc = result.json()
    assert [os.fsencode(r) for r in doc["roots"]] == [root]
    assert [os.fsencode(e["path"]) for e in doc["errors"]] == [root + b"/bad-\xff.mkv"]
    assert doc["counts"]["added"] == 1
    paths = {r[0] for r in query(tmp_path / "home", "SELECT path FROM files")}
    assert paths == {root + b"/" + NON_UTF8, root + b"/bad-\xff.mkv"}


def test_tracks_are_stored_as_ffprobe_reports_them(first: FirstScan) -> None:
    for name in ("movie.mkv", "dual.mp4", "clip.avi", media.NON_UTF8_NAME):
        f = first.corpus.by_name(name)
        fid = query(first.home, "SELECT id FROM files WHERE path = ?", f.fspath)[0][0]
        rows = query(
            first.home,
            "SELECT idx, type, codec, language, title, is_default, is_forced, channels, "
            "width, height FROM tracks WHERE file_id = ? ORDER BY idx",
            fid,
        )
        got = [
            media.ExpectedTrack(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]), r[7], r[8], r[9])
            for r in rows
        ]
        assert tuple(got) == f.tracks == media.probe_tracks(f.path), name
    broken = first.corpus.by_name("random.mkv").fspath
    fid = query(first.home, "SELECT id FROM files WHERE path = ?", broken)[0][0]
    assert query(first.home, "SELECT count(*) FROM tracks WHERE file_id = ?", fid) == [(0,)]


def test_the_scan_is_recorded_as_one_completed_job(first: FirstScan) -> None:
    doc = first.result.json()
    jobs = query(first.home, "SELECT id, type, status, summary, finished_at FROM jobs")
    assert len(jobs) == 1
    job_id, type_, status, summary, finished = jobs[0]
    assert (job_id, type_, status) == (doc["job_id"], "scan", "completed")
    assert finished.endswith("Z")
    assert {k: json.loads(summary)[k] for k in SPEC_COUNT_KEYS} == {
        k: doc["counts"][k] for k in SPEC_COUNT_KEYS
    }
    outcomes = dict(
        query(first.home, "SELECT outcome, count(*) FROM job_files WHERE job_id = ? GROUP BY 1", job_id)
    )
    assert outcomes == {"added": 7, "error": 3}


def test_text_summary(corpus: media.Corpus, tmp_path: Path) -> None:
    lib = corpus.rebased(tmp_path / "lib")
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(lib.root))
    age_tree(lib.root)
    result = run_vpo(tmp_path / "home", "scan", lib.root)
    assert result.code == 1, result
    assert_no_traceback(result)
    out = result.stdout
    assert f"Scanning {lib.root} ..." in out
    lines = {
        line.split(":")[0].strip(): line.split(":", 1)[1].split()
        for line in out.splitlines()
        if line.startswith("  ") and ":" in line and not line.startswith("  !")
    }
    assert lines["Discovered"] == ["10", "files"]
    assert lines["Skipped (unchanged)"] == ["0"]
    assert lines["Added (new)"] == ["7"]
    assert lines["Errors"] == ["3"]
    assert sum(1 for line in out.splitlines() if line.startswith("  ! ")) == 3
    assert "Scan complete in" in out.splitlines()[-1]


def test_scanning_a_single_file(corpus: media.Corpus, tmp_path: Path) -> None:
    movie = corpus.by_name("movie.mkv").path
    result = run_vpo(tmp_path / "home", "scan", "--json", movie)
    assert result.code == 0, result
    assert result.json()["counts"]["added"] == 1
    assert [r[0] for r in query(tmp_path / "home", "SELECT path FROM files")] == [os.fsencode(movie)]


# -- fatal errors: exit 2, one line, the JSON error object -------------------------------------


def test_missing_root_exits_2_with_one_line(vpo, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    result = vpo("scan", missing)
    assert result.code == 2, result
    line = one_error_line(result)
    assert str(missing) in line
    assert result.stdout == ""


def test_missing_root_json_error_object(vpo, vpo_home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    result = vpo("scan", "--json", missing)
    assert result.code == 2, result
    assert_no_traceback(result)
    doc = result.json()
    assert set(doc) == SPEC_ERROR_KEYS
    assert doc["error"] is True
    assert doc["code"] == "ROOT_NOT_FOUND"
    assert str(missing) in doc["message"]
    assert doc["details"] == {"path": str(missing)}
    # nothing was started: a missing root is refused before a job exists
    if (vpo_home / "library.db").exists():
        assert query(vpo_home, "SELECT count(*) FROM jobs") == [(0,)]


def test_missing_root_among_good_ones_scans_nothing(
    vpo, vpo_home: Path, library: media.Corpus, tmp_path: Path
) -> None:
    result = vpo("scan", "--json", library.root, tmp_path / "gone")
    assert result.code == 2, result
    assert result.json()["code"] == "ROOT_NOT_FOUND"
    if (vpo_home / "library.db").exists():
        assert query(vpo_home, "SELECT count(*) FROM files") == [(0,)]


@pytest.mark.sqlite_only
def test_corrupt_database_is_refused_by_name(vpo, vpo_home: Path, library: media.Corpus) -> None:
    vpo_home.mkdir(parents=True)
    db = vpo_home / "library.db"
    db.write_bytes(b"this is not an sqlite database, just some garbage\n" * 200)
    before = db.read_bytes()
    result = vpo("scan", library.root)
    assert result.code == 2, result
    line = one_error_line(result)
    assert str(db) in line
    assert "corrupt" in line or "not a" in line
    assert db.read_bytes() == before  # left as it was, for the user to look at

    as_json = vpo("scan", "--json", library.root)
    assert as_json.code == 2
    assert_no_traceback(as_json)
    doc = as_json.json()
    assert set(doc) == SPEC_ERROR_KEYS and doc["error"] is True
    assert doc["code"] == "DATABASE_ERROR"
    assert str(db) in doc["message"]


@pytest.mark.sqlite_only
def test_database_from_a_newer_vpo_is_refused(vpo, vpo_home: Path, library: media.Corpus) -> None:
    assert vpo("scan", library.root).code == 1
    conn = sqlite3.connect(vpo_home / "library.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    result = vpo("scan", "--json", library.root)
    assert result.code == 2, result
    assert_no_traceback(result)
    doc = result.json()
    assert doc["error"] is True and doc["code"] == "SCHEMA_TOO_NEW"
    assert "99" in doc["message"] and str(vpo_home / "library.db") in doc["message"]
    # and nothing was written: still one job, still version 99
    assert query(vpo_home, "SELECT count(*) FROM jobs") == [(1,)]
    assert query(vpo_home, "PRAGMA user_version") == [(99,)]
    text = vpo("scan", library.root)
    assert text.code == 2
    assert "newer" in one_error_line(text)


@pytest.mark.sqlite_only
def test_read_only_database_is_a_clear_error(corpus: media.Corpus) -> None:
    """chmod cannot stop root, so as root the command runs as `nobody` (setpriv)."""
    as_other = as_other_user()
    # tmp_path is private to root: `nobody` needs a directory it can reach.
    base = Path(tempfile.mkdtemp(prefix="vpo-readonly-"))
    try:
        base.chmod(0o755)
        lib = base / "lib"
        shutil.copy2(corpus.by_name("movie.mkv").path, lib.mkdir() or lib / "movie.mkv")
        home = base / "home"
        assert run_vpo(home, "scan", lib).code == 0
        db = home / "library.db"
        for leftover in (home / "library.db-wal", home / "library.db-shm"):
            assert not leftover.exists()
        db.chmod(0o444)
        home.chmod(0o555)
        (lib / "movie.mkv").chmod(0o644)
        lib.chmod(0o755)
        before = query(home, "SELECT count(*) FROM jobs")
        result = run_vpo_as(as_other, home, "scan", "--json", lib)
        assert result.code == 2, result
        assert_no_traceback(result)
        doc = result.json()
        assert doc["error"] is True and doc["code"] == "DATABASE_ERROR"
        assert str(db) in doc["message"] and "read-only" in doc["message"]
        assert query(home, "SELECT count(*) FROM jobs") == before
    finally:
        for d, _, _names in os.walk(base):
            os.chmod(d, 0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_a_hanging_or_crashing_prober_costs_only_that_file(corpus: media.Corpus, tmp_path: Path) -> None:
    """--prober ffprobe with a wrapper that hangs on one file and dies of SIGSEGV on another."""
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("movie.mkv", "hang.mkv", "crash.mkv", "dual.mp4"):
        src = corpus.by_name("dual.mp4" if name == "dual.mp4" else "movie.mkv").path
        shutil.copy2(src, lib / name)
    fake = tmp_path / "ffprobe"
    fake.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do last="$a"; done\n'
        'case "$last" in\n'
        "  *hang.mkv) exec sleep 600 ;;\n"
        "  *crash.mkv) kill -SEGV $$ ;;\n"
        "esac\n"
        f'exec {shutil.which("ffprobe")} "$@"\n'
    )
    fake.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(f"tools:\n  ffprobe: {fake}\nscan:\n  probe_timeout: 1\n")
    result = run_vpo(home, "scan", "--json", "--prober", "ffprobe", "--workers", "2", lib)
    assert result.code == 1, result
    assert_no_traceback(result)
    doc = result.json()
    assert {k: doc["counts"][k] for k in ("discovered", "added", "errors")} == {
        "discovered": 4,
        "added": 2,
        "errors": 2,
    }
    errors = {Path(e["path"]).name: e["error"] for e in doc["errors"]}
    assert set(errors) == {"hang.mkv", "crash.mkv"}
    assert "timed out" in errors["hang.mkv"]
    assert "SIGSEGV" in errors["crash.mkv"]
    rows = {
        os.path.basename(bytes(p)): (s, e)
        for p, s, e in query(home, "SELECT path, scan_status, scan_error FROM files")
    }
    assert rows[b"movie.mkv"] == ("ok", None) and rows[b"dual.mp4"] == ("ok", None)
    assert rows[b"hang.mkv"][0] == rows[b"crash.mkv"][0] == "error"
