"""`vpo scan` killed with SIGKILL at random moments, then run again: the second scan must
reach exactly the catalogue an uninterrupted scan makes of the same tree.

Two trees, built once: `first` is catalogued from nothing (every file new, some broken,
one non-UTF-8 name); `changed` was catalogued, then had files deleted, renamed across
folders, grown, truncated, replaced and added, so its rescan has moves, missing files,
changed files and errors to record. The reference for each is one uninterrupted scan
(of `first` into a fresh home; of `changed` from a copy of its earlier catalogue).

Each trial draws (seeded) the tree, a moment (a delay up to the clean scan's duration, or
"after k affected-file rows are committed"), the number of probe workers, and whether
vpo alone is killed (its probe workers must then exit by themselves) or its whole
process group. Three trials run by default; the rest are marked slow.

Every home uses the ffprobe prober; the scans that get killed (and the references, which
time them) use a profile whose ffprobe pauses 30 ms first, so that a scan lasts seconds
and commits several batches (the writer commits once a second): the rescan then runs
at full speed with the same prober.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import engine
import media
import media_libraries
from fault.killing import assert_sound, catalogue, count, jobs, kill, start, wait_for, wait_group_gone
from integration.conftest import age_tree
from integration.scanutil import assert_no_traceback, run_vpo

TRIALS = 24
DEFAULT_TRIALS = {0, 1, 2}  # both trees and both kinds of moment
SLOW_FFPROBE = """#!/bin/sh
sleep 0.03
exec ffprobe "$@"
"""


@dataclass(frozen=True)
class Tree:
    root: Path
    slow_ffprobe: Path
    start_home: Path | None  # the catalogue a trial starts from (None: a fresh home)
    reference: dict[bytes, tuple]  # catalogue() after a clean scan
    rows: int  # job_files rows the clean scan wrote
    seconds: float  # how long the clean scan took
    moved_ids: dict[bytes, int]  # new path -> the id its file had before the move


def _build_first(root: Path) -> None:
    media_libraries.make_bulk_library(root, count=20, dirs=3)
    (root / "broken").mkdir()
    (root / "broken" / "empty.mkv").write_bytes(b"")
    media.random_bytes_file(root / "broken" / "noise.mkv")
    some = root / "dir-00" / "bulk-0000000.mkv"
    media.truncated_copy(some, root / "broken" / "truncated.mkv")
    shutil.copyfile(some, os.fsencode(root / "dir-01") + b"/caf\xe9 latin-1.mkv")
    age_tree(root)


def _ids(home: Path) -> dict[bytes, int]:
    conn = engine.connect(home)
    try:
        return {bytes(p): i for i, p in conn.execute("SELECT id, path FROM files")}
    finally:
        conn.close()


def _change(root: Path) -> dict[bytes, bytes]:
    """Deletions, moves, growth, truncation, a fixed broken file, new files. Returns
    {new path: old path} of the moves."""
    files = sorted(p for p in root.rglob("bulk-*") if p.is_file())
    files[0].unlink()
    files[1].unlink()
    moves = {
        root / "dir-02" / f"renamed{files[2].suffix}": files[2],  # same folder
        root / "dir-01" / f"moved{files[3].suffix}": files[3],
    }  # another folder
    for new, old in moves.items():
        old.rename(new)
    with open(files[4], "ab") as fh:
        fh.write(b"\0" * 4096)
    with open(files[5], "r+b") as fh:
        fh.truncate(300)
    shutil.copyfile(files[6], root / "broken" / "empty.mkv")  # a broken file fixed
    for i, src in enumerate(files[7:10]):
        data = re.sub(rb"vpo-media-id:[0-9a-f]{16}", b"vpo-media-id:%016x" % (77_000 + i), src.read_bytes())
        (root / "dir-00" / f"new-{i}{src.suffix}").write_bytes(data)  # same layout, bytes of its own
    stamp = time.time() - 7200
    for p in [*moves, files[4], files[5], root / "broken" / "empty.mkv", *(root / "dir-00").glob("new-*")]:
        os.utime(p, (stamp, stamp))
    return {os.fsencode(new): os.fsencode(old) for new, old in moves.items()}


def _home(home: Path, slow_ffprobe: Path, start: Path | None = None) -> Path:
    """A VPO_HOME (a copy of `start`, if given) with the ffprobe prober and a `slow` profile."""
    if start is not None:
        engine.copy_home(start, home)  # its catalogue too, whichever the engine
    (home / "profiles").mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("scan:\n  prober: ffprobe\n")
    (home / "profiles" / "slow.yaml").write_text(
        f"name: slow\ntools:\n  ffprobe: {slow_ffprobe}\nscan:\n  workers: 1\n"
    )
    return home


def _clean_scan(home: Path, root: Path, *, slow: bool = True) -> tuple[float, str]:
    started = time.monotonic()
    result = run_vpo(home, *(["--profile", "slow"] if slow else []), "scan", "--json", root)
    took = time.monotonic() - started
    assert result.code in (0, 1), result
    return took, result.json()["job_id"]


def _rows(home: Path, job_id: str) -> int:
    conn = engine.connect(home)
    try:
        return conn.execute("SELECT count(*) FROM job_files WHERE job_id = ?", (job_id,)).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Tree]:
    base = tmp_path_factory.mktemp("killed-scan")
    slow = base / "slow-ffprobe"
    slow.write_text(SLOW_FFPROBE)
    slow.chmod(0o755)
    first = base / "first"
    _build_first(first)
    ref = _home(base / "ref-first", slow)
    seconds, job = _clean_scan(ref, first)
    out = {"first": Tree(first, slow, None, catalogue(ref), _rows(ref, job), seconds, {})}

    changed = base / "changed"
    shutil.copytree(os.fsencode(first), os.fsencode(changed), symlinks=True)
    start_home = _home(base / "start-changed", slow)
    _clean_scan(start_home, changed, slow=False)
    before = _ids(start_home)
    moves = _change(changed)
    ref = _home(base / "ref-changed", slow, start_home)
    seconds, job = _clean_scan(ref, changed)
    moved_ids = {new: before[old] for new, old in moves.items()}
    assert {p: i for p, i in _ids(ref).items() if p in moved_ids} == moved_ids  # the reference saw moves
    out["changed"] = Tree(changed, slow, start_home, catalogue(ref), _rows(ref, job), seconds, moved_ids)
    return out


@pytest.mark.parametrize(
    "trial", [pytest.param(t, marks=() if t in DEFAULT_TRIALS else pytest.mark.slow) for t in range(TRIALS)]
)
def test_rescan_after_a_kill_reaches_the_clean_catalogue(
    trial: int, trees: dict[str, Tree], tmp_path: Path
) -> None:
    rng = random.Random(f"killed-scan-{trial}")
    tree = trees["first" if trial % 2 == 0 else "changed"]
    moment = "rows" if trial % 4 in (1, 2) else "time"
    workers, group = rng.choice((1, 2)), rng.random() < 0.5
    home = _home(tmp_path / "home", tree.slow_ffprobe, tree.start_home)
    rows_before = count(home, "SELECT count(*) FROM job_files")
    jobs_before = set(jobs(home)) if tree.start_home is not None else set()

    proc = start(home, "--profile", "slow", "scan", "--json", "--workers", workers, tree.root)
    if moment == "time":
        time.sleep(rng.uniform(0.0, tree.seconds * 1.1))
    else:
        target = rows_before + rng.randint(1, max(1, tree.rows - 1))
        wait_for(
            lambda: proc.poll() is not None or count(home, "SELECT count(*) FROM job_files") >= target,
            what=f"{target} job_files rows",
        )
    finished = proc.poll() is not None
    kill(proc, group=group)
    wait_group_gone(proc.pid)  # no probe worker outlives the scan that started it

    # right after the kill, before VPO runs again: the catalogue, once made, is sound (and
    # SQLite's files private). A PostgreSQL database exists before its schema does.
    if engine.has_catalogue(home):
        assert_sound(home)
    for name in ("library.db", "library.db-wal", "library.db-shm"):
        if (home / name).exists():
            assert (home / name).stat().st_mode & 0o077 == 0, name

    again = run_vpo(home, "scan", "--json", tree.root)
    assert again.code in (0, 1), again
    assert_no_traceback(again)
    assert again.json()["status"] == "completed"
    assert catalogue(home) == tree.reference
    assert_sound(home)
    ids = _ids(home)
    assert {p: ids[p] for p in tree.moved_ids} == tree.moved_ids  # a move keeps the file's id
    after = jobs(home)
    assert [j for j in after.values() if j[1] == "running"] == [], after
    killed = {i: j for i, j in after.items() if i not in jobs_before and i != again.json()["job_id"]}
    assert len(killed) <= 1, killed
    for _type, status, message in killed.values():
        # completed when the kill came after the job's last write (or after the exit)
        assert status == "completed" or (
            status == "failed" and not finished and str(proc.pid) in (message or "")
        ), killed
