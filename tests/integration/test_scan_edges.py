"""Scan edge cases: an unreadable root, and a racy re-check that finds nothing new."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import media
from integration.conftest import Result, age_tree
from integration.scanutil import as_other_user, query, run_vpo, run_vpo_as


def test_unreadable_root_is_fatal_and_marks_nothing_missing(corpus: media.Corpus) -> None:
    """chmod cannot stop root, so as root the scan runs as `nobody` (setpriv)."""
    as_other = as_other_user()
    base = Path(tempfile.mkdtemp(prefix="vpo-unreadable-"))
    try:
        base.chmod(0o777)
        lib = base / "lib"
        lib.mkdir()
        shutil.copy2(corpus.by_name("movie.mkv").path, lib / "movie.mkv")
        (lib / "movie.mkv").chmod(0o644)
        home = base / "home"
        home.mkdir(mode=0o777)
        home.chmod(0o777)

        def scan() -> Result:
            return run_vpo_as(as_other, home, "scan", "--json", lib)

        assert run_vpo(home, "scan", lib).code == 0  # as root: probe workers need root's python
        for name in os.listdir(home):
            (home / name).chmod(0o666)  # the private database, opened by `nobody` next
        lib.chmod(0o000)
        result = scan()
        assert result.code == 2, result
        doc = result.json()
        assert doc["code"] == "ROOT_UNREADABLE" and str(lib) in doc["message"], doc
        assert query(home, "SELECT scan_status FROM files") == [("ok",)]
        assert query(home, "SELECT status FROM jobs ORDER BY created_at DESC LIMIT 1") == [("failed",)]
    finally:
        (base / "lib").chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_racy_recheck_that_finds_the_same_tracks_is_not_recorded_as_a_change(
    corpus: media.Corpus, tmp_path: Path
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy2(corpus.by_name("movie.mkv").path, lib / "movie.mkv")
    os.utime(lib / "movie.mkv")  # fresh: racy for the first scan
    home = tmp_path / "home"
    first = run_vpo(home, "scan", "--json", lib)
    assert first.code == 0, first
    assert query(home, "SELECT racy FROM files") == [(1,)]
    time.sleep(2.1)  # let the racy window pass (the file is not touched)
    second = run_vpo(home, "scan", "--json", lib)
    assert second.json()["counts"]["scanned"] == 1, second  # re-checked...
    job = second.json()["job_id"]
    assert query(home, "SELECT count(*) FROM job_files WHERE job_id = ?", job) == [(0,)]  # ...not a change
    assert query(home, "SELECT racy FROM files") == [(0,)]
    age_tree(lib)
    third = run_vpo(home, "scan", "--json", lib)
    assert third.json()["counts"]["scanned"] == 1  # a real mtime change is probed and recorded
    assert query(home, "SELECT outcome FROM job_files WHERE job_id = ?", third.json()["job_id"]) == [
        ("changed",)
    ]
