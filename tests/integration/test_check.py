"""Integrity checks through the real CLI (SPEC section 14): the quick check with every
probe (`vpo scan`), `vpo check` and `--thorough`, stored results, reruns and
interruptions, known broken files on rescans, and `vpo inspect`'s status line."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import engine
from integration.conftest import VPO, RunVpo, age_tree
from integration.ffmpeg_wrappers import slow_ffmpeg

QUICK = ("cut-clusters.mkv", "cut-headers.mkv", "cut-mdat.mp4", "no-moov.mp4", "zero-tail.mkv")


@pytest.fixture
def lib(tmp_path: Path, damaged_media: dict[str, Any]) -> Path:
    """A private copy of every damaged and healthy file, an hour old."""
    root = tmp_path / "lib"
    root.mkdir()
    for name, f in damaged_media.items():
        shutil.copyfile(f.path, root / name)
    age_tree(root)
    return root


def _by_path(items: list[dict[str, str]]) -> dict[str, str]:
    return {os.path.basename(i["path"]): i["error"] for i in items}


def test_every_damaged_file_is_found_by_the_check_that_should_find_it(
    vpo: RunVpo, lib: Path, damaged_media: dict[str, Any]
) -> None:
    quick = {n for n, f in damaged_media.items() if f.found_by == "quick"}
    thorough = {n for n, f in damaged_media.items() if f.found_by == "thorough"}
    good = {n for n, f in damaged_media.items() if f.found_by is None}
    assert quick == set(QUICK) and thorough == {"damaged.mkv"}
    assert {"good.mkv", "good.webm", "good.mp4", "good.mov", "good.avi", "good.ts", "live.mkv"} <= good

    # The quick check runs with every probe: the scan finds the truncated files ...
    scan = vpo("scan", "--json", lib)
    assert scan.code == 1, scan
    errors = _by_path(scan.json()["errors"])
    assert set(errors) == quick, scan
    for name in quick:
        assert damaged_media[name].reason in errors[name], (name, errors[name])

    # ... `vpo check` finds the same ones (every catalogued file is checked) ...
    check = vpo("check", "--json", lib)
    assert check.code == 1, check
    doc = check.json()
    assert doc["level"] == "quick"
    assert set(_by_path(doc["failures"])) == quick
    assert doc["counts"]["checked"] == len(damaged_media)
    assert doc["counts"]["passed"] == len(good) + 1

    # ... and only decoding finds bytes damaged inside intact structure.
    thorough_run = vpo("check", "--thorough", "--json", lib)
    assert thorough_run.code == 1, thorough_run
    failures = _by_path(thorough_run.json()["failures"])
    assert set(failures) == quick | thorough
    assert failures["damaged.mkv"].startswith("decoding failed: [h264]"), failures

    # Every outcome is recorded on the check job.
    job = vpo("jobs", "show", thorough_run.json()["job_id"], "--json").json()
    assert job["type"] == "check" and job["status"] == "completed"
    outcomes = {os.path.basename(f["path"]): f["outcome"] for f in job["files"]}
    assert outcomes == {n: ("failed" if n in quick | thorough else "passed") for n in damaged_media}


def test_the_ffprobe_backend_gets_the_quick_check_too(
    vpo: RunVpo, lib: Path, damaged_media: dict[str, Any]
) -> None:
    scan = vpo("scan", "--prober", "ffprobe", "--json", lib)
    errors = _by_path(scan.json()["errors"])
    assert set(errors) == set(QUICK), scan
    for name in QUICK:
        assert damaged_media[name].reason in errors[name], (name, errors[name])


def test_the_quick_check_can_be_switched_off_for_the_scan(vpo: RunVpo, lib: Path, vpo_home: Path) -> None:
    vpo_home.mkdir(parents=True, exist_ok=True)
    (vpo_home / "config.yaml").write_text("scan:\n  quick_check: false\n")
    scan = vpo("scan", "--json", lib)
    # Without it the probe alone sees only what libavformat refuses to open.
    assert set(_by_path(scan.json()["errors"])) < set(QUICK), scan


def test_a_second_check_skips_what_it_verified_and_rechecks_what_changed(vpo: RunVpo, lib: Path) -> None:
    assert vpo("scan", lib).code == 1
    first = vpo("check", "--json", lib).json()
    assert first["counts"]["skipped"] == 0

    again = vpo("check", "--json", lib)
    assert again.code == 0, again  # known results are not news
    assert again.json()["counts"] == {**first["counts"], "checked": 0, "passed": 0, "failed": 0,
                                      "skipped": first["counts"]["checked"],
                                      "known_failed": first["counts"]["failed"]}  # fmt: skip

    # A file changed since is checked again, even before a rescan sees it.
    changed = lib / "good.mkv"
    with open(changed, "r+b") as fh:
        fh.truncate(changed.stat().st_size // 2)
    third = vpo("check", "--json", lib)
    assert third.code == 1, third
    assert third.json()["counts"]["checked"] == 1
    [failure] = third.json()["failures"]
    assert failure["path"] == str(changed) and "truncated: the Segment ends at" in failure["error"]

    # A thorough check is not satisfied by a quick one; --recheck forces everything.
    thorough = vpo("check", "--thorough", "--json", lib / "good.webm").json()
    assert thorough["counts"]["checked"] == 1
    assert vpo("check", "--thorough", "--json", lib / "good.webm").json()["counts"]["skipped"] == 1
    assert vpo("check", "--recheck", "--json", lib / "good.webm").json()["counts"]["checked"] == 1


def test_decoders_run_single_threaded_while_files_wait_and_the_last_ones_take_the_idle_cores(
    vpo: RunVpo, lib: Path
) -> None:
    vpo("scan", lib)
    good = sorted(p for p in lib.iterdir() if p.name.startswith("good."))
    assert len(good) >= 3
    alone = vpo("-vv", "check", "--thorough", "--workers", "2", good[0])
    assert alone.code == 0, alone
    assert "with 2 decoder thread(s)" in alone.stderr and "with 1 decoder thread(s)" not in alone.stderr
    several = vpo("-vv", "check", "--thorough", "--recheck", "--workers", "2", *good)
    assert several.code == 0, several
    threads = re.findall(r"with (\d) decoder thread\(s\)", several.stderr)
    assert len(threads) == len(good) and threads[0] == "1", several.stderr


def test_max_duration_stops_cleanly_and_the_next_run_takes_the_rest(vpo: RunVpo, lib: Path) -> None:
    vpo("scan", lib)
    stopped = vpo("check", "--max-duration", "0", "--json", lib)
    assert stopped.code == 0, stopped
    doc = stopped.json()
    assert doc["status"] == "stopped" and doc["counts"]["checked"] == 0
    assert doc["counts"]["left"] == doc["counts"]["candidates"]
    rest = vpo("check", "--json", lib).json()
    assert rest["status"] == "completed" and rest["counts"]["checked"] == doc["counts"]["left"]


def test_oldest_check_first(vpo: RunVpo, lib: Path, vpo_home: Path) -> None:
    vpo("scan", lib)
    vpo("check", lib / "good.avi")
    vpo("check", lib)  # everything else, after good.avi
    conn = engine.connect(vpo_home)
    try:
        conn.execute("BEGIN")
        conn.execute("UPDATE checks SET checked_at = '2000-01-01T00:00:00Z' WHERE file_id = "
                     "(SELECT id FROM files WHERE path = ?)", (os.fsencode(lib / "good.mov"),))  # fmt: skip
        conn.execute("COMMIT")
    finally:
        conn.close()
    # --recheck takes the oldest check first (good.mov), then the next oldest (good.avi).
    run = vpo("check", "--recheck", "--workers", "1", "--json", lib).json()
    job = vpo("jobs", "show", run["job_id"], "--json").json()
    order = [os.path.basename(f["path"]) for f in job["files"]]
    assert order[0] == "good.mov" and order[1] == "good.avi", order


def test_an_interrupted_check_keeps_its_results(
    lib: Path, vpo_env: dict[str, str], vpo: RunVpo, vpo_home: Path, tmp_path: Path
) -> None:
    vpo("scan", lib)
    # An ffmpeg that decodes slowly (the real one, reading its input at four times its
    # native rate: a 3 s file takes 0.75 s), so the run is caught in the middle: some files
    # done, others still decoding.
    slow = slow_ffmpeg(tmp_path / "slow-ffmpeg.sh", pace="-readrate 4")
    vpo_home.mkdir(parents=True, exist_ok=True)
    (vpo_home / "config.yaml").write_text(f"tools:\n  ffmpeg: {slow}\n")
    proc = subprocess.Popen(
        [str(VPO), "check", "--thorough", "--workers", "1", "--json", str(lib)],
        env=vpo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120  # a hang guard only
    while time.monotonic() < deadline:
        conn = engine.connect(vpo_home)
        try:
            done = conn.execute("SELECT count(*) FROM checks").fetchone()[0]
        finally:
            conn.close()
        if done >= 6:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert json.loads(out)["code"] == "INTERRUPTED"
    conn = engine.connect(vpo_home)
    try:
        kept = conn.execute("SELECT count(*) FROM checks").fetchone()[0]
        status = conn.execute("SELECT status FROM jobs WHERE type = 'check'").fetchone()[0]
        unfinished = conn.execute(
            "SELECT count(*) FROM files WHERE id NOT IN (SELECT file_id FROM checks)"
        ).fetchone()[0]
    finally:
        conn.close()
    assert kept >= 6 and unfinished > 0 and status == "cancelled"
    # The next run checks only what the interrupted one did not finish.
    (vpo_home / "config.yaml").unlink()
    rest = vpo("check", "--thorough", "--json", lib).json()
    assert rest["counts"]["checked"] == unfinished and rest["counts"]["skipped"] == kept


def test_known_broken_files_are_not_news_on_a_rescan(vpo: RunVpo, lib: Path) -> None:
    assert vpo("scan", lib).code == 1
    for args in (("scan",), ("scan", "--full")):
        again = vpo(*args, "--json", lib)
        assert again.code == 0, again
        counts = again.json()["counts"]
        assert counts["errors"] == 0 and counts["known_broken"] == len(QUICK)
        assert again.json()["errors"] == []
    text = vpo("scan", lib)
    assert text.code == 0 and f"Known broken (unchanged):   {len(QUICK)}" in text.stdout, text
    # A broken file that changes (here: repaired, then broken anew) is news again.
    shutil.copyfile(lib / "good.mkv", lib / "cut-clusters.mkv")
    data = (lib / "good.mkv").read_bytes()
    (lib / "cut-clusters.mkv").write_bytes(data[: len(data) // 3])
    news = vpo("scan", "--json", lib)
    assert news.code == 1
    assert news.json()["counts"]["errors"] == 1 and news.json()["counts"]["known_broken"] == len(QUICK) - 1


def test_inspect_shows_the_check_status(vpo: RunVpo, lib: Path) -> None:
    target = lib / "damaged.mkv"
    assert vpo("inspect", "--json", target).json()["integrity"] is None  # no catalogue yet
    vpo("scan", lib)
    status = vpo("inspect", "--json", target).json()["integrity"]
    assert status["scan_status"] == "ok" and status["check"] is None
    vpo("check", "--thorough", target)
    status = vpo("inspect", "--json", target).json()["integrity"]
    check = status["check"]
    assert check["level"] == "thorough" and check["passed"] is False and check["current"] is True
    assert check["checked_at"].endswith("Z") and "decoding failed" in check["error"]
    text = vpo("inspect", target).stdout
    assert "integrity: thorough check FAILED: decoding failed" in text
