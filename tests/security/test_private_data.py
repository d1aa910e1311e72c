"""What VPO writes about a library stays private, and its logs say what happened, never
what the media holds.

- Under a umask of 0 (the worst a user can have), every file and folder VPO creates in
  its home and its log folder, the SQLite WAL and shared-memory files included (looked at
  while a scan holds them open), and rotated logs, are for the user alone.
- A debug JSON log of scan (both probers), inspect, apply (all three tools) and transcode
  holds none of the media's content: subtitle text, attachment bytes, a container tag.
- A hostile policy cannot keep VPO busy.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

import engine
from fault.killing import HANG_GUARD, count, wait_for
from integration.conftest import RunVpo, age_tree
from integration.scanutil import argv, assert_no_traceback, env_for
from media import FFMPEG

MARK = "7f3a9c51"  # in every marker, and nowhere else
SUBTITLE_TEXT = f"SUBTITLE-TEXT-{MARK}"
FONT_BYTES = f"FONT-BYTES-{MARK}"
TAG = f"CONTAINER-TAG-{MARK}"
POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"


def marked_video(dest: Path, *, audio: list[tuple[str, bool]], container: str) -> Path:
    """A 1 s video whose subtitle text, attachment (Matroska) and comment tag carry MARK."""
    with tempfile.TemporaryDirectory() as tmp:
        srt = Path(tmp, "s.srt")
        srt.write_text(f"1\n00:00:00,000 --> 00:00:00,900\n{SUBTITLE_TEXT}\n\n")
        font = Path(tmp, "font.ttf")
        font.write_bytes(b"\x00\x01\x00\x00" + FONT_BYTES.encode() * 4)
        args = [
            FFMPEG,
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=5:duration=1",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=8000:duration=1",
            "-i",
            str(srt),
        ]
        if container == "matroska":
            args += ["-attach", str(font), "-metadata:s:t:0", "mimetype=application/x-truetype-font"]
        args += [
            "-map",
            "0:v",
            *(x for _ in audio for x in ("-map", "1:a")),
            "-map",
            "2:s",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-threads",
            "1",
            "-c:a",
            "aac",
            "-b:a",
            "24k",
            "-c:s",
            "srt" if container == "matroska" else "mov_text",
            "-metadata",
            f"comment={TAG}",
        ]
        for i, (language, default) in enumerate(audio):
            args += [
                f"-metadata:s:a:{i}",
                f"language={language}",
                f"-disposition:a:{i}",
                "default" if default else "0",
            ]
        args += ["-disposition:s:0", "0", "-f", container, str(dest)]
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(args, check=True, capture_output=True, timeout=HANG_GUARD)
    assert MARK.encode() in dest.read_bytes()
    return dest


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Masters: reorder.mkv (mkvmerge), flags.mkv (mkvpropedit), reorder.mp4 (ffmpeg)."""
    base = tmp_path_factory.mktemp("marked")
    marked_video(base / "reorder.mkv", audio=[("jpn", True), ("eng", False)], container="matroska")
    marked_video(base / "flags.mkv", audio=[("eng", False), ("jpn", True)], container="matroska")
    marked_video(base / "reorder.mp4", audio=[("fre", True), ("eng", False)], container="mp4")
    return base


def library(marked: Path, dest: Path) -> Path:
    dest.mkdir()
    for name in ("reorder.mkv", "flags.mkv", "reorder.mp4"):
        shutil.copyfile(marked / name, dest / name)
    age_tree(dest)
    return dest


def test_debug_logs_hold_no_media_content(marked: Path, tmp_path: Path, vpo: RunVpo, vpo_home: Path) -> None:
    lib = library(marked, tmp_path / "lib")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    log = tmp_path / "debug.log"
    debug = ("--log-level", "debug", "--log-json", "--log-file", log)
    results = [
        vpo(*debug, "scan", "--json", lib),
        vpo(*debug, "scan", "--full", "--prober", "ffprobe", "--json", lib),
        vpo(*debug, "inspect", "--json", lib / "reorder.mkv"),
        vpo(*debug, "apply", "--policy", policy, "--json", lib),
        vpo(*debug, "transcode", "--codec", "h264", "--crf", "40", "--json", lib / "reorder.mkv"),
        vpo(*debug, "jobs", "run", "--json"),
    ]
    for result in results:
        assert result.code == 0, result
    job = results[3].json()["job_id"]
    results += [vpo(*debug, "jobs", "show", job, "--json"), vpo(*debug, "jobs", "list", "--json")]
    text = log.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    # the log is the full debug story: probes by both probers, every tool's command line
    messages = " ".join(r["message"] for r in records)
    for expected in ("running mkvmerge", "running mkvpropedit", "running ffmpeg", "probed "):
        assert expected in messages, expected
    assert {r.get("operation") for r in records} >= {"probe", "mkvmerge", "mkvpropedit", "ffmpeg"}
    assert MARK not in text
    for result in results:
        assert MARK not in result.stdout and MARK not in result.stderr, result


def _private(path: Path) -> bool:
    return stat.S_IMODE(os.lstat(path).st_mode) & 0o077 == 0


def test_everything_vpo_writes_for_itself_is_private_whatever_the_umask(marked: Path, tmp_path: Path) -> None:
    lib = library(marked, tmp_path / "lib")
    home = tmp_path / "home"
    logs = tmp_path / "logs"
    slow = tmp_path / "slow-ffprobe"
    slow.write_text('#!/bin/sh\nsleep 0.3\nexec ffprobe "$@"\n')  # the scan lasts a second or more
    slow.chmod(0o755)
    home.mkdir()
    (home / "config.yaml").write_text(  # rotate after a few lines: the rotated files too
        f"logging:\n  file: {logs}/vpo.log\n  level: debug\n  format: json\n  max_bytes: 4000\n  backup_count: 2\n"
        f"scan:\n  prober: ffprobe\n  workers: 1\ntools:\n  ffprobe: {slow}\n"
    )
    home.chmod(0o755)  # a home the user made, open to all: VPO's own files must still be private
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)

    def run(*args: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            argv(*args),
            env=env_for(home),
            capture_output=True,
            timeout=HANG_GUARD,
            stdin=subprocess.DEVNULL,
            preexec_fn=lambda: os.umask(0),
        )

    scan = subprocess.Popen(
        argv("scan", lib),
        env=env_for(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.umask(0),
    )
    if engine.url_for(home) is None:  # a SQLite catalogue: its files, open right now, are private
        wait_for(lambda: count(home, "SELECT count(*) FROM jobs") >= 1, scan, "the scan's job committed")
        held = sorted(p.name for p in home.iterdir() if p.name.startswith("library.db"))
        assert held == ["library.db", "library.db-shm", "library.db-wal"], held
        assert {name: _private(home / name) for name in held} == dict.fromkeys(held, True)
    _, err = scan.communicate(timeout=HANG_GUARD)
    assert scan.returncode == 0, err.decode()
    for args in (
        ("apply", "--policy", policy, lib),
        ("transcode", "--codec", "h264", "--crf", "40", lib / "flags.mkv"),
        ("jobs", "run"),
        ("jobs", "list"),
    ):
        done = run(*args)
        assert done.returncode == 0, (args, done.stderr.decode())

    assert (logs / "vpo.log.1").exists(), sorted(os.listdir(logs))  # it did rotate
    written = [
        Path(d, n)
        for folder in (home, logs)
        for d, dirs, files in os.walk(folder)
        for n in (*dirs, *files)
        if Path(d, n) != home / "config.yaml"
    ]
    assert {str(p): _private(p) for p in written} == {str(p): True for p in written}
    assert _private(logs)


def test_a_policy_whose_aliases_explode_is_refused_at_once(tmp_path: Path, vpo: RunVpo) -> None:
    """40 levels of `&aN [*aN-1, *aN-1]`: 2^40 values once expanded (hang guard: the
    fixture's timeout)."""
    lines = (
        ["schema_version: 1"]
        + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 2) if i else 'x'}]" for i in range(40)]
        + ["commentary_patterns: *a39"]
    )
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    (tmp_path / "lib").mkdir()
    result = vpo("apply", "--dry-run", "--json", "--policy", bomb, tmp_path / "lib", timeout=HANG_GUARD)
    assert_no_traceback(result)
    assert result.code == 2, result
    doc = result.json()
    assert doc["code"] == "POLICY_INVALID" and str(bomb) in doc["message"] and "aliases" in doc["message"], (
        doc
    )
