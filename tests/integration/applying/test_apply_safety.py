"""`vpo apply`: what it refuses and how nothing is lost (verification, locks, kept originals, odd names).

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import media
from integration.applying.helpers import (
    FAKE_MKVMERGE,
    LAYOUTS,
    audio_of,
    by_name,
    db_tracks,
    listing,
    snap,
    write_profile,
)
from integration.conftest import RunVpo
from integration.scanutil import argv, assert_no_traceback


@pytest.mark.parametrize("case", ["other-streams", "other-duration", "nothing-reordered"])
def test_a_result_that_fails_verification_is_discarded(
    lib: Any,
    make_video: Callable[..., Path],
    tmp_path: Path,
    vpo: RunVpo,
    vpo_home: Path,
    policy_file: Path,
    case: str,
) -> None:
    paths = lib("reorder.mkv")
    before = snap(paths["reorder.mkv"])
    listed = listing(tmp_path / "lib")
    if case == "other-streams":
        other = make_video(tmp_path / "other.mkv", audio=[("eng", None, True)], tone=1210)
        action, expected = f'cp "{other}" "$out"', "verification failed: expected 4 streams, found 2"
    elif case == "other-duration":  # the very layout the plan asks for, three times as long
        other = make_video(
            tmp_path / "other.mkv",
            audio=[("eng", None, True), ("jpn", None, False)],
            subtitles=[("eng", "English", False, False)],
            duration=3.0,
            tone=1120,
        )
        action, expected = f'cp "{other}" "$out"', "verification failed: duration changed from 1."
    else:  # copies its input: a valid Matroska file in the old order
        action, expected = 'cat "$last" > "$out"', "verification failed: stream 1: expected language 'eng'"
    fake = tmp_path / "fake-mkvmerge"
    fake.write_text(FAKE_MKVMERGE.format(what=case, action=action))
    fake.chmod(0o755)
    write_profile(vpo_home, "fake", f"name: fake\ntools:\n  mkvmerge: {fake}\n")
    done = vpo("apply", "--profile", "fake", "--policy", policy_file, "--json", paths["reorder.mkv"])
    assert done.code == 1, done
    f = by_name(done.json())["reorder.mkv"]
    assert f["status"] == "failed" and f["error"].startswith(expected), f["error"]
    assert snap(paths["reorder.mkv"]) == before  # bytes, inode, mtime: never replaced
    assert listing(tmp_path / "lib") == listed


@pytest.mark.parametrize("status", [2, 0])
def test_an_in_place_edit_that_damages_the_file_is_undone(
    lib: Any, tmp_path: Path, vpo: RunVpo, vpo_home: Path, policy_file: Path, status: int
) -> None:
    """A "mkvpropedit" that overwrites the headers of the file it is given, then fails (2)
    or claims success (0): either way the journal puts the original back byte for byte."""
    paths = lib("flags.mkv")
    before = snap(paths["flags.mkv"])
    listed = listing(tmp_path / "lib")
    fake = tmp_path / "fake-mkvpropedit"
    fake.write_text(f'#!/bin/sh\nprintf "not matroska any more" 1<> "$1"\nexit {status}\n')
    fake.chmod(0o755)
    write_profile(vpo_home, "fake", f"name: fake\ntools:\n  mkvpropedit: {fake}\n")
    done = vpo("apply", "--profile", "fake", "--policy", policy_file, "--json", paths["flags.mkv"])
    assert done.code == 1, done
    error = by_name(done.json())["flags.mkv"]["error"]
    assert error.startswith(
        "fake-mkvpropedit failed (exit 2)" if status else "verification failed: cannot read"
    ), error
    after = snap(paths["flags.mkv"])
    assert (after.sha, after.mtime_ns, after.size) == (before.sha, before.mtime_ns, before.size)
    assert listing(tmp_path / "lib") == listed
    assert list((vpo_home / "journal").iterdir()) == []  # nothing to undo: the journal went


@pytest.mark.parametrize("damage", ["truncate", "append"])
def test_an_in_place_edit_that_touches_more_than_the_headers_fails(
    lib: Any, tmp_path: Path, vpo: RunVpo, vpo_home: Path, policy_file: Path, damage: str
) -> None:
    """A tool that cuts the file short fails verification ("shrank"); one that only appends
    is undone by truncating to the original length, byte for byte."""
    paths = lib("flags.mkv")
    before = snap(paths["flags.mkv"])
    fake = tmp_path / "fake-mkvpropedit"
    act = 'truncate -s 100 "$1"' if damage == "truncate" else 'printf "tail" >> "$1"'
    fake.write_text(f"#!/bin/sh\n{act}\nexit 0\n")
    fake.chmod(0o755)
    write_profile(vpo_home, "fake", f"name: fake\ntools:\n  mkvpropedit: {fake}\n")
    done = vpo("apply", "--profile", "fake", "--policy", policy_file, "--json", paths["flags.mkv"])
    assert done.code == 1, done
    error = by_name(done.json())["flags.mkv"]["error"]
    assert error.startswith("verification failed"), error
    if damage == "truncate":
        assert "shrank" in error, error
    else:
        after = snap(paths["flags.mkv"])
        assert (after.sha, after.mtime_ns, after.size) == (before.sha, before.mtime_ns, before.size)


@pytest.mark.engines
def test_a_locked_file_is_not_touched(lib: Any, vpo: RunVpo, policy_file: Path) -> None:
    paths = lib("reorder.mkv")
    before = snap(paths["reorder.mkv"])
    fd = os.open(paths["reorder.mkv"], os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what another `vpo apply` holds while it works
        done = vpo("apply", "--policy", policy_file, "--json", paths["reorder.mkv"])
    finally:
        os.close(fd)
    assert done.code == 1, done
    assert by_name(done.json())["reorder.mkv"]["error"] == "another VPO process is changing this file"
    assert snap(paths["reorder.mkv"]) == before
    again = vpo("apply", "--policy", policy_file, "--json", paths["reorder.mkv"])
    assert again.code == 0 and by_name(again.json())["reorder.mkv"]["status"] == "changed"


@pytest.mark.engines
def test_files_not_yet_scanned_are_reported_and_skipped(
    lib: Any, make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, policy_file: Path
) -> None:
    paths = lib("reorder.mkv")
    late = make_video(tmp_path / "lib" / "late.mkv", **LAYOUTS["reorder.mkv"])
    late_before = snap(late)
    done = vpo(
        "apply",
        "--policy",
        policy_file,
        "--json",
        tmp_path / "lib",
        late,
        paths["reorder.mkv"],
    )
    assert done.code == 1, done
    files = done.json()["files"]
    assert [(os.path.basename(f["path"]), f["status"], f["error"]) for f in files] == [
        ("reorder.mkv", "changed", None),  # once, though named twice
        ("late.mkv", "failed", "not in the catalogue; run `vpo scan` first"),  # once, though named twice
    ]
    assert snap(late) == late_before


def test_a_path_that_does_not_exist_exits_2_like_scan(
    lib: Any, tmp_path: Path, vpo: RunVpo, policy_file: Path
) -> None:
    paths = lib("reorder.mkv")
    before = snap(paths["reorder.mkv"])
    gone = tmp_path / "lib" / "gone.mkv"
    for command in (["apply", "--policy", policy_file], ["transcode"]):
        done = vpo(*command, "--json", paths["reorder.mkv"], gone)
        assert done.code == 2, done
        assert done.json()["code"] == "ROOT_NOT_FOUND" and str(gone) in done.json()["message"]
    assert snap(paths["reorder.mkv"]) == before  # nothing was changed before the check


def test_keep_backup_keeps_each_original_and_no_keep_backup_keeps_none(
    lib: Any, tmp_path: Path, vpo: RunVpo, policy_file: Path
) -> None:
    paths = lib("reorder.mkv", "flags.mkv")
    original = {n: snap(p) for n, p in paths.items()}
    # what a killed apply leaves: its remux output goes, its working backup stays
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale_temp = f".vpo-tmp-{dead.pid}-0badc0de.mkv".encode()
    stale_backup = f".reorder.vpo-original-{dead.pid}.mkv".encode()
    for name in (stale_temp, stale_backup):
        (tmp_path / "lib" / name.decode()).write_bytes(b"left behind")
    done = vpo("apply", "--policy", policy_file, "--no-keep-backup", "--json", tmp_path / "lib")
    assert done.code == 0, done
    assert listing(tmp_path / "lib") == [stale_backup, b"flags.mkv", b"reorder.mkv"]
    os.unlink(tmp_path / "lib" / stale_backup.decode())
    # the other way round, twice: each job keeps the file as it was before it (for its undo)
    reverse = tmp_path / "reverse.yaml"
    reverse.write_text("schema_version: 1\naudio_language_preference: [jpn]\n")
    changed = snap(paths["reorder.mkv"])
    assert vpo("apply", "--policy", reverse, "--keep-backup", paths["reorder.mkv"]).code == 0
    reversed_ = snap(paths["reorder.mkv"])
    assert vpo("apply", "--policy", policy_file, "--keep-backup", paths["reorder.mkv"]).code == 0
    kept = os.fsencode(paths["reorder.mkv"]) + b".vpo-original"
    assert snap(kept).sha == changed.sha != original["reorder.mkv"].sha
    assert snap(kept + b".2").sha == reversed_.sha
    assert audio_of(paths["reorder.mkv"]) == [("eng", None, True), ("jpn", None, False)]
    assert listing(tmp_path / "lib") == [
        b"flags.mkv",
        b"reorder.mkv",
        b"reorder.mkv.vpo-original",
        b"reorder.mkv.vpo-original.2",
    ]


def test_non_utf8_dash_and_space_names_are_applied(
    library: media.Corpus, vpo: RunVpo, vpo_env: dict[str, str], vpo_home: Path, tmp_path: Path
) -> None:
    assert vpo("scan", library.root).code == 1  # the corpus has three broken files
    policy = tmp_path / "jpn.yaml"
    policy.write_text("schema_version: 1\naudio_language_preference: [ja]\n")
    raw = os.fsencode(library.by_name(media.NON_UTF8_NAME).path)
    targets = [raw, "sub dir/with space.mkv", "--", "-starts-with-dash.mkv"]
    env = {**vpo_env, "LC_ALL": "C", "LANG": "C"}  # mkvtoolnix would mangle these names in the C locale
    done = subprocess.run(
        argv("apply", "--policy", policy, "--json", *targets),
        cwd=library.root,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    doc = json.loads(done.stdout)
    assert [os.fsencode(f["path"]) for f in doc["files"]] == [
        raw,
        os.fsencode(library.root / "sub dir/with space.mkv"),
        os.fsencode(library.root / "-starts-with-dash.mkv"),
    ]
    assert [f["status"] for f in doc["files"]] == ["changed"] * 3
    assert b"\\udce9" in done.stdout  # the raw byte travels as a surrogate escape
    for name in (media.NON_UTF8_NAME, "sub dir/with space.mkv", "-starts-with-dash.mkv"):
        path = library.by_name(name).path
        assert audio_of(path) == [
            ("jpn", None, True),
            ("eng", None, False),
            ("eng", "Director's Commentary", False),
        ], name
        assert db_tracks(vpo_home, path) == vpo("inspect", "--json", path).json()["tracks"]
    assert sorted(n for n in listing(library.root) if n.startswith(b".") and n != b".hidden") == []
    # the raw bytes are accepted back on the command line, and the file now complies
    again = vpo("apply", "--policy", policy, "--json", raw)
    assert again.code == 0 and again.json()["files"][0]["status"] == "unchanged"


def test_policy_problems_exit_2_before_any_work(tmp_path: Path, vpo: RunVpo, corpus: media.Corpus) -> None:
    target = corpus.by_name("movie.mkv").path  # never scanned, never touched
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\ntrack_ordr: [video]\n")
    done = vpo("apply", "--policy", bad, "--json", target)
    assert done.code == 2, done
    err = done.json()
    assert err["code"] == "POLICY_INVALID" and err["message"].startswith(f"{bad}:2: track_ordr: unknown key")
    missing = vpo("apply", "--policy", tmp_path / "nope.yaml", "--json", target)
    assert missing.code == 2 and missing.json()["code"] == "POLICY_NOT_FOUND"
    none = vpo("apply", "--json", target)
    assert none.code == 2 and none.json()["code"] == "USAGE" and "--policy" in none.json()["message"]
    for r in (done, missing, none):
        assert_no_traceback(r)
