"""Rescans (issue 3): what is probed again, moved, missing or restored.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import media
from integration.scanning.helpers import (
    _tree,
    age,
    expect,
    outcomes,
    row,
    scan,
    unique_copy,
)
from integration.scanutil import (
    assert_no_traceback,
    error_line,
    files_by_path,
    query,
)


@pytest.mark.engines
def test_second_scan_probes_and_writes_nothing(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    before = files_by_path(vpo_home)
    tracks_before = query(vpo_home, "SELECT * FROM tracks ORDER BY file_id, idx")
    result, counts = scan(vpo, scanned.root)
    assert result.code == 0, result  # the broken files are known, not errors again
    assert counts == expect(10, skipped=10)
    assert result.json()["incremental"] is True
    assert result.json()["errors"] == []
    assert files_by_path(vpo_home) == before  # last_scanned included: not one row written
    assert query(vpo_home, "SELECT * FROM tracks ORDER BY file_id, idx") == tracks_before
    assert outcomes(vpo_home, result.json()["job_id"]) == []
    for f in scanned.broken:  # still known as broken
        assert before[f.fspath]["scan_status"] == "error" and before[f.fspath]["scan_error"]


def test_text_summary_says_nothing_changed(vpo, scanned: media.Corpus) -> None:
    result = vpo("scan", scanned.root)
    assert result.code == 0, result
    summary = {
        label.strip(): value.split()[0]
        for label, value in (
            line.split(":", 1) for line in result.stdout.splitlines() if line.startswith("  ") and ":" in line
        )
    }
    assert summary == {
        "Discovered": "10",
        "Skipped (unchanged)": "10",
        "Scanned (changed)": "0",
        "Added (new)": "0",
        "Moved": "0",
        "Removed (missing)": "0",
        "Errors": "0",
        "Known broken (unchanged)": "3",  # the corpus's broken files: known, so not errors
    }


def test_grown_file_is_rescanned(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    movie = scanned.by_name("movie.mkv").fspath
    old = row(vpo_home, movie)
    with open(movie, "ab") as fh:
        fh.write(b"\0" * 100)
    result, counts = scan(vpo, scanned.root)
    assert counts == expect(10, scanned=1)
    new = row(vpo_home, movie)
    assert new["id"] == old["id"]
    assert new["size"] == old["size"] + 100
    assert new["last_scanned"] >= old["last_scanned"]
    assert outcomes(vpo_home, result.json()["job_id"]) == [(movie, "changed")]


def test_mtime_only_change_is_rescanned(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    movie = scanned.by_name("dual.mp4").fspath
    st = os.stat(movie)
    new_mtime = st.st_mtime_ns - 60 * 10**9 + 123
    os.utime(movie, ns=(st.st_atime_ns, new_mtime))
    _, counts = scan(vpo, scanned.root)
    assert counts == expect(10, scanned=1)
    assert row(vpo_home, movie)["mtime_ns"] == new_mtime
    assert row(vpo_home, movie)["size"] == st.st_size


@pytest.mark.parametrize("delta", [1, -1])
def test_mtime_is_compared_to_the_nanosecond(vpo, vpo_home: Path, scanned: media.Corpus, delta: int) -> None:
    movie = scanned.by_name("clip.avi").fspath
    stored = row(vpo_home, movie)["mtime_ns"]
    assert stored == os.stat(movie).st_mtime_ns
    os.utime(movie, ns=(stored, stored + delta))
    assert os.stat(movie).st_mtime_ns == stored + delta  # the file system keeps nanoseconds
    _, counts = scan(vpo, scanned.root)
    assert counts == expect(10, scanned=1)
    assert row(vpo_home, movie)["mtime_ns"] == stored + delta


def test_file_that_became_broken_is_an_error(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    movie = scanned.by_name("movie.mkv").fspath
    with open(movie, "r+b") as fh:
        fh.truncate(300)
    result, counts = scan(vpo, scanned.root)
    assert result.code == 1
    assert counts == expect(10, errors=1)
    r = row(vpo_home, movie)
    assert r["scan_status"] == "error" and r["scan_error"]
    assert query(vpo_home, "SELECT count(*) FROM tracks WHERE file_id = ?", r["id"]) == [(0,)]


def test_new_file_is_added(vpo, vpo_home: Path, scanned: media.Corpus, make_video) -> None:
    # same size as the movie copies: it waits for move detection, then is added as new
    new = scanned.root / "sub dir" / "new.mkv"
    unique_copy(scanned.by_name("movie.mkv").path, new, 99)
    other = make_video(scanned.root / "other.webm")
    age(new, other)
    result, counts = scan(vpo, scanned.root)
    assert counts == expect(12, added=2)
    assert row(vpo_home, new)["scan_status"] == "ok"
    assert row(vpo_home, other)["container"] == "webm"
    assert outcomes(vpo_home, result.json()["job_id"]) == sorted(
        [(os.fsencode(new), "added"), (os.fsencode(other), "added")]
    )


def test_deleted_file_is_missing_and_keeps_its_id(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    movie = scanned.by_name("movie.mkv").fspath
    old = row(vpo_home, movie)
    os.unlink(movie)
    result, counts = scan(vpo, scanned.root)
    assert result.code == 0
    assert counts == expect(9, removed=1, skipped=9)
    gone = row(vpo_home, movie)
    assert gone["id"] == old["id"] and gone["scan_status"] == "missing"
    assert gone["missing_since"] and gone["missing_since"].endswith("Z")
    assert query(vpo_home, "SELECT count(*) FROM tracks WHERE file_id = ?", old["id"]) == [
        (5,)
    ]  # history kept
    assert outcomes(vpo_home, result.json()["job_id"]) == [(movie, "missing")]
    # "Removed" counts only files that went missing in this scan
    _, again = scan(vpo, scanned.root)
    assert again == expect(9, skipped=9)
    assert row(vpo_home, movie)["scan_status"] == "missing"


@pytest.mark.parametrize("name", ["movie.mkv", "random.mkv"])
def test_restored_file_is_back_not_added(
    vpo, vpo_home: Path, scanned: media.Corpus, tmp_path: Path, name: str
) -> None:
    f = scanned.by_name(name).fspath
    old = row(vpo_home, f)
    keep = tmp_path / "kept"
    shutil.copy2(f, keep)
    os.unlink(f)
    _, counts = scan(vpo, scanned.root)
    assert counts["removed"] == 1
    shutil.copy2(keep, f)  # same bytes, same mtime to the nanosecond
    assert os.stat(f).st_mtime_ns == old["mtime_ns"]
    result, counts = scan(vpo, scanned.root)
    assert counts == expect(10, skipped=9)  # not added, not probed again
    assert result.json()["counts"]["restored"] == 1
    assert outcomes(vpo_home, result.json()["job_id"]) == [(f, "changed")]
    back = row(vpo_home, f)
    assert back["id"] == old["id"]
    assert back["scan_status"] == old["scan_status"]  # ok again, or still known broken
    assert back["missing_since"] is None


def test_prune_deletes_missing_records(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    movie = scanned.by_name("movie.mkv").fspath
    dual = scanned.by_name("dual.mp4").fspath
    movie_id = row(vpo_home, movie)["id"]
    os.unlink(dual)
    _, counts = scan(vpo, scanned.root)  # dual: missing
    assert counts["removed"] == 1
    os.unlink(movie)
    result, counts = scan(vpo, "--prune", scanned.root)
    assert counts == expect(8, removed=1, skipped=8)  # movie went missing now; dual already was
    rows = files_by_path(vpo_home)
    assert movie not in rows and dual not in rows
    assert len(rows) == 8
    assert query(vpo_home, "SELECT count(*) FROM tracks WHERE file_id = ?", movie_id) == [(0,)]
    # the audit trail survives the record: the job row keeps the path, with no file id
    audit = query(
        vpo_home,
        "SELECT path, file_id, outcome FROM job_files WHERE job_id = ? ORDER BY path",
        result.json()["job_id"],
    )
    assert [(bytes(p), fid, o) for p, fid, o in audit] == sorted(
        [(dual, None, "missing"), (movie, None, "missing")]
    )


@pytest.mark.parametrize("dest", ["renamed.mkv", "new dir/deeper/renamed.mkv", "sub dir/renamed.mkv"])
def test_rename_or_move_keeps_the_file_id(vpo, vpo_home: Path, scanned: media.Corpus, dest: str) -> None:
    src = scanned.by_name("movie.mkv").fspath
    old = row(vpo_home, src)
    target = os.fsencode(scanned.root / dest)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.rename(src, target)
    result, counts = scan(vpo, scanned.root)
    assert counts == expect(10, moved=1, skipped=9)
    rows = files_by_path(vpo_home)
    assert src not in rows
    assert rows[target]["id"] == old["id"] and rows[target]["scan_status"] == "ok"
    assert len(rows) == 10
    assert outcomes(vpo_home, result.json()["job_id"]) == [(target, "moved")]
    _, again = scan(vpo, scanned.root)
    assert again == expect(10, skipped=10)


@pytest.mark.engines
def test_move_from_one_root_to_another(vpo, vpo_home: Path, corpus: media.Corpus, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    files = _tree(lib, corpus, ["movies/a.mkv", "movies/b.mkv", "tv/c.mkv"])
    _, counts = scan(vpo, lib / "tv", lib / "movies")
    assert counts == expect(3, added=3)
    old = row(vpo_home, files[0])
    target = lib / "tv" / "a.mkv"  # into the root that is walked first
    os.rename(files[0], target)
    _result, counts = scan(vpo, lib / "tv", lib / "movies")
    assert counts == expect(3, moved=1, skipped=2)
    assert row(vpo_home, target)["id"] == old["id"]
    assert os.fsencode(files[0]) not in files_by_path(vpo_home)
    back = lib / "movies" / "a-again.mkv"  # and back into the root walked last
    os.rename(target, back)
    _, counts = scan(vpo, lib / "tv", lib / "movies")
    assert counts == expect(3, moved=1, skipped=2)
    assert row(vpo_home, back)["id"] == old["id"]
    assert len(files_by_path(vpo_home)) == 3


def test_moved_broken_file_stays_broken(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    src = scanned.by_name("random.mkv").fspath
    old = row(vpo_home, src)
    target = os.fsencode(scanned.root / "sub dir" / "random-moved.mkv")
    os.rename(src, target)
    _, counts = scan(vpo, scanned.root)
    assert counts == expect(10, moved=1, skipped=9)
    new = row(vpo_home, target)
    assert new["id"] == old["id"] and new["scan_status"] == "error"


@pytest.mark.engines
def test_swapped_names_are_not_moves_of_each_other(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    a, b = scanned.by_name("UPPER.MKV").fspath, scanned.by_name("-starts-with-dash.mkv").fspath
    ids = {a: row(vpo_home, a)["id"], b: row(vpo_home, b)["id"]}
    tmp = a + b".tmp"
    os.rename(a, tmp)
    os.rename(b, a)
    os.rename(tmp, b)
    _, counts = scan(vpo, scanned.root)
    assert counts["added"] == 0 and counts["removed"] == 0
    assert len(files_by_path(vpo_home)) == 10
    assert set(ids.values()) == {row(vpo_home, a)["id"], row(vpo_home, b)["id"]}


def test_sibling_directory_is_never_under_a_root(
    vpo, vpo_home: Path, corpus: media.Corpus, tmp_path: Path
) -> None:
    tv, tv2 = tmp_path / "x" / "tv", tmp_path / "x" / "tv2"
    files = _tree(tmp_path / "x", corpus, ["tv/a.mkv", "tv/b.mkv", "tv2/c.mkv", "tv2/d.mkv", "tv.mkv"])
    _, counts = scan(vpo, tv, tv2)
    assert counts == expect(4, added=4)
    _, counts = scan(vpo, tmp_path / "x" / "tv.mkv")
    assert counts == expect(1, added=1)
    os.unlink(files[2])  # tv2/c.mkv
    _, counts = scan(vpo, tv)
    assert counts == expect(2, skipped=2)
    assert {bytes(p): s for p, s in query(vpo_home, "SELECT path, scan_status FROM files")} == {
        os.fsencode(f): "ok" for f in files
    }
    _, counts = scan(vpo, tv2)
    assert counts == expect(1, removed=1, skipped=1)
    assert row(vpo_home, files[2])["scan_status"] == "missing"
    assert row(vpo_home, files[4])["scan_status"] == "ok"  # x/tv.mkv: not under x/tv either


def test_percent_and_underscore_in_paths(vpo, vpo_home: Path, corpus: media.Corpus, tmp_path: Path) -> None:
    """A LIKE-based prefix query would take '50%_off' to cover '50xyoff' too."""
    lib = tmp_path / "lib"
    files = _tree(
        lib,
        corpus,
        ["50%_off/a%b.mkv", "50%_off/c_d.mkv", "50xyoff/e.mkv", "50xyoff/f.mkv", "50%_off_extra/g.mkv"],
    )
    _, counts = scan(vpo, lib)
    assert counts == expect(5, added=5)
    os.unlink(files[2])
    os.unlink(files[4])
    _, counts = scan(vpo, lib / "50%_off")
    assert counts == expect(2, skipped=2)
    assert {s for _, s in query(vpo_home, "SELECT path, scan_status FROM files")} == {"ok"}
    os.unlink(files[0])
    _, counts = scan(vpo, lib / "50%_off")
    assert counts == expect(1, removed=1, skipped=1)
    assert sorted(
        bytes(p) for (p,) in query(vpo_home, "SELECT path FROM files WHERE scan_status = 'missing'")
    ) == [os.fsencode(files[0])]


def test_empty_root_the_library_knows_is_refused(
    vpo, vpo_home: Path, scanned: media.Corpus, tmp_path: Path
) -> None:
    """An unmounted disk leaves an empty mount point: nothing may be marked missing."""
    aside = tmp_path / "aside"
    aside.mkdir()
    for f in scanned.files:
        os.rename(f.fspath, os.fsencode(aside) + b"/" + os.fsencode(f.path.name))
    before = files_by_path(vpo_home)
    result = vpo("scan", "--json", scanned.root)
    assert result.code == 2, result
    assert_no_traceback(result)
    doc = result.json()
    assert doc["error"] is True and doc["code"] == "LIBRARY_UNMOUNTED"
    assert str(scanned.root) in doc["message"]
    assert files_by_path(vpo_home) == before
    text = vpo("scan", scanned.root)
    assert text.code == 2, text
    assert "unmounted" in error_line(text)
    assert files_by_path(vpo_home) == before
    statuses = [s for (s,) in query(vpo_home, "SELECT status FROM jobs ORDER BY created_at")]
    assert statuses[0] == "completed" and "running" not in statuses
