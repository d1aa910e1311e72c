"""`transcode.work_dir` when a worker dies: the encode it was writing there is removed by
the next worker that starts on the host; what live processes write there is left alone."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

import pytest

from integration.transcoding.helpers import (
    LONG,
    Lib,
    brief,
    ffmpeg_writing,
    ffprobe,
    finish,
    running_with_progress,
    temp_files,
    transcoded_rows,
    wait_for,
)


@pytest.mark.engines
def test_a_killed_workers_encode_in_the_work_dir_is_removed_by_the_next_worker(
    make_lib: Callable[..., Lib],
) -> None:
    lib = make_lib(**{"long.mkv": LONG})
    path = lib.path("long.mkv")
    original = path.read_bytes()
    work = lib.home.parent / "local-work"
    lib.home.mkdir(parents=True, exist_ok=True)  # on PostgreSQL nothing is written there yet
    (lib.home / "config.yaml").write_text(f"transcode:\n  work_dir: {work}\n")
    # Another worker on this host, alive (this test's process), writing its own encode,
    # and a file that is no encode at all: neither may be touched.
    work.mkdir()
    live = f".vpo-tmp-{os.getpid()}-0123abcd.mkv"
    (work / live).write_bytes(b"a live worker's partial encode")
    (work / "notes.txt").write_text("not VPO's")
    [job_id] = lib.queue(path)
    worker = lib.start("--profile", lib.slow_profile(), "jobs", "run")
    try:
        wait_for("progress", running_with_progress(lib, job_id), worker)
        [dead] = [n for n in temp_files(work) if n != live]
        assert dead.startswith(f".vpo-tmp-{worker.pid}-"), dead  # named after its writer
        worker.send_signal(signal.SIGKILL)
        assert finish(worker) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
    if sys.platform == "linux":  # ffmpeg dies with its worker (PR_SET_PDEATHSIG)
        wait_for("ffmpeg exit", lambda: not ffmpeg_writing(dead.encode()), guard=15)
    assert sorted(os.listdir(work)) == sorted([dead, live, "notes.txt"])  # left behind, so far
    assert temp_files(lib.root) == []  # the encode never reached the library
    assert path.read_bytes() == original

    run = lib.vpo("--log-level", "info", "jobs", "run", "--json")  # the next worker on this host
    assert run.code == 0, run
    assert brief(run.json()["jobs"]) == [{"id": job_id, "status": "completed", "error": None}]
    assert f"left by process {worker.pid}" in run.stderr, run.stderr
    assert sorted(os.listdir(work)) == sorted([live, "notes.txt"])  # the dead one's encode is gone
    assert (work / live).read_bytes() == b"a live worker's partial encode"
    assert lib.job(job_id)["attempts"] == 1  # the killed run counted
    assert transcoded_rows(lib, job_id) == 1
    assert ffprobe(path)["streams"][0]["codec_name"] == "hevc"
    assert path.with_name("long.mkv.vpo-original").read_bytes() == original
    assert temp_files(lib.root) == []
