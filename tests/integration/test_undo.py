"""`vpo jobs undo`, `vpo backups list|clean` and what a transcode keeps (SPEC section 12),
through the real CLI on generated media: undo restores the bytes exactly (hash), a file
changed since its job is refused and left alone, clean frees what it lists, a transcode
that would not be smaller is discarded."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo, age_tree
from integration.scanutil import argv, query
from vpo.edit.journal import read as read_journal

POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"
FLAGS = dict(audio=[("eng", None, False), ("jpn", None, True)], tone=1610)  # mkvpropedit in place
REORDER = dict(audio=[("jpn", None, True), ("eng", None, False)], tone=1620)  # mkvmerge remux


def sha(path: Path | bytes) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@pytest.fixture
def applied(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> tuple[Path, dict[str, str], dict[str, Any]]:
    """A scanned library of a flags-only and a reorder file, with one apply done."""
    root = tmp_path / "lib"
    make_video(root / "flags.mkv", **FLAGS)
    make_video(root / "reorder.mkv", **REORDER)
    age_tree(root)
    (tmp_path / "policy.yaml").write_text(POLICY)
    assert vpo("scan", root).code == 0
    before = {n: sha(root / n) for n in ("flags.mkv", "reorder.mkv")}
    done = vpo("apply", "--policy", tmp_path / "policy.yaml", "--json", root)
    assert done.code == 0, done
    doc = done.json()
    assert {os.path.basename(f["path"]): f["status"] for f in doc["files"]} == {
        "flags.mkv": "changed",
        "reorder.mkv": "changed",
    }
    return root, before, doc


def test_undo_of_an_apply_restores_the_bytes_and_the_catalogue(
    applied: tuple[Path, dict[str, str], dict[str, Any]], vpo: RunVpo, vpo_home: Path
) -> None:
    root, before, doc = applied
    assert sorted(os.listdir(root)) == ["flags.mkv", "reorder.mkv", "reorder.mkv.vpo-original"]
    assert doc["kept_bytes"] == sum(f["kept_bytes"] for f in doc["files"]) > 0
    dry = vpo("jobs", "undo", doc["job_id"], "--dry-run", "--json")
    assert dry.code == 0, dry
    assert {f["status"] for f in dry.json()["files"]} == {"planned"}
    assert {n: sha(root / n) for n in before} != before  # a dry run changes nothing

    done = vpo("jobs", "undo", doc["job_id"][:8], "--json")
    assert done.code == 0, done
    report = done.json()
    assert report["undone_job"] == doc["job_id"] and report["counts"]["restored"] == 2
    assert {n: sha(root / n) for n in before} == before  # byte for byte
    assert sorted(os.listdir(root)) == ["flags.mkv", "reorder.mkv"]  # the kept original went back
    assert list((vpo_home / "journal").iterdir()) == []  # the journal was used up
    for name in before:  # the catalogue follows: a rescan finds nothing changed
        st = (root / name).stat()
        assert query(
            vpo_home, "SELECT size, mtime_ns FROM files WHERE path = ?", os.fsencode(root / name)
        ) == [(st.st_size, st.st_mtime_ns)]
    rows = query(
        vpo_home, "SELECT type, status FROM jobs WHERE id = ?", report["job_id"]
    )  # the undo is a job listing what it restored
    assert rows == [("undo", "completed")]
    outcomes = query(vpo_home, "SELECT outcome FROM job_files WHERE job_id = ?", report["job_id"])
    assert outcomes == [("restored",), ("restored",)]
    rescan = vpo("scan", "--json", root)
    counts = rescan.json()["counts"]
    assert (counts["added"], counts["removed"], counts["moved"], counts["errors"]) == (0, 0, 0, 0), rescan
    again = vpo("jobs", "undo", doc["job_id"], "--json")  # nothing left to undo: refused, unchanged
    assert again.code == 1 and {f["status"] for f in again.json()["files"]} == {"refused"}
    assert {n: sha(root / n) for n in before} == before


def test_undo_of_a_file_changed_since_is_refused_and_changes_nothing(
    applied: tuple[Path, dict[str, str], dict[str, Any]], vpo: RunVpo, vpo_home: Path
) -> None:
    root, _before, doc = applied
    target = root / "flags.mkv"
    with open(target, "r+b") as fh:  # same size, other content: only the fingerprint tells
        fh.seek(target.stat().st_size // 2)
        fh.write(b"\xff" * 64)
    changed = {n: sha(root / n) for n in os.listdir(root)}
    journals = sorted(os.listdir(vpo_home / "journal"))
    done = vpo("jobs", "undo", doc["job_id"], "--json")
    assert done.code == 1, done
    files = {os.path.basename(f["path"]): f for f in done.json()["files"]}
    assert files["flags.mkv"]["status"] == "refused"
    assert "changed since the job" in files["flags.mkv"]["reason"]
    assert files["reorder.mkv"]["status"] == "restored"
    assert sha(target) == changed["flags.mkv"]
    assert sorted(os.listdir(vpo_home / "journal")) == journals  # its undo record stays


def test_backups_list_and_clean_free_what_they_list(
    applied: tuple[Path, dict[str, str], dict[str, Any]], vpo: RunVpo, vpo_home: Path
) -> None:
    root, _before, doc = applied
    listed = vpo("backups", "list", "--json", root)
    assert listed.code == 0, listed
    items = listed.json()["items"]
    assert sorted((i["kind"], os.path.basename(i["file"])) for i in items) == [
        ("journal", "flags.mkv"),
        ("original", "reorder.mkv"),
    ]
    assert all(i["job_id"] == doc["job_id"] and i["removable"] for i in items)
    assert listed.json()["total_bytes"] == sum(os.path.getsize(i["path"]) for i in items) == doc["kept_bytes"]
    text = vpo("backups", "list", root)
    assert text.code == 0 and "2 kept" in text.stdout, text
    assert vpo("backups", "list", "--json", root / "elsewhere").json()["items"] == []

    young = vpo("backups", "clean", "--older-than", "1", "--json")
    assert young.code == 0 and young.json()["removed"] == [], young  # nothing a day old yet
    dry = vpo("backups", "clean", "--dry-run", "--json")
    assert dry.json()["freed_bytes"] == listed.json()["total_bytes"]
    assert all(os.path.exists(i["path"]) for i in items)
    done = vpo("backups", "clean", "--json")
    assert done.code == 0, done
    assert done.json()["freed_bytes"] == listed.json()["total_bytes"]
    assert not any(os.path.exists(i["path"]) for i in items)
    assert vpo("backups", "list", "--json").json()["items"] == []
    refused = vpo("jobs", "undo", doc["job_id"], "--json")  # nothing to undo with any more
    assert refused.code == 1 and all("gone" in f["reason"] for f in refused.json()["files"]), refused


def test_clean_never_removes_the_only_copy(
    applied: tuple[Path, dict[str, str], dict[str, Any]], vpo: RunVpo
) -> None:
    root, before, _doc = applied
    os.unlink(root / "reorder.mkv")  # the kept original is now the only copy of that film
    done = vpo("backups", "clean", "--json")
    assert done.code == 0, done
    assert [os.path.basename(k["file"]) for k in done.json()["removed"]] == ["flags.mkv"]
    assert sha(root / "reorder.mkv.vpo-original") == before["reorder.mkv"]


def test_undo_of_a_transcode_restores_the_original(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, vpo_home: Path
) -> None:
    root = tmp_path / "lib"
    path = make_video(root / "movie.mkv")
    age_tree(root)
    assert vpo("scan", root).code == 0
    original = sha(path)
    queued = vpo("transcode", "--json", path)
    job_id = queued.json()["files"][0]["job_id"]
    run = vpo("jobs", "run", "--json")
    assert run.code == 0 and run.json()["jobs"][0]["status"] == "completed", run
    assert run.json()["kept_bytes"] == os.path.getsize(root / "movie.mkv.vpo-original")
    assert sha(path) != original
    done = vpo("jobs", "undo", job_id, "--json")
    assert done.code == 0 and done.json()["counts"]["restored"] == 1, done
    assert sha(path) == original and sorted(os.listdir(root)) == ["movie.mkv"]
    tracks = query(
        vpo_home, "SELECT t.codec FROM tracks t JOIN files f ON f.id = t.file_id WHERE t.type = 'video'"
    )
    assert tracks == [("h264",)]


def test_a_transcode_that_is_not_smaller_is_discarded(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, vpo_home: Path
) -> None:
    root = tmp_path / "lib"
    path = make_video(root / "movie.mkv")
    age_tree(root)
    assert vpo("scan", root).code == 0
    before = (sha(path), path.stat().st_mtime_ns, path.stat().st_ino)
    queued = vpo("transcode", "--crf", "0", "--json", path)  # lossless: far larger
    job_id = queued.json()["files"][0]["job_id"]
    run = vpo("jobs", "run", "--json")
    assert run.code == 0, run
    assert run.json()["jobs"][0]["status"] == "skipped" and run.json()["kept_bytes"] == 0
    assert (sha(path), path.stat().st_mtime_ns, path.stat().st_ino) == before  # untouched
    assert sorted(os.listdir(root)) == ["movie.mkv"]  # no result, no kept original
    job = vpo("jobs", "show", job_id, "--json").json()
    assert job["status"] == "skipped"
    summary = job["summary"]
    assert summary["size_before"] == path.stat().st_size < summary["size_after"]


def test_an_undo_killed_mid_way_is_finished_by_the_next_command(
    applied: tuple[Path, dict[str, str], dict[str, Any]], vpo: RunVpo, vpo_home: Path
) -> None:
    """What `vpo jobs undo` killed while writing a journal back leaves (the journal pending
    under its dead pid, half the header written): the next command puts the original back."""
    root, before, doc = applied
    [undo_journal] = (vpo_home / "journal").glob("undo-*.vpoj")
    dead = subprocess.Popen(["true"])
    dead.wait()
    pending = undo_journal.with_name(f"pending-{dead.pid}-{undo_journal.name.split('-', 1)[1]}")
    os.replace(undo_journal, pending)
    journal, blobs = read_journal(os.fsencode(pending))
    with open(root / "flags.mkv", "r+b") as fh:  # the first half of the first region, written back
        fh.write(blobs[0][: len(blobs[0]) // 2])
    done = vpo("jobs", "list", "--json")
    assert done.code == 0, done
    assert sha(root / "flags.mkv") == before["flags.mkv"]
    assert list((vpo_home / "journal").iterdir()) == []
    assert journal.job_id == doc["job_id"]


def test_backups_list_finds_kept_originals_no_job_knows(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    """Under the PATHs given, kept originals of purged jobs and of older VPOs are listed
    too (and cleaned: their files are there)."""
    root = tmp_path / "lib"
    path = make_video(root / "film.mkv", **FLAGS)
    for name in ("film.mkv.vpo-original.3", "film.mkv.vpo-backup"):
        shutil.copy(path, root / name)
    listed = vpo("backups", "list", "--json", root)
    assert listed.code == 0, listed
    assert sorted((os.path.basename(i["path"]), i["file"], i["job_id"]) for i in listed.json()["items"]) == [
        ("film.mkv.vpo-backup", str(path), None),
        ("film.mkv.vpo-original.3", str(path), None),
    ]
    assert vpo("backups", "list", "--json").json()["items"] == []  # no PATH: only what jobs know
    done = vpo("backups", "clean", "--json", root)
    assert done.json()["removed_count"] == 2 and sorted(os.listdir(root)) == ["film.mkv"]


def test_non_utf8_names_are_undone_byte_for_byte(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, vpo_env: dict[str, str]
) -> None:
    """A non-UTF-8 name (in the C locale, which mkvtoolnix would mangle it in) keeps its
    bytes in the journal, the kept original and the job, and comes back by undo."""
    root = tmp_path / "lib"
    names = {b"fl\xe9gs.mkv": FLAGS, b"r\xe9order.mkv": REORDER}
    paths = {raw: make_video(root / os.fsdecode(raw), **kwargs) for raw, kwargs in names.items()}
    age_tree(root)
    (tmp_path / "policy.yaml").write_text(POLICY)
    env = {**vpo_env, "LC_ALL": "C", "LANG": "C"}

    def run(*args: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(argv(*args), env=env, capture_output=True, stdin=subprocess.DEVNULL)

    assert run("scan", root).returncode == 0
    before = {raw: sha(p) for raw, p in paths.items()}
    done = run("apply", "--policy", tmp_path / "policy.yaml", "--json", root)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(os.fsencode(root))) == [
        b"fl\xe9gs.mkv",
        b"r\xe9order.mkv",
        b"r\xe9order.mkv.vpo-original",
    ]
    undone = run("jobs", "undo", json.loads(done.stdout)["job_id"], "--json")
    assert undone.returncode == 0, undone.stderr
    assert {raw: sha(p) for raw, p in paths.items()} == before
    assert sorted(os.listdir(os.fsencode(root))) == sorted(names)


def test_only_finished_apply_and_transcode_jobs_can_be_undone(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, vpo_home: Path
) -> None:
    root = tmp_path / "lib"
    path = make_video(root / "movie.mkv")
    age_tree(root)
    scan = vpo("scan", "--json", root)
    queued = vpo("transcode", "--json", path).json()["files"][0]["job_id"]
    for job, says in ((scan.json()["job_id"], "only apply and transcode"), (queued, "is queued")):
        done = vpo("jobs", "undo", job, "--json")
        assert done.code == 2 and says in done.json()["message"], done
    assert query(vpo_home, "SELECT count(*) FROM jobs WHERE type = 'undo'") == [(0,)]
