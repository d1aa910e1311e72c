"""Helpers of the transcode tests (test_transcode_queue, test_transcode_runs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import media
from integration.conftest import VPO, RunVpo
from integration.ffmpeg_wrappers import slow_ffmpeg, write_tool

FFMPEG = shutil.which(media.FFMPEG) or media.FFMPEG


FFPROBE = shutil.which(media.FFPROBE) or media.FFPROBE


LONG = {"duration": 40, "fps": 25}  # 1000 tiny frames: ~2 s for libx265, 40 s with -re


HANG_GUARD = 60.0


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
        return self.tool_profile(name, write_tool(self.home / f"{name}-ffmpeg.sh", script))

    def tool_profile(self, name: str, ffmpeg: Path) -> str:
        """A profile `name` whose ffmpeg is `ffmpeg`."""
        profiles = self.home / "profiles"
        profiles.mkdir(parents=True, exist_ok=True)
        (profiles / f"{name}.yaml").write_text(f"tools:\n  ffmpeg: {ffmpeg}\n")
        return name

    def slow_profile(self) -> str:
        """A profile whose ffmpeg reads its input in real time."""
        return self.tool_profile("slow", slow_ffmpeg(self.home / "slow-ffmpeg.sh"))

    def start(self, *args: Any, name: str = "run") -> subprocess.Popen[bytes]:
        """`vpo ARGS` in the background; its output goes to files (read with `output`)."""
        out = open(self.home / f"{name}.out", "wb")  # noqa: SIM115 - closed by the child's exit
        err = open(self.home / f"{name}.err", "wb")  # noqa: SIM115
        argv = [str(VPO), *(os.fsencode(a) if isinstance(a, Path) else str(a) for a in args)]
        return subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env)

    def output(self, name: str = "run") -> tuple[str, str]:
        return ((self.home / f"{name}.out").read_text(), (self.home / f"{name}.err").read_text())


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


FULL = {
    "audio": [("eng", "Main", True, 2), ("fra", "Commentary", False, 1)],
    "subtitles": [("eng", None, False, False), ("ger", "Forced", False, True)],
}


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
