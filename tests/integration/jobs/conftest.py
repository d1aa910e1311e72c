"""Fixtures of the jobs tests."""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import engine
import media
import media_libraries
from integration.conftest import age_tree
from integration.jobs.helpers import (
    SHARED,
    History,
    Job,
    Synthetic,
    age_job,
    db,
    init_home,
    insert,
    iso,
    job_file_count,
    query,
    run,
    tiny_library,
)


@pytest.fixture(scope="module")
def history(corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory) -> History:
    base = tmp_path_factory.mktemp("jobs-history")
    home = base / "home"
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(base / "lib"), symlinks=True)
    lib = base / "lib"
    age_tree(lib)

    first = run(home, "scan", "--json", lib)
    assert first.code == 1, first  # three broken files
    first_doc = first.json()

    renamed_from, renamed_to = lib / "movie.mkv", lib / "sub dir" / "renamed.mkv"
    os.rename(renamed_from, renamed_to)
    deleted = lib / "clip.avi"
    deleted.unlink()
    changed = lib / "UPPER.MKV"
    with open(changed, "ab") as fh:  # trailing bytes: a new size, still a valid Matroska file
        fh.write(b"\0" * 4096)
    stamp = time.time() - 7200  # old enough not to be racy; the others keep their mtimes
    os.utime(changed, (stamp, stamp))
    second = run(home, "scan", "--json", lib)
    assert second.code == 0, second
    second_doc = second.json()

    # Unmounted: the root is there but empty while the catalogue knows files under it.
    os.rename(lib, base / "lib.away")
    lib.mkdir()
    failed_result = run(home, "scan", lib)
    assert failed_result.code == 2, failed_result
    rows = query(home, "SELECT id FROM jobs WHERE status = 'failed'")
    assert len(rows) == 1, rows
    os.rmdir(lib)
    os.rename(base / "lib.away", lib)

    return History(
        home,
        lib,
        first_doc["job_id"],
        second_doc["job_id"],
        rows[0][0],
        renamed_from,
        renamed_to,
        changed,
        deleted,
        first_doc,
        second_doc,
        failed_result,
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Synthetic:
    home = tmp_path_factory.mktemp("jobs-synthetic") / "home"
    init_home(home)
    ids = {
        "scan_3h": insert(home, Job("scan", "completed", timedelta(hours=3), timedelta(seconds=120))),
        "apply_2d": insert(
            home,
            Job(
                "apply",
                "failed",
                timedelta(days=2),
                timedelta(seconds=3725),
                error=(
                    "mkvpropedit exited with status 2",
                    "Traceback (most recent call last):\n  ...\n"
                    "vpo.errors.ToolError: mkvpropedit exited with status 2\n",
                    {"file": "/media/movies/a.mkv"},
                ),
            ),
        ),
        "transcode_10d": insert(
            home,
            Job("transcode", "cancelled", timedelta(days=10), error=("cancelled by the user", None, None)),
        ),
        "transcode_queued_40d": insert(home, Job("transcode", "queued", timedelta(days=40))),
        "apply_running_45d": insert(
            home,
            Job("apply", "running", timedelta(days=45), pid=os.getpid(), heartbeat_age=timedelta(seconds=5)),
        ),
        "scan_60d": insert(home, Job("scan", "completed", timedelta(days=60))),
        "shared_1": insert(home, Job(age=timedelta(minutes=5), id=SHARED + "1")),
        "shared_2": insert(home, Job(age=timedelta(minutes=6), id=SHARED + "2")),
        "many_files": insert(
            home,
            Job(age=timedelta(minutes=30)),
            [
                (
                    None,
                    f"/media/movies/f{i:03d}.mkv".encode(),
                    "added",
                    {"container": "matroska", "tracks": 2},
                )
                for i in range(60)
            ],
        ),
    }
    return Synthetic(home, ids)


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 real videos: a one-worker scan of them takes a few seconds."""
    root = media_libraries.make_bulk_library(tmp_path_factory.mktemp("jobs-bulk") / "lib", count=300)
    age_tree(root)
    return root


@pytest.fixture(scope="module")
def aged_template(
    corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, dict[str, str]]:
    """A home with one real scan made 60 days old, plus old and recent jobs of every status."""
    base = tmp_path_factory.mktemp("jobs-aged")
    home = base / "home"
    lib = tiny_library(corpus, base / "lib")
    first = run(home, "scan", "--json", lib)
    assert first.code == 0, first
    scan_id = first.json()["job_id"]
    assert job_file_count(home, scan_id) == 2
    age_job(home, scan_id, 60)
    ids = {
        "scan_60d": scan_id,
        "failed_50d": insert(
            home,
            Job("apply", "failed", timedelta(days=50), error=("boom", "Traceback...", None)),
            [(None, b"/media/x.mkv", "error", {"error": "boom"})],
        ),
        "cancelled_31d": insert(home, Job("transcode", "cancelled", timedelta(days=31))),
        "queued_90d": insert(
            home, Job("transcode", "queued", timedelta(days=90)), [(None, b"/media/y.mkv", "queued", None)]
        ),
        "running_40d": insert(
            home,
            Job("apply", "running", timedelta(days=40), pid=os.getpid(), heartbeat_age=timedelta(seconds=1)),
        ),
        "completed_29d": insert(
            home, Job("scan", "completed", timedelta(days=29)), [(None, b"/media/z.mkv", "added", None)]
        ),
        "completed_2d": insert(home, Job("scan", "completed", timedelta(days=2))),
    }
    return home, lib, ids


@pytest.fixture
def aged(
    aged_template: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> tuple[Path, Path, dict[str, str]]:
    """A private copy of the template home (the library itself is only ever read)."""
    template, lib, ids = aged_template
    home = tmp_path / "home"
    engine.copy_home(template, home)
    conn = db(home)  # the running job is still beating
    try:
        conn.execute(
            "UPDATE jobs SET heartbeat_at = ? WHERE id = ?",
            (iso(datetime.now(timezone.utc)), ids["running_40d"]),
        )
    finally:
        conn.close()
    return home, lib, ids
