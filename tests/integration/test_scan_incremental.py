"""`vpo scan` on a library the catalogue already knows (issue 3): what is probed again, what
is skipped, missing and returning files, moves, the unmounted-library guard, --verify-hash,
--full, --extensions, the racy-mtime rule, and two processes or a crash on one library.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import engine
import media
from integration.conftest import Result, age_tree
from integration.scanutil import (
    SPEC_COUNT_KEYS,
    argv,
    as_other_user,
    assert_no_traceback,
    env_for,
    error_line,
    files_by_path,
    query,
    run_vpo,
    run_vpo_as,
)

NOTHING = dict.fromkeys(SPEC_COUNT_KEYS - {"discovered", "skipped"}, 0)
HOUR_NS = 3600 * 10**9


def scan(vpo, *args) -> tuple[Result, dict[str, int]]:
    result = vpo("scan", "--json", *args)
    assert_no_traceback(result)
    doc = result.json()
    assert "counts" in doc, result
    return result, {k: doc["counts"][k] for k in SPEC_COUNT_KEYS}


def expect(discovered: int, **changes: int) -> dict[str, int]:
    """The counts of a scan of `discovered` files where only `changes` happened."""
    counts = {**NOTHING, "discovered": discovered, **changes}
    counts.setdefault(
        "skipped", discovered - sum(changes.get(k, 0) for k in ("scanned", "added", "moved", "errors"))
    )
    return counts


def unique_copy(src: Path | bytes, dst: Path | bytes, uid: int) -> None:
    """A new file with the layout of the corpus file `src` but bytes of its own."""
    data = re.sub(
        rb"vpo-media-id:[0-9a-f]{16}", b"vpo-media-id:%016x" % uid, Path(os.fsdecode(src)).read_bytes()
    )
    os.makedirs(os.path.dirname(os.fsencode(dst)), exist_ok=True)
    Path(os.fsdecode(dst)).write_bytes(data)


def age(*paths: Path) -> None:
    stamp = time.time() - 3600
    for p in paths:
        os.utime(p, (stamp, stamp))


def row(home: Path, path: Path | bytes) -> dict:
    return files_by_path(home)[os.fsencode(path)]


def outcomes(home: Path, job_id: str) -> list[tuple[bytes, str]]:
    return sorted(
        (bytes(p), o) for p, o in query(home, "SELECT path, outcome FROM job_files WHERE job_id = ?", job_id)
    )


@pytest.fixture(scope="module")
def pristine(corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory) -> tuple[media.Corpus, Path]:
    """An aged corpus copy at a fixed path, catalogued once (7 ok, 3 errors), and a snapshot
    of it and of its VPO_HOME taken right after that scan."""
    base = tmp_path_factory.mktemp("incremental")
    lib = corpus.rebased(base / "lib")
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(lib.root), symlinks=True)
    age_tree(lib.root)
    result = run_vpo(base / "home", "scan", "--json", lib.root)
    assert result.code == 1, result
    assert {k: result.json()["counts"][k] for k in SPEC_COUNT_KEYS} == expect(10, added=7, errors=3)
    snapshot = base / "snapshot"
    # copy2 keeps mtimes to the nanosecond, so the snapshot is exactly what was catalogued
    shutil.copytree(os.fsencode(lib.root), os.fsencode(snapshot / "lib"), symlinks=True)
    engine.copy_home(base / "home", snapshot / "home")
    return lib, snapshot


@pytest.fixture
def scanned(pristine: tuple[media.Corpus, Path], vpo_home: Path) -> media.Corpus:
    """The catalogued library, restored from the snapshot (same paths, same catalogue) in
    the test's own VPO_HOME: one first scan serves the whole module."""
    lib, snapshot = pristine
    shutil.rmtree(os.fsencode(lib.root), ignore_errors=True)
    shutil.copytree(os.fsencode(snapshot / "lib"), os.fsencode(lib.root), symlinks=True)
    engine.copy_home(snapshot / "home", vpo_home)
    return lib


# -- nothing changed ---------------------------------------------------------------------------


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


# -- changed files -----------------------------------------------------------------------------


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


# -- missing, returning, pruned ----------------------------------------------------------------


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


# -- moves -------------------------------------------------------------------------------------


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


# -- roots: siblings, odd characters, unmounted ------------------------------------------------


def _tree(base: Path, corpus: media.Corpus, rels: list[str]) -> list[Path]:
    out = []
    for i, rel in enumerate(rels):
        dest = base / rel
        unique_copy(corpus.by_name("movie.mkv").path, dest, 500 + i)
        out.append(dest)
    age_tree(base)
    return out


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


# -- --verify-hash, --full, --extensions -------------------------------------------------------


def _flip_middle_bytes(path: bytes) -> None:
    """New content, same size, same mtime to the nanosecond: invisible to stat."""
    st = os.stat(path)
    with open(path, "r+b") as fh:
        fh.seek(st.st_size // 2)
        data = fh.read(8)
        fh.seek(st.st_size // 2)
        fh.write(bytes(b ^ 0xFF for b in data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == st.st_mtime_ns and os.stat(path).st_size == st.st_size


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


# -- the racy-mtime rule -----------------------------------------------------------------------


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


# -- two processes, a crash, Ctrl+C ------------------------------------------------------------


BULK = 150  # with --prober ffprobe and one worker, seconds of probing: time to interrupt it


@pytest.fixture(scope="session")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = media.make_bulk_library(tmp_path_factory.mktemp("bulk") / "lib", count=BULK)
    age_tree(root)
    return root


def _popen(home: Path, *args) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv("scan", *args),
        env=env_for(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_for_files(home: Path, proc: subprocess.Popen[bytes], at_least: int = 1) -> int:
    """Poll the catalogue until the scan has committed some files (hang guard: 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the scan finished before it could be interrupted"
        try:
            n = query(home, "SELECT count(*) FROM files")[0][0]
        except Exception:
            n = 0
        if n >= at_least:
            return n
        time.sleep(0.02)
    raise AssertionError("the scan committed nothing within 60 s")


def _disk_files(root: Path) -> set[bytes]:
    return {os.fsencode(p) for p in root.rglob("*.mkv")} | {os.fsencode(p) for p in root.rglob("*.mp4")}


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
    assert query(vpo_home, "PRAGMA integrity_check") == [("ok",)]


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
    assert query(vpo_home, "PRAGMA integrity_check") == [("ok",)]
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
    assert query(vpo_home, "PRAGMA integrity_check") == [("ok",)]
    # no probe worker outlived the scan
    assert subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True).stdout == b""

    result = run_vpo(vpo_home, "scan", "--json", bulk)
    assert result.code == 0, result
    assert result.json()["counts"]["added"] == BULK - kept
    assert result.json()["counts"]["skipped"] == kept
