"""Rescans (issue 3) at the edges: vanished and unreadable roots, --verify-hash, broken files, extensions, racy mtimes, two scans at once, Ctrl+C.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import engine
import media
from integration.conftest import Result
from integration.scanning.helpers import (
    BULK,
    _disk_files,
    _flip_middle_bytes,
    _popen,
    _tree,
    _wait_for_files,
    age,
    expect,
    outcomes,
    row,
    scan,
    unique_copy,
)
from integration.scanutil import (
    SPEC_COUNT_KEYS,
    as_other_user,
    assert_no_traceback,
    error_line,
    files_by_path,
    query,
    run_vpo,
    run_vpo_as,
)


def test_root_that_vanished_is_refused(vpo, vpo_home: Path, scanned: media.Corpus, tmp_path: Path) -> None:
    before = files_by_path(vpo_home)
    os.rename(scanned.root, tmp_path / "elsewhere")
    result = vpo("scan", "--json", scanned.root)
    assert result.code == 2, result
    assert result.json()["code"] == "ROOT_NOT_FOUND"
    assert "is it unmounted" in result.json()["message"]
    assert files_by_path(vpo_home) == before
    # recorded as a failed scan job, like an empty mount point (an autofs path that is gone)
    [(status, message)] = query(
        vpo_home,
        "SELECT status, error_message FROM jobs WHERE type = 'scan' ORDER BY created_at DESC LIMIT 1",
    )
    assert status == "failed" and "does not exist" in message


def test_path_nobody_catalogued_fails_without_a_job(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    jobs = query(vpo_home, "SELECT count(*) FROM jobs")
    result = vpo("scan", scanned.root / "typo")
    assert result.code == 2 and "does not exist" in result.stderr
    assert query(vpo_home, "SELECT count(*) FROM jobs") == jobs


def test_unreadable_directory_is_reported_and_its_files_are_not_missing(corpus: media.Corpus) -> None:
    """chmod cannot stop root, so as root the second scan runs as `nobody` (setpriv); it
    probes nothing, so it needs no more than to read the library and write the catalogue."""
    as_other = as_other_user()
    base = Path(tempfile.mkdtemp(prefix="vpo-unreadable-"))  # tmp_path is private to root
    try:
        base.chmod(0o755)
        lib, home = base / "lib", base / "home"
        files = _tree(lib, corpus, ["a.mkv", "locked/b.mkv", "locked/deeper/c.mkv"])
        assert run_vpo(home, "scan", lib).code == 0
        if as_other:
            for d, _, names in os.walk(base):
                os.chown(d, 65534, 65534)
                for n in names:
                    os.chown(os.path.join(d, n), 65534, 65534)
        (lib / "locked").chmod(0)
        result = run_vpo_as(as_other, home, "scan", "--json", lib)
        assert result.code == 1, result
        assert_no_traceback(result)
        doc = result.json()
        assert {k: doc["counts"][k] for k in SPEC_COUNT_KEYS} == expect(1, skipped=1, errors=1)
        assert [e["path"] for e in doc["errors"]] == [str(lib / "locked")]
        assert "denied" in doc["errors"][0]["error"].lower()
        (lib / "locked").chmod(0o755)
        assert {bytes(p): s for p, s in query(home, "SELECT path, scan_status FROM files")} == {
            os.fsencode(f): "ok" for f in files
        }
    finally:
        for d, _, _ in os.walk(base):
            os.chmod(d, 0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_verify_hash_catches_a_silent_change(vpo, vpo_home: Path, library: media.Corpus) -> None:
    _, counts = scan(vpo, "--verify-hash", library.root)
    assert counts == expect(10, added=7, errors=3)
    hashes = {p: r["content_hash"] for p, r in files_by_path(vpo_home).items()}
    assert all(h and len(h) == 32 for h in hashes.values()), hashes
    movie = library.by_name("movie.mkv").fspath
    _flip_middle_bytes(movie)
    _, counts = scan(vpo, library.root)
    assert counts == expect(10, skipped=10)  # stat cannot see it
    result, counts = scan(vpo, "--verify-hash", library.root)
    assert counts == expect(10, scanned=1)
    assert row(vpo_home, movie)["content_hash"] not in (None, hashes[movie])
    assert outcomes(vpo_home, result.json()["job_id"]) == [(movie, "changed")]
    _, counts = scan(vpo, "--verify-hash", library.root)
    assert counts == expect(10, skipped=10)


def test_verify_hash_stores_baselines_without_probing(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    assert {r["content_hash"] for r in files_by_path(vpo_home).values()} == {None}
    before = {p: r["last_scanned"] for p, r in files_by_path(vpo_home).items()}
    _, counts = scan(vpo, "--verify-hash", scanned.root)
    assert counts == expect(10, skipped=10)
    rows = files_by_path(vpo_home)
    assert all(r["content_hash"] for r in rows.values())
    assert {p: r["last_scanned"] for p, r in rows.items()} == before
    dual = scanned.by_name("dual.mp4").fspath
    _flip_middle_bytes(dual)
    _, counts = scan(vpo, "--verify-hash", scanned.root)
    assert counts == expect(10, scanned=1)


def test_verify_hash_sets_the_baseline_of_new_and_moved_files(
    vpo, vpo_home: Path, scanned: media.Corpus
) -> None:
    new = scanned.root / "sub dir" / "another.mkv"  # same size as the other movie copies
    unique_copy(scanned.by_name("movie.mkv").path, new, 1234)
    age(new)
    _, counts = scan(vpo, "--verify-hash", scanned.root)
    assert counts == expect(11, added=1)
    assert all(r["content_hash"] for r in files_by_path(vpo_home).values())


def test_broken_files_are_not_reprobed_but_full_reprobes_everything(
    vpo, vpo_home: Path, scanned: media.Corpus
) -> None:
    result, counts = scan(vpo, scanned.root)
    assert result.code == 0 and counts == expect(10, skipped=10)
    for f in scanned.broken:
        assert row(vpo_home, f.fspath)["scan_status"] == "error"
    before = files_by_path(vpo_home)
    result, counts = scan(vpo, "--full", scanned.root)
    # Still broken, unchanged: known, not news (SPEC section 14), so the rescan exits 0.
    assert result.code == 0
    assert counts == expect(10, scanned=7, skipped=0)
    assert result.json()["counts"]["known_broken"] == 3
    assert result.json()["incremental"] is False
    after = files_by_path(vpo_home)
    assert {p: r["id"] for p, r in after.items()} == {p: r["id"] for p, r in before.items()}
    assert all(after[p]["last_scanned"] > before[p]["last_scanned"] for p in after)
    assert (
        sorted(o for _, o in outcomes(vpo_home, result.json()["job_id"])) == ["changed"] * 7 + ["error"] * 3
    )


def test_extensions_limits_what_is_catalogued(vpo, vpo_home: Path, library: media.Corpus) -> None:
    _result, counts = scan(vpo, "--extensions", "mkv", library.root)
    assert counts == expect(8, added=5, errors=3)  # UPPER.MKV included: case-insensitive
    names = sorted(os.path.basename(bytes(p)) for (p,) in query(vpo_home, "SELECT path FROM files"))
    assert b"dual.mp4" not in names and b"clip.avi" not in names and b"UPPER.MKV" in names
    _, counts = scan(vpo, "-e", "mp4,.AVI", library.root)
    assert counts == expect(2, added=2)  # and the mkv files are not missing
    assert {p: r["scan_status"] for p, r in files_by_path(vpo_home).items()} == {
        f.fspath: "ok" if f.kind == "video" else "error" for f in library.files
    }


def test_extensions_do_not_make_other_files_missing(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    """A scan restricted to mkv says nothing about the mp4 and avi files it did not look for."""
    result, counts = scan(vpo, "--extensions", "mkv", scanned.root)
    assert counts == expect(8, skipped=8)
    assert {
        r["scan_status"] for p, r in files_by_path(vpo_home).items() if p.endswith((b".mp4", b".avi"))
    } == {"ok"}
    # a directory holding no file of the asked-for kind is not an unmounted library
    result, counts = scan(vpo, "--extensions", "mp4", scanned.root / "sub dir")
    assert result.code == 0, result
    assert counts == expect(0)
    assert row(vpo_home, scanned.root / "sub dir" / "with space.mkv")["scan_status"] == "ok"


def test_fresh_file_is_probed_again_until_its_mtime_is_old_enough(
    vpo, vpo_home: Path, scanned: media.Corpus
) -> None:
    from vpo.scan.diff import RACY_WINDOW_NS

    fresh = scanned.root / "fresh.mkv"
    unique_copy(scanned.by_name("movie.mkv").path, fresh, 4242)  # mtime: now
    mtime = os.stat(fresh).st_mtime_ns
    _, counts = scan(vpo, scanned.root)
    assert counts == expect(11, added=1)
    assert row(vpo_home, fresh)["racy"] == 1
    _, counts = scan(vpo, scanned.root)
    assert counts == expect(11, scanned=1)  # unchanged, but its mtime could not be trusted
    # wait (no time limit: a hang guard only) until the mtime is outside the racy window
    while time.time_ns() <= mtime + RACY_WINDOW_NS + 10**8:
        time.sleep(0.05)
    still_racy = row(vpo_home, fresh)["racy"]
    _, counts = scan(vpo, scanned.root)
    assert counts == expect(11, scanned=still_racy)
    assert row(vpo_home, fresh)["racy"] == 0
    _, counts = scan(vpo, scanned.root)
    assert counts == expect(11, skipped=11)
    assert row(vpo_home, fresh)["mtime_ns"] == mtime


def test_two_scans_at_once_on_a_fresh_home(vpo_home: Path, library: media.Corpus) -> None:
    procs = [_popen(vpo_home, "--json", library.root) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    added = 0
    for proc, (out, err) in zip(procs, outs):
        assert proc.returncode in (0, 1), err.decode()
        assert b"locked" not in err and b"Traceback" not in err, err.decode()
        doc = json.loads(out)
        assert doc["status"] == "completed"
        c = doc["counts"]
        assert c["skipped"] + c["scanned"] + c["added"] + c["moved"] + c["errors"] == c["discovered"] == 10, c
        added += c["added"]
    # each good file is added by exactly one of the two jobs, however their batches interleaved
    good = len([f for f in library.files if f.kind == "video"])
    assert added == good
    assert query(vpo_home, "SELECT count(*) FROM job_files WHERE outcome = 'added'") == [(good,)]
    assert query(vpo_home, "SELECT count(*), count(DISTINCT path) FROM files") == [(10, 10)]
    assert {bytes(p) for (p,) in query(vpo_home, "SELECT path FROM files")} == {
        f.fspath for f in library.files
    }
    assert query(vpo_home, "SELECT status, count(*) FROM jobs GROUP BY status") == [("completed", 2)]
    assert engine.integrity(vpo_home) in ("ok", None)


def test_two_scans_at_once_on_a_known_library(vpo, vpo_home: Path, scanned: media.Corpus) -> None:
    os.unlink(scanned.by_name("movie.mkv").fspath)
    with open(scanned.by_name("dual.mp4").fspath, "ab") as fh:
        fh.write(b"\0" * 10)
    procs = [_popen(vpo_home, "--json", scanned.root) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outs):
        assert proc.returncode == 0, err.decode()
        assert b"locked" not in err and b"Traceback" not in err, err.decode()
    assert query(vpo_home, "SELECT count(*), count(DISTINCT path) FROM files") == [(10, 10)]
    assert dict(query(vpo_home, "SELECT scan_status, count(*) FROM files GROUP BY 1")) == {
        "ok": 6,
        "error": 3,
        "missing": 1,
    }


def test_killed_scan_leaves_a_sound_database(bulk: Path, vpo_home: Path) -> None:
    proc = _popen(vpo_home, "--workers", "1", "--prober", "ffprobe", bulk)  # slow: ~one file per 30 ms
    _wait_for_files(vpo_home, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    kept = query(vpo_home, "SELECT count(*) FROM files")[0][0]
    assert 0 < kept < BULK, "the scan was not killed mid-way"
    [(job_id, status)] = query(vpo_home, "SELECT id, status FROM jobs")
    assert status == "running"  # nobody has looked yet

    result = run_vpo(vpo_home, "scan", "--json", bulk)
    assert result.code == 0, result
    doc = result.json()
    assert doc["counts"]["added"] + doc["counts"]["skipped"] == BULK
    assert doc["counts"]["skipped"] >= kept
    assert engine.integrity(vpo_home) in ("ok", None)
    assert query(vpo_home, "SELECT count(*), count(DISTINCT path) FROM files") == [(BULK, BULK)]
    assert {bytes(p) for (p,) in query(vpo_home, "SELECT path FROM files")} == _disk_files(bulk)
    assert query(
        vpo_home,
        "SELECT count(*) FROM files f WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.file_id = f.id)",
    ) == [(0,)]
    statuses = dict(query(vpo_home, "SELECT id, status FROM jobs"))
    assert statuses == {job_id: "failed", doc["job_id"]: "completed"}
    [(message,)] = query(vpo_home, "SELECT error_message FROM jobs WHERE id = ?", job_id)
    assert message and str(proc.pid) in message


def test_ctrl_c_cancels_and_keeps_what_was_probed(bulk: Path, vpo_home: Path) -> None:
    proc = _popen(vpo_home, "--workers", "1", "--prober", "ffprobe", bulk)  # slow: ~one file per 30 ms
    _wait_for_files(vpo_home, proc)
    os.killpg(proc.pid, signal.SIGINT)  # the whole process group, as a terminal's Ctrl+C does
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err, err.decode()
    assert out == b"Scanning " + os.fsencode(bulk) + b" ...\n"  # the header comes before the work
    assert "interrupted" in error_line(Result(["scan"], 130, "", err.decode()))
    [(job_id, status, summary)] = query(vpo_home, "SELECT id, status, summary FROM jobs")
    assert status == "cancelled"
    kept = query(vpo_home, "SELECT count(*) FROM files")[0][0]
    assert 0 < kept < BULK
    # every file the job says it added is in the catalogue, with its job row
    assert json.loads(summary)["added"] == kept
    assert query(
        vpo_home, "SELECT count(*) FROM job_files WHERE job_id = ? AND outcome = 'added'", job_id
    ) == [(kept,)]
    assert engine.integrity(vpo_home) in ("ok", None)
    # no probe worker outlived the scan
    assert subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True).stdout == b""

    result = run_vpo(vpo_home, "scan", "--json", bulk)
    assert result.code == 0, result
    assert result.json()["counts"]["added"] == BULK - kept
    assert result.json()["counts"]["skipped"] == kept
