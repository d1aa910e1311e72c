"""A transcode result must pass the quick check before it replaces anything (SPEC
section 14): an ffmpeg whose output comes out cut short never costs the original."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from integration.conftest import RunVpo, age_tree

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"


def test_a_truncated_transcode_output_never_replaces_the_original(
    tmp_path: Path, vpo: RunVpo, vpo_home: Path, make_video: Callable[..., Path]
) -> None:
    root = tmp_path / "lib"
    path = make_video(root / "film.mkv", duration=3.0)
    age_tree(root)
    assert vpo("scan", root).code == 0
    original = path.read_bytes()
    # The real ffmpeg, whose output then loses its last third (a full disk, a crash of the
    # muxer after the headers were written): every stream is still listed.
    cutting = tmp_path / "cutting-ffmpeg"
    cutting.write_text(
        f"#!{sys.executable}\nimport os, subprocess, sys\n"
        f"code = subprocess.call([{FFMPEG!r}] + sys.argv[1:])\n"
        "out = sys.argv[-1].removeprefix('file:')\n"
        "if code == 0 and '-i' in sys.argv and os.path.isfile(out):\n"
        "    os.truncate(out, os.path.getsize(out) * 2 // 3)\n"
        "sys.exit(code)\n"
    )
    cutting.chmod(0o755)
    profiles = vpo_home / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    (profiles / "cutting.yaml").write_text(f"tools:\n  ffmpeg: {cutting}\n")

    queued = vpo("transcode", "--codec", "hevc", "--json", path)
    assert queued.code == 0, queued
    [job_id] = [f["job_id"] for f in queued.json()["files"] if f["status"] == "queued"]
    run = vpo("--profile", "cutting", "jobs", "run")
    assert run.code == 1, run
    job = vpo("jobs", "show", job_id, "--json").json()
    assert job["status"] == "failed"
    message = job["error"]["message"]
    assert message.startswith("verification failed: cannot read the output"), message
    assert "truncated: the Segment ends at" in message, message
    assert path.read_bytes() == original
    assert sorted(os.listdir(root)) == ["film.mkv"]  # no temp file left either
