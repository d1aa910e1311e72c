"""SIGTERM stops every command within seconds, even while a tool it runs never answers or a
file is a FIFO, and no process of it is left behind; nor after a SIGKILL (issue 22,
finding 3). Before, `vpo jobs run` stuck on a FIFO ignored SIGTERM, and the other commands
died on it at once, leaving their probe workers and tools running or waiting forever.

Each test starts the real `vpo` in the background with a tool that never answers (a
script that sleeps, media/children.py's concern) and, where it matters, a FIFO in a
catalogued file's place, sends the signal once the tool is stuck, and looks through /proc
for any process carrying the test's VPO_HOME.
"""

from __future__ import annotations

import hashlib
import signal
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo
from integration.scanutil import query
from security.stuck import (  # noqa: F401  (the fixtures)
    FIFO_ERROR,
    POLICY,
    Guard,
    Lib,
    guard_fixture,
    left_behind,
    lib_fixture,
    start,
    stop_with,
    stuck_pids,
    stuck_tool,
    survivors,
    wait_until,
)

SIGTERMED = 128 + signal.SIGTERM  # 143


def configure(home: Path, text: str) -> None:
    """The settings the next commands run with (after the catalogue was made)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(text)


def stuck_ffprobe(home: Path) -> None:
    """Probes by an ffprobe that never answers (and a timeout no test waits for)."""
    tool = stuck_tool(home, "ffprobe")
    configure(home, f"scan:\n  prober: ffprobe\n  probe_timeout: 600\ntools:\n  ffprobe: {tool}\n")


def wait_stuck(home: Path, proc: Any) -> None:
    """Until the stuck tool runs (or the guard passes, or `vpo` ended: the signal then
    finds what it finds, and the test fails on what was left or how it ended)."""
    wait_until(lambda: stuck_pids(home) or proc.poll() is not None)


@pytest.mark.parametrize(
    "command",
    [
        ["scan", "--full"],
        pytest.param(["check"], marks=pytest.mark.slow),  # probe workers, as scan's
        ["inspect", "good"],
        ["jobs", "run"],
    ],
    ids=["scan", "check", "inspect", "jobs-run"],
)
def test_sigterm_while_a_probe_is_stuck(
    lib: Lib, vpo: RunVpo, vpo_env: dict[str, str], vpo_home: Path, guard: Guard, command: list[str]
) -> None:
    """`jobs run` probes in a worker thread, inspect in the main thread, scan and check in
    probe worker processes: each stops, and its ffprobe goes with it."""
    if command[0] == "jobs":
        assert vpo("transcode", lib.good).code == 0
    guard.fifo_in_place(lib.victim)
    stuck_ffprobe(vpo_home)
    args = [lib.good if a == "good" else a for a in command] + (
        [] if command[0] in ("inspect", "jobs") else [lib.root]
    )
    proc = start(vpo_env, *args)
    wait_stuck(vpo_home, proc)
    assert stuck_pids(vpo_home), "the probe never started"
    code, _, err = stop_with(proc, signal.SIGTERM)
    assert code == SIGTERMED, err
    assert "Traceback" not in err
    assert left_behind(str(vpo_home)) == []


def test_sigterm_while_jobs_run_encodes_after_a_fifo(
    lib: Lib, vpo: RunVpo, vpo_env: dict[str, str], vpo_home: Path, guard: Guard
) -> None:
    """The FIFO's job fails at once; SIGTERM stops the next one's ffmpeg and requeues it."""
    queued = vpo("transcode", "--json", lib.victim, lib.good)
    victim_job, good_job = (f["job_id"] for f in queued.json()["files"])
    guard.fifo_in_place(lib.victim)
    configure(vpo_home, f"tools:\n  ffmpeg: {stuck_tool(vpo_home, 'ffmpeg', '-progress')}\n")
    proc = start(vpo_env, "jobs", "run", "--workers", "1", "--json")
    wait_stuck(vpo_home, proc)
    code, _, err = stop_with(proc, signal.SIGTERM)
    assert code == SIGTERMED, err
    assert left_behind(str(vpo_home)) == []
    jobs = {i: (s, e) for i, s, e in query(vpo_home, "SELECT id, status, error_message FROM jobs")}
    assert jobs[victim_job] == ("failed", f"cannot read {lib.victim}: {FIFO_ERROR}")
    assert jobs[good_job][0] == "queued"  # put back, to run again


def test_sigterm_while_check_decodes(lib: Lib, vpo_env: dict[str, str], vpo_home: Path, guard: Guard) -> None:
    guard.fifo_in_place(lib.victim)
    configure(vpo_home, f"tools:\n  ffmpeg: {stuck_tool(vpo_home, 'ffmpeg', '-f null')}\n")
    proc = start(vpo_env, "check", "--thorough", lib.root)
    wait_stuck(vpo_home, proc)
    assert stuck_pids(vpo_home), "the decode never started"
    code, _, err = stop_with(proc, signal.SIGTERM)
    assert code == SIGTERMED, err
    assert "Traceback" not in err
    assert left_behind(str(vpo_home)) == []


def test_sigterm_while_apply_edits_puts_the_file_back(
    lib: Lib, vpo_env: dict[str, str], vpo_home: Path, guard: Guard, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    before = hashlib.sha256(lib.good.read_bytes()).hexdigest()
    guard.fifo_in_place(lib.victim)
    configure(vpo_home, f"tools:\n  mkvpropedit: {stuck_tool(vpo_home, 'mkvpropedit')}\n")
    proc = start(vpo_env, "apply", "--policy", policy, lib.root)
    wait_stuck(vpo_home, proc)
    assert stuck_pids(vpo_home), "mkvpropedit never started"
    code, _, err = stop_with(proc, signal.SIGTERM)
    assert code == SIGTERMED, err
    assert "Traceback" not in err
    assert left_behind(str(vpo_home)) == []
    assert hashlib.sha256(lib.good.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("command", [["scan", "--full"], ["check"]], ids=["scan", "check"])
def test_sigkill_leaves_no_probe_worker(
    lib: Lib, vpo_env: dict[str, str], vpo_home: Path, guard: Guard, command: list[str]
) -> None:
    """The probe worker and its ffprobe die with a `vpo` killed outright (PR_SET_PDEATHSIG):
    nothing else would ever stop them."""
    guard.fifo_in_place(lib.victim)
    stuck_ffprobe(vpo_home)
    proc = start(vpo_env, *command, lib.root)
    wait_stuck(vpo_home, proc)
    assert stuck_pids(vpo_home), "the probe never started"
    assert len(survivors(str(vpo_home))) >= 3  # vpo, its probe worker, the stuck ffprobe
    code, _, _ = stop_with(proc, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert left_behind(str(vpo_home)) == []
