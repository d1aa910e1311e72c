"""`vpo transcode` and the queue (`vpo jobs run|cancel|retry`), end to end with real ffmpeg.

Every test builds a small library with `make_video` (memoised: one encode per layout per
run), catalogues it with `vpo scan`, and drives the installed console script. The queue
state is read straight from $VPO_HOME/library.db and the results with ffprobe.

Tests that must catch a job in the middle of its run (cancel, SIGTERM, SIGKILL, two
workers) use a profile whose `tools.ffmpeg` is a two-line wrapper around the real ffmpeg
adding `-re` (read the input at its native rate): a 40 s clip then takes 40 s to
transcode on any machine, so the test can wait for real progress and act while ffmpeg
runs, without depending on how fast this machine encodes. They never wait for a slow run
to finish: the run that completes a job afterwards uses the real ffmpeg directly.
Waits poll the database; their time limits are hang guards only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import media
from integration.conftest import VPO, RunVpo, age_tree

FFMPEG = shutil.which(media.FFMPEG) or media.FFMPEG
FFPROBE = shutil.which(media.FFPROBE) or media.FFPROBE
LONG = {"duration": 40, "fps": 25}  # 1000 tiny frames: ~2 s for libx265, 40 s with -re
HANG_GUARD = 60.0


# --------------------------------------------------------------------------- helpers


@dataclass
class Lib:
    """A scanned library in tmp_path/lib and the VPO_HOME that catalogues it."""

    root: Path
    home: Path
    vpo: RunVpo
    env: dict[str, str]

    def path(self, name: str) -> Path:
        return self.root / name

    def ok(self, *args: Any) -> Any:
        """Run vpo with --json; it must exit 0. Returns the document."""
        result = self.vpo(*args, "--json")
        assert result.code == 0, result
        assert "Traceback" not in result.stderr, result
        return result.json()

    def queue(self, *args: Any) -> list[str]:
        """`vpo transcode ... --json`; returns the ids of the jobs it queued."""
        doc = self.ok("transcode", *args)
        return [f["job_id"] for f in doc["files"] if f["status"] == "queued"]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import engine

        conn = engine.connect(self.home)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def job(self, job_id: str) -> dict[str, Any]:
        return self.ok("jobs", "show", job_id)

    def status(self, job_id: str) -> str:
        return self.query("SELECT status FROM jobs WHERE id = ?", job_id)[0][0]

    def profile(self, name: str, script: str) -> str:
        """A profile whose ffmpeg is `script` (a shell script, made executable)."""
        tool = self.home / f"{name}-ffmpeg.sh"
        tool.parent.mkdir(parents=True, exist_ok=True)
        tool.write_text(script)
        tool.chmod(0o755)
        profiles = self.home / "profiles"
        profiles.mkdir(exist_ok=True)
        (profiles / f"{name}.yaml").write_text(f"tools:\n  ffmpeg: {tool}\n")
        return name

    def slow_profile(self) -> str:
        return self.profile(
            "slow",
            "#!/bin/sh\n# the real ffmpeg, reading its input in real time\n"
            f'case " $* " in *" -i "*) exec {FFMPEG} -re "$@";; esac\n'
            f'exec {FFMPEG} "$@"\n',
        )

    def start(self, *args: Any, name: str = "run") -> subprocess.Popen[bytes]:
        """`vpo ARGS` in the background; its output goes to files (read with `output`)."""
        out = open(self.home / f"{name}.out", "wb")  # noqa: SIM115 - closed by the child's exit
        err = open(self.home / f"{name}.err", "wb")  # noqa: SIM115
        argv = [str(VPO), *(os.fsencode(a) if isinstance(a, Path) else str(a) for a in args)]
        return subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env)

    def output(self, name: str = "run") -> tuple[str, str]:
        return ((self.home / f"{name}.out").read_text(), (self.home / f"{name}.err").read_text())


@pytest.fixture
def make_lib(
    tmp_path: Path, vpo: RunVpo, vpo_env: dict[str, str], vpo_home: Path, make_video: Callable[..., Path]
) -> Callable[..., Lib]:
    """`make_lib(name=make_video kwargs, ...)`: the files, an hour old, then `vpo scan`."""

    def make(**files: dict[str, Any]) -> Lib:
        root = tmp_path / "lib"
        for name, kwargs in files.items():
            make_video(root / name, **kwargs)
        age_tree(root)
        lib = Lib(root, vpo_home, vpo, vpo_env)
        scan = lib.ok("scan", root)
        assert scan["counts"]["added"] == len(files), scan
        return lib

    return make


def ffprobe(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            FFPROBE,
            "-v",
            "error",
            "-show_entries",
            "stream=index,codec_type,codec_name,codec_tag_string,width,height,channels"
            ":stream_tags=language,title:stream_disposition=default,forced:format=duration",
            "-of",
            "json",
            os.fsencode(path),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def layout(path: Path) -> list[tuple[Any, ...]]:
    """What must survive a transcode, stream by stream (the video codec aside)."""
    return [
        (
            s["codec_type"],
            s["codec_name"] if s["codec_type"] != "video" else "-",
            s.get("tags", {}).get("language"),
            s.get("tags", {}).get("title"),
            s.get("channels"),
            s["disposition"]["default"],
            s["disposition"]["forced"],
        )
        for s in ffprobe(path)["streams"]
    ]


def temp_files(folder: Path) -> list[str]:
    """Hidden tool outputs (`.vpo-tmp-PID-RANDOM.EXT`, media/siblings.py)."""
    return sorted(n for n in os.listdir(folder) if n.startswith(".vpo-tmp-"))


def brief(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`jobs run`'s jobs without what their kept originals hold."""
    return [{k: v for k, v in j.items() if k != "kept_bytes"} for j in jobs]


def wait_for(
    what: str,
    check: Callable[[], Any],
    proc: subprocess.Popen[bytes] | None = None,
    guard: float = HANG_GUARD,
) -> Any:
    """Poll `check` until it returns something true. Fails at once if `proc` exits first;
    the time limit only guards against a hang."""
    deadline = time.monotonic() + guard
    while True:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the worker exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"hang guard: no {what} after {guard:.0f}s")
        time.sleep(0.1)


def running_with_progress(lib: Lib, job_id: str) -> Callable[[], bool]:
    def check() -> bool:
        status, progress = lib.query("SELECT status, progress FROM jobs WHERE id = ?", job_id)[0]
        return status == "running" and (progress or 0) > 0

    return check


def finish(proc: subprocess.Popen[bytes], guard: float = HANG_GUARD) -> int:
    try:
        return proc.wait(timeout=guard)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"hang guard: the worker did not exit within {guard:.0f}s")


def transcoded_rows(lib: Lib, job_id: str) -> int:
    return lib.query("SELECT count(*) FROM job_files WHERE job_id = ? AND outcome = 'transcoded'", job_id)[0][
        0
    ]


# --------------------------------------------------------------------------- queue and run


FULL = {
    "audio": [("eng", "Main", True, 2), ("fra", "Commentary", False, 1)],
    "subtitles": [("eng", None, False, False), ("ger", "Forced", False, True)],
}


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("movie.mkv", {**FULL, "attachments": ["font.ttf"]}),
        ("clip.mp4", FULL),
    ],
)
def test_queue_and_run_transcode_to_hevc_keeping_every_stream(
    make_lib: Callable[..., Lib], name: str, kwargs: dict[str, Any]
) -> None:
    lib = make_lib(**{name: kwargs})
    path = lib.path(name)
    original = path.read_bytes()
    before = layout(path)

    [job_id] = lib.queue(path)
    assert lib.status(job_id) == "queued"
    run = lib.ok("jobs", "run")
    assert run == {
        "jobs": [{"id": job_id, "status": "completed", "error": None, "kept_bytes": len(original)}],
        "stopped_by": "queue empty",
        "kept_bytes": len(original),  # the summary says what the kept originals hold
    }

    probe = ffprobe(path)
    video = [s for s in probe["streams"] if s["codec_type"] == "video"]
    assert [v["codec_name"] for v in video] == ["hevc"]
    if name.endswith(".mp4"):
        assert video[0]["codec_tag_string"] == "hvc1"
    assert layout(path) == before  # every other stream copied, with its language, title, flags
    assert abs(float(probe["format"]["duration"]) - 1.0) < 0.5

    kept = path.with_name(name + ".vpo-original")
    assert kept.read_bytes() == original  # the original is kept by default, byte for byte
    assert temp_files(lib.root) == []

    job = lib.job(job_id)
    assert job["status"] == "completed" and job["progress"] == 1.0 and job["error"] is None
    assert job["summary"]["codec_before"] == "h264" and job["summary"]["codec_after"] == "hevc"
    assert job["summary"]["original"] == str(kept)
    assert [f["outcome"] for f in job["files"]] == ["queued", "transcoded"]


@pytest.mark.engines
def test_catalogue_follows_the_transcode(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    path = lib.path("a.mkv")
    [job_id] = lib.queue(path)
    lib.ok("jobs", "run")

    size, codec = lib.query(
        "SELECT f.size, t.codec FROM files f JOIN tracks t ON t.file_id = f.id "
        "WHERE f.path = ? AND t.type = 'video'",
        os.fsencode(path),
    )[0]
    assert codec == "hevc"
    assert size == path.stat().st_size
    audit = lib.ok("jobs", "list", "--file", path)
    assert [(j["id"], j["type"], j["status"]) for j in audit if j["type"] == "transcode"] == [
        (job_id, "transcode", "completed")
    ]
    # The kept original has no video extension: a rescan never catalogues it.
    rescan = lib.ok("scan", lib.root)
    assert rescan["counts"]["added"] == 0 and rescan["counts"]["errors"] == 0, rescan
    assert lib.query("SELECT count(*) FROM files")[0][0] == 1


def test_policy_can_delete_the_original(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    policy = lib.root.parent / "policy.yaml"
    policy.write_text("schema_version: 1\ntranscode:\n  codec: hevc\n  delete_original: true\n")
    [job_id] = lib.queue("--policy", policy, lib.path("a.mkv"))
    lib.ok("jobs", "run")
    assert sorted(os.listdir(lib.root)) == ["a.mkv"]
    assert ffprobe(lib.path("a.mkv"))["streams"][0]["codec_name"] == "hevc"
    assert lib.job(job_id)["summary"]["original"] is None


def test_dry_run_queues_nothing_and_a_file_is_queued_once(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}, "b.mkv": {"tone": 500}})
    doc = lib.ok("transcode", "--dry-run", lib.root)
    assert doc["dry_run"] is True
    assert sorted((Path(f["path"]).name, f["status"], f["job_id"]) for f in doc["files"]) == [
        ("a.mkv", "planned", None),
        ("b.mkv", "planned", None),
    ]
    text = lib.vpo("transcode", "--dry-run", lib.root)
    assert text.code == 0 and "2 would be queued (dry run)" in text.stdout, text
    assert lib.query("SELECT count(*) FROM jobs WHERE type = 'transcode'")[0][0] == 0

    [_first] = lib.queue(lib.path("a.mkv"))
    again = lib.ok("transcode", lib.root)
    assert sorted((Path(f["path"]).name, f["status"], f["reason"]) for f in again["files"]) == [
        ("a.mkv", "skipped", "a transcode of this file is already queued or running"),
        ("b.mkv", "queued", None),
    ]
    assert len(lib.query("SELECT id FROM jobs WHERE type = 'transcode'")) == 2


def test_files_already_in_the_codec_are_skipped_with_the_reason(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"h264.mkv": {}, "vp8.webm": {}})
    doc = lib.ok("transcode", "--codec", "h264", lib.root)
    by_name = {Path(f["path"]).name: f for f in doc["files"]}
    assert (by_name["h264.mkv"]["status"], by_name["h264.mkv"]["reason"]) == ("skipped", "already h264")
    assert (by_name["vp8.webm"]["status"], by_name["vp8.webm"]["reason"]) == (
        "skipped",
        "webm cannot hold h264 (only vp8, vp9, av1)",
    )
    doc = lib.ok("transcode", "--codec", "h264", "--max-resolution", "480p", lib.path("h264.mkv"))
    assert doc["files"][0]["reason"] == "already h264 at 480p or below"
    assert lib.query("SELECT count(*) FROM jobs WHERE type = 'transcode'")[0][0] == 0
    text = lib.vpo("transcode", "--codec", "h264", lib.path("h264.mkv"))
    assert (
        f"SKIPPED  {lib.path('h264.mkv')}\n         h264 64x48\n         skipped: already h264" in text.stdout
    )


def test_policy_gives_defaults_and_flags_win(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    policy = lib.root.parent / "policy.yaml"
    policy.write_text("schema_version: 1\ntranscode:\n  codec: vp9\n  crf: 30\n  max_resolution: 720p\n")
    doc = lib.ok("transcode", "--dry-run", "--policy", policy, lib.path("a.mkv"))
    assert doc["target"] == {
        "codec": "vp9",
        "crf": 30,
        "bitrate": None,
        "max_resolution": "720p",
        "delete_original": False,
    }
    doc = lib.ok(
        "transcode",
        "--dry-run",
        "--policy",
        policy,
        "--codec",
        "hevc",
        "--bitrate",
        "500k",
        lib.path("a.mkv"),
    )
    assert doc["target"] == {
        "codec": "hevc",
        "crf": None,
        "bitrate": "500k",
        "max_resolution": "720p",
        "delete_original": False,
    }


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--codec", "hevc", "--crf", "60"], "crf 60 is out of range for hevc (0-51)"),
        (["--codec", "mpeg2"], "unknown codec 'mpeg2'"),
        (["--max-resolution", "4k"], "unknown max resolution '4k'"),
        (["--bitrate", "lots"], "invalid bitrate 'lots'"),
    ],
)
def test_bad_targets_are_usage_errors_before_anything_is_opened(
    vpo: RunVpo, vpo_home: Path, args: list[str], words: str
) -> None:
    result = vpo("transcode", *args, "/nowhere/a.mkv", "--json")
    assert result.code == 2, result
    error = result.json()
    assert error["code"] == "USAGE" and words in error["message"]
    assert not (vpo_home / "library.db").exists()


def test_uncatalogued_file_fails_and_nothing_is_queued(
    vpo: RunVpo, tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    stranger = make_video(tmp_path / "elsewhere" / "new.mkv")
    result = vpo("transcode", stranger, "--json")
    assert result.code == 1, result
    assert result.json()["files"] == [
        {
            "path": str(stranger),
            "status": "failed",
            "reason": "not in the catalogue; run `vpo scan` first",
            "job_id": None,
            "plan": None,
        }
    ]


# --------------------------------------------------------------------------- limits


def test_limits_stop_claiming(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{f"f{n}.mkv": {} for n in range(3)})
    ids = lib.queue(lib.root)
    assert len(ids) == 3
    assert lib.ok("jobs", "run", "--max-duration", "0") == {
        "jobs": [],
        "stopped_by": "max-duration",
        "kept_bytes": 0,
    }
    assert [lib.status(i) for i in ids] == ["queued"] * 3

    run = lib.ok("jobs", "run", "--max-files", "1")
    assert run["stopped_by"] == "max-files"
    assert brief(run["jobs"]) == [{"id": ids[0], "status": "completed", "error": None}]  # oldest first
    assert [lib.status(i) for i in ids] == ["completed", "queued", "queued"]


def test_bad_end_by_is_a_usage_error(vpo: RunVpo) -> None:
    result = vpo("jobs", "run", "--end-by", "25:99")
    assert result.code == 2 and "invalid --end-by '25:99': expected HH:MM" in result.stderr, result


# --------------------------------------------------------------------------- cancel and retry


@pytest.mark.engines
def test_cancel_queued_then_retry_and_only_transcodes(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    path = lib.path("a.mkv")
    original = path.read_bytes()
    [job_id] = lib.queue(path)

    assert lib.ok("jobs", "cancel", job_id[:8]) == {
        "id": job_id,
        "previous_status": "queued",
        "status": "cancelled",
    }
    assert lib.ok("jobs", "run") == {"jobs": [], "stopped_by": "queue empty", "kept_bytes": 0}
    assert lib.status(job_id) == "cancelled"
    assert path.read_bytes() == original
    again = lib.vpo("jobs", "cancel", job_id)
    assert again.code == 2 and "is cancelled" in again.stderr, again

    assert lib.ok("jobs", "retry", job_id) == {"id": job_id, "status": "queued"}
    assert brief(lib.ok("jobs", "run")["jobs"]) == [{"id": job_id, "status": "completed", "error": None}]
    assert ffprobe(path)["streams"][0]["codec_name"] == "hevc"
    assert transcoded_rows(lib, job_id) == 1

    done = lib.vpo("jobs", "retry", job_id)
    assert done.code == 2 and "only failed or cancelled jobs can be retried" in done.stderr, done

    # A scan runs in the foreground and never reads its status: no cancel, no retry.
    [scan_id] = [r[0] for r in lib.query("SELECT id FROM jobs WHERE type = 'scan'")]
    for command in ("cancel", "retry"):
        result = lib.vpo("jobs", command, scan_id)
        assert result.code == 2 and "is a scan job" in result.stderr, result
    assert lib.status(scan_id) == "completed"


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


# --------------------------------------------------------------------------- failures


def test_failing_ffmpeg_leaves_the_original_and_records_its_last_lines(make_lib: Callable[..., Lib]) -> None:
    lib = make_lib(**{"a.mkv": {}})
    path = lib.path("a.mkv")
    original = path.read_bytes()
    row = lib.query("SELECT size, mtime_ns, fingerprint FROM files")
    broken = lib.profile(
        "broken",
        "#!/bin/sh\n"
        f'case " $* " in *" -i "*) ;; *) exec {FFMPEG} "$@";; esac\n'
        "echo '[libx265 @ 0x5581] x265 cannot open the encoder: out of cheese' >&2\n"
        "echo 'Conversion failed!' >&2\nexit 1\n",
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


# --------------------------------------------------------------------------- concurrency


def four_jobs(make_lib: Callable[..., Lib]) -> tuple[Lib, list[str]]:
    lib = make_lib(**{f"f{n}.mkv": {} for n in range(4)})
    ids = lib.queue(lib.root)
    assert len(ids) == 4
    return lib, ids


def assert_each_done_once(lib: Lib, ids: list[str]) -> None:
    assert {i: lib.status(i) for i in ids} == dict.fromkeys(ids, "completed")
    assert {i: transcoded_rows(lib, i) for i in ids} == dict.fromkeys(ids, 1)
    names = sorted(os.listdir(lib.root))
    assert names == sorted([f"f{n}.mkv" for n in range(4)] + [f"f{n}.mkv.vpo-original" for n in range(4)])
    for n in range(4):
        assert ffprobe(lib.path(f"f{n}.mkv"))["streams"][0]["codec_name"] == "hevc"


def test_two_worker_threads_share_the_queue(make_lib: Callable[..., Lib]) -> None:
    lib, ids = four_jobs(make_lib)
    run = lib.vpo("--profile", lib.slow_profile(), "jobs", "run", "--workers", "2", "--json")
    assert run.code == 0, run
    assert sorted(j["id"] for j in run.json()["jobs"]) == sorted(ids)
    assert_each_done_once(lib, ids)
    workers = {lib.job(i)["summary"]["worker"] for i in ids}
    assert workers == {"transcode-0", "transcode-1"}  # both threads took jobs


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


# --------------------------------------------------------------------------- signals


def ffmpeg_writing(name: bytes) -> list[int]:
    """Pids of live processes whose command line names `name` (Linux /proc)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if name in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def _long_job_running(make_lib: Callable[..., Lib]) -> tuple[Lib, Path, bytes, str, subprocess.Popen[bytes]]:
    """A library of one long file, its transcode queued and a slow `vpo jobs run` started:
    (lib, path, the file's bytes, job id, the worker process)."""
    lib = make_lib(**{"long.mkv": LONG})
    path = lib.path("long.mkv")
    original = path.read_bytes()
    [job_id] = lib.queue(path)
    return lib, path, original, job_id, lib.start("--profile", lib.slow_profile(), "jobs", "run")


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
