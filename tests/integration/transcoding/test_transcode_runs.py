"""`vpo jobs run|cancel|retry` with real ffmpeg: cancels, failures and verification that leave the original, signals, killed workers.

Helpers in helpers.py, fixtures in conftest.py beside this file."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable

import pytest

from integration.ffmpeg_wrappers import input_wrapper
from integration.transcoding.helpers import (
    FFMPEG,
    FULL,
    LONG,
    Lib,
    _long_job_running,
    assert_each_done_once,
    brief,
    ffmpeg_writing,
    ffprobe,
    finish,
    four_jobs,
    running_with_progress,
    temp_files,
    transcoded_rows,
    wait_for,
)


def test_cancel_a_running_transcode(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"long.mkv": LONG})
    path = lib.path("long.mkv")
    original = path.read_bytes()
    [job_id] = lib.queue(path)
    worker = lib.start("--profile", lib.slow_profile(), "jobs", "run", "--json")
    try:
        wait_for("progress", running_with_progress(lib, job_id), worker)
        assert temp_files(lib.root) != []  # ffmpeg is writing
        cancel = lib.ok("jobs", "cancel", job_id)
        assert cancel["previous_status"] == "running"
        # The worker stops ffmpeg at its next heartbeat (seconds); a worker that missed the
        # cancel would only notice once the 40 s transcode is done (the guard is for a hang).
        code = finish(worker, guard=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    out, err = lib.output()
    assert code == 0, err
    assert brief(json.loads(out)["jobs"]) == [
        {"id": job_id, "status": "cancelled", "error": "cancelled by the user"}
    ]
    assert lib.status(job_id) == "cancelled"
    assert lib.job(job_id)["error"]["message"] == "cancelled by the user"
    assert temp_files(lib.root) == []
    assert path.read_bytes() == original
    assert sorted(os.listdir(lib.root)) == ["long.mkv"]  # no .vpo-original: nothing was replaced
    assert transcoded_rows(lib, job_id) == 0
    assert lib.query(
        "SELECT t.codec FROM tracks t JOIN files f ON f.id = t.file_id WHERE t.type = 'video'"
    ) == [("h264",)]


def test_failing_ffmpeg_leaves_the_original_and_records_its_last_lines(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    path = lib.path("a.mkv")
    original = path.read_bytes()
    row = lib.query("SELECT size, mtime_ns, fingerprint FROM files")
    broken = lib.tool_profile(  # ffmpeg failing its encodes, and only those
        "broken",
        input_wrapper(
            lib.home / "broken-ffmpeg.sh",
            "echo '[libx265 @ 0x5581] x265 cannot open the encoder: out of cheese' >&2\n"
            "echo 'Conversion failed!' >&2\nexit 1\n",
        ),
    )
    [job_id] = lib.queue(path)
    run = lib.vpo("--profile", broken, "jobs", "run", "--json")
    assert run.code == 1, run
    assert run.json()["jobs"][0]["status"] == "failed"

    job = lib.job(job_id)
    assert job["status"] == "failed"
    message = job["error"]["message"]
    assert message.startswith("ffmpeg failed (exit 1): ")
    assert "x265 cannot open the encoder: out of cheese" in message and "Conversion failed!" in message
    assert path.read_bytes() == original
    assert sorted(os.listdir(lib.root)) == ["a.mkv"]  # no temp, no .vpo-original
    assert lib.query("SELECT size, mtime_ns, fingerprint FROM files") == row
    assert [j["status"] for j in lib.ok("jobs", "list", "--file", path) if j["type"] == "transcode"] == [
        "failed"
    ]

    # Retry with a working ffmpeg: the same job completes.
    assert lib.ok("jobs", "retry", job_id) == {"id": job_id, "status": "queued"}
    assert lib.job(job_id)["error"] is None
    assert brief(lib.ok("jobs", "run")["jobs"]) == [{"id": job_id, "status": "completed", "error": None}]
    assert ffprobe(path)["streams"][0]["codec_name"] == "hevc"


def test_output_that_fails_verification_leaves_the_original(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": FULL})
    path = lib.path("a.mkv")
    original = path.read_bytes()
    # The real ffmpeg, except that the output silently loses its subtitle streams.
    lossy = lib.profile(
        "lossy",
        f"#!{sys.executable}\nimport os, sys\nargs = sys.argv[1:]\n"
        "if '-i' in args:\n    args = args[:-1] + ['-map', '-0:s'] + args[-1:]\n"
        f"os.execv({FFMPEG!r}, [{FFMPEG!r}] + args)\n",
    )
    [job_id] = lib.queue(path)
    assert lib.vpo("--profile", lossy, "jobs", "run").code == 1
    job = lib.job(job_id)
    assert job["status"] == "failed"
    assert job["error"]["message"] == "verification failed: 5 streams in, 3 out"
    assert path.read_bytes() == original
    assert sorted(os.listdir(lib.root)) == ["a.mkv"]


def test_file_written_during_the_transcode_is_not_replaced(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"short.mkv": {"duration": 4, "fps": 25}})
    path = lib.path("short.mkv")
    [job_id] = lib.queue(path)
    worker = lib.start("--profile", lib.slow_profile(), "jobs", "run")
    try:
        wait_for("progress", running_with_progress(lib, job_id), worker)
        with open(path, "ab") as f:  # someone else writes the file meanwhile
            f.write(b"\0" * 16)
        edited = path.read_bytes()
        assert finish(worker) == 1
    finally:
        if worker.poll() is None:
            worker.kill()
    message = lib.job(job_id)["error"]["message"]
    assert message == f"{path} changed while it was being transcoded; run `vpo scan`, then `vpo jobs retry`"
    assert path.read_bytes() == edited
    assert sorted(os.listdir(lib.root)) == ["short.mkv"]


def test_ffmpeg_that_cannot_run_at_all_says_why(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    broken = lib.profile(
        "dead",
        "#!/bin/sh\necho 'ffmpeg: error while loading shared libraries: libavdevice.so.59' >&2\nexit 127\n",
    )
    [job_id] = lib.queue(lib.path("a.mkv"))
    assert lib.vpo("--profile", broken, "jobs", "run").code == 1
    message = lib.job(job_id)["error"]["message"]
    assert "-encoders failed (exit 127)" in message and "libavdevice.so.59" in message


def test_two_worker_threads_share_the_queue(make_lib: Callable[..., Lib]) -> None:
    lib, ids = four_jobs(make_lib)
    run = lib.vpo("-vv", "--profile", lib.slow_profile(), "jobs", "run", "--workers", "2", "--json")
    assert run.code == 0, run
    assert sorted(j["id"] for j in run.json()["jobs"]) == sorted(ids)
    assert_each_done_once(lib, ids)
    workers = {lib.job(i)["summary"]["worker"] for i in ids}
    assert workers == {"transcode-0", "transcode-1"}  # both threads took jobs
    # Two transcodes at once on this host share its cores (transcode.threads: 0): an
    # encode that started while the other ran got half of them, decoder and encoder.
    share = max(1, len(os.sched_getaffinity(0)) // 2)
    commands = [ln for ln in run.stderr.splitlines() if "running " in ln and " -i " in ln]
    assert len(commands) == 4, run.stderr
    assert any(f"-threads {share} " in c and f"-threads:v:0 {share} " in c for c in commands), commands


def test_one_transcode_alone_leaves_the_threads_to_the_encoder_and_the_setting_fixes_them(
    make_lib: Callable[..., Lib],
) -> None:
    lib, _ = four_jobs(make_lib)
    alone = lib.vpo("-vv", "jobs", "run", "--max-files", "1")
    assert alone.code == 0, alone
    [command] = [ln for ln in alone.stderr.splitlines() if "running " in ln and " -i " in ln]
    assert "-threads" not in command
    lib.home.mkdir(parents=True, exist_ok=True)  # on PostgreSQL nothing else is written there
    (lib.home / "config.yaml").write_text("transcode:\n  threads: 3\n")
    fixed = lib.vpo("-vv", "jobs", "run", "--max-files", "1")
    assert fixed.code == 0, fixed
    [command] = [ln for ln in fixed.stderr.splitlines() if "running " in ln and " -i " in ln]
    assert "-threads 3 " in command and "-threads:v:0 3 " in command and "pools=3" in command


@pytest.mark.engines
def test_two_processes_share_the_queue(make_lib: Callable[..., Lib]) -> None:
    lib, ids = four_jobs(make_lib)
    slow = lib.slow_profile()
    procs = [lib.start("--profile", slow, "jobs", "run", "--json", name=f"run{n}") for n in range(2)]
    codes = [finish(p) for p in procs]
    assert codes == [0, 0], [lib.output(f"run{n}") for n in range(2)]
    reported = [j["id"] for n in range(2) for j in json.loads(lib.output(f"run{n}")[0])["jobs"]]
    assert sorted(reported) == sorted(ids)  # each job reported by exactly one process
    assert_each_done_once(lib, ids)
    pids = {r[0] for r in lib.query(f"SELECT pid FROM jobs WHERE id IN ({','.join('?' * 4)})", *ids)}
    assert pids == {p.pid for p in procs}  # both processes took jobs


@pytest.mark.parametrize(
    ("sig", "exit_code", "to_ffmpeg_too"),
    [
        (signal.SIGTERM, 143, False),
        (signal.SIGINT, 130, False),
        (signal.SIGHUP, 129, False),
        # systemd's default KillMode signals every process of the unit, ffmpeg first here.
        pytest.param(
            signal.SIGTERM, 143, True, marks=pytest.mark.skipif(sys.platform != "linux", reason="/proc")
        ),
    ],
)
def test_signal_requeues_the_running_job_cleanly(
    make_lib: Callable[..., Lib], sig: int, exit_code: int, to_ffmpeg_too: bool
) -> None:
    lib, path, original, job_id, worker = _long_job_running(make_lib)
    try:
        wait_for("progress", running_with_progress(lib, job_id), worker)
        if to_ffmpeg_too:  # the worst order: ffmpeg is gone before VPO hears of the stop
            [temp] = temp_files(lib.root)
            for pid in ffmpeg_writing(temp.encode()):
                os.kill(pid, sig)
            wait_for("ffmpeg exit", lambda: not ffmpeg_writing(temp.encode()), worker)
        worker.send_signal(sig)
        code = finish(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    _, err = lib.output()
    assert code == exit_code, err
    assert "Traceback" not in err
    assert f"stopped by {signal.Signals(sig).name}; running jobs were put back in the queue" in err
    assert lib.query("SELECT status, error_message FROM jobs WHERE id = ?", job_id) == [
        ("queued", "worker stopped before finishing; requeued")
    ]
    assert temp_files(lib.root) == []
    assert path.read_bytes() == original
    assert sorted(os.listdir(lib.root)) == ["long.mkv"]

    if sig == signal.SIGTERM and not to_ffmpeg_too:  # once is enough: the next run redoes it
        assert brief(lib.ok("jobs", "run")["jobs"]) == [{"id": job_id, "status": "completed", "error": None}]
        assert transcoded_rows(lib, job_id) == 1


@pytest.mark.engines
def test_killed_worker_job_is_recovered_and_completes(make_lib: Callable[..., Lib]) -> None:
    lib, path, original, job_id, worker = _long_job_running(make_lib)
    try:
        wait_for("progress", running_with_progress(lib, job_id), worker)
        [temp] = temp_files(lib.root)
        worker.send_signal(signal.SIGKILL)
        assert finish(worker) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
    assert lib.status(job_id) == "running"  # nobody could say otherwise yet
    assert path.read_bytes() == original
    if sys.platform == "linux":
        # ffmpeg dies with its worker instead of encoding on into a file nobody will use.
        # It ignores SIGPIPE: without PR_SET_PDEATHSIG it would run for the rest of the
        # 40 s clip; killed, it is gone at once (the guard is only for a hang).
        wait_for("ffmpeg exit", lambda: not ffmpeg_writing(temp.encode()), guard=15)

    listed = lib.ok("jobs", "list")  # any command notices the dead worker
    assert {j["id"]: j["status"] for j in listed}[job_id] == "queued"
    assert lib.job(job_id)["attempts"] == 1  # counted against transcode.max_attempts
    assert "exited without finishing; requeued" in lib.job(job_id)["error"]["message"]

    run = lib.ok("jobs", "run")
    assert brief(run["jobs"]) == [{"id": job_id, "status": "completed", "error": None}]
    assert temp_files(lib.root) == []  # the dead worker's partial output was removed
    assert ffprobe(path)["streams"][0]["codec_name"] == "hevc"
    assert path.with_name("long.mkv.vpo-original").read_bytes() == original
    assert transcoded_rows(lib, job_id) == 1
