"""The live progress displays, as a person sees them: stderr on a real pseudo-terminal.

Frames are read off the terminal's byte stream (rich redraws a line with carriage returns
and cursor movements), so the test sees what a terminal would draw, frame by frame.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

import media_libraries
from integration.conftest import VPO, age_tree

COLOUR = re.compile(rb"\x1b\[[0-9;]*m")  # colours: inside a line
MOVE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")  # cursor moves and erases: between frames


def run_on_tty(home: Path, *args: str | Path, guard: float = 120) -> tuple[int, str, str]:
    """Run vpo with stderr on a pty (stdout a pipe); returns (exit code, stdout, tty text)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPO_")}
    env.update(VPO_HOME=str(home), TERM="xterm-256color", COLUMNS="140", LINES="40")
    proc = subprocess.Popen(
        [str(VPO), *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + guard  # a hang guard, not a time limit on the work
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=30)
    raw = b"".join(chunks)
    text = MOVE.sub(b"\n", COLOUR.sub(b"", raw)).replace(b"\r", b"\n")
    return code, out, text.decode("utf-8", "replace")


def frames(text: str, pattern: str) -> list[tuple[int, ...]]:
    return [tuple(int(g.replace(",", "")) for g in m.groups()) for m in re.finditer(pattern, text)]


@pytest.fixture(scope="module")
def slow_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 40 files: a second or more of probing with one worker, drawn ten times a second
    root = media_libraries.make_bulk_library(tmp_path_factory.mktemp("progress") / "lib", count=40)
    age_tree(root)
    return root


def test_scan_progress_rises_while_probing_and_ends_clean(slow_lib: Path, tmp_path: Path) -> None:
    # one ffprobe worker: ~30 ms a file, so the scan lasts long enough to see many frames
    code, out, tty = run_on_tty(tmp_path / "home", "scan", "--workers", "1", "--prober", "ffprobe", slow_lib)
    assert code == 0, (out, tty)
    probed = [p for p, _q in frames(tty, r"probing\s.*?([\d,]+)/([\d,]+) probed")]
    assert len(set(probed)) >= 3, tty  # the count rises frame by frame, not one frozen frame
    assert probed == sorted(probed), probed
    assert re.search(r"files/s, ETA \d", tty), tty
    assert out.startswith(f"Scanning {slow_lib} ...\n"), out  # the header first, then the work
    assert "Added (new):" in out and "Traceback" not in tty


def test_no_progress_when_stderr_is_not_a_terminal(vpo, slow_lib: Path) -> None:
    result = vpo("scan", slow_lib)
    assert result.code == 0 and result.stderr == "", result


def test_jobs_run_shows_percent_moving_and_a_line_per_finished_job(make_video, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    make_video(lib / "clip.mkv", duration=8, width=320, height=240, fps=25)
    age_tree(lib)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPO_")} | {"VPO_HOME": str(home)}
    for args in (["scan", str(lib)], ["transcode", "--codec", "hevc", str(lib)]):
        assert subprocess.run([str(VPO), *args], env=env, capture_output=True).returncode == 0
    code, out, tty = run_on_tty(home, "jobs", "run")
    assert code == 0, (out, tty)
    percents = [p for (p,) in frames(tty, r"clip\.mkv.*?(\d+)%")]
    assert len(set(percents)) >= 2, tty  # the percent moves
    assert re.search(r"\d+\.\dx\s+ETA", tty), tty  # speed as a multiple of real time
    assert re.search(r"completed\s+[0-9a-f]{8} clip\.mkv", tty), tty  # the finished job's line stays
