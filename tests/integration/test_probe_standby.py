"""The spare probe worker `vpo scan` starts while its CLI loads (media/standby.py): it is
adopted by the first probe, stopped when nothing needed probing, and only `scan` starts
one."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from integration.scanutil import run_vpo, run_vpo_as
from vpo.cli.argv import subcommand
from vpo.media import standby


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_discard_stops_the_spare_at_once() -> None:
    standby.start()
    child = standby._spare
    assert child is not None and _alive(child.pid)
    standby.discard()
    # Loading PyAV alone takes it ~0.1 s: had it not been killed it would still be here.
    assert not _alive(child.pid)
    assert standby.take() is None


def test_adopted_spare_answers_probes(corpus) -> None:
    standby.start()
    child = standby.take()
    assert child is not None and standby.take() is None  # handed out once
    try:
        config = {"backend": "pyav", "ffprobe": "ffprobe", "timeout": 30.0}
        good, bad = corpus.videos[0], corpus.broken[0]
        payload = json.dumps(config) + "\n" + good.fspath.hex() + "\n" + bad.fspath.hex() + "\n"
        out, _ = child.communicate(payload.encode(), timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    replies = [json.loads(line) for line in out.splitlines()]
    assert [len(r["ok"]["tracks"]) for r in replies[:1]] == [len(good.tracks)]
    assert "error" in replies[1]
    assert child.returncode == 0  # stdin closed: a clean exit


def test_a_worker_gets_its_configuration_first(corpus) -> None:
    """The ffprobe backend reaches the worker through the configuration line."""
    child = standby.spawn_worker(preload=False)
    config = {"backend": "ffprobe", "ffprobe": "/nonexistent/ffprobe", "timeout": 30.0}
    payload = json.dumps(config) + "\n" + corpus.videos[0].fspath.hex() + "\n"
    out, _ = child.communicate(payload.encode(), timeout=60)
    reply = json.loads(out)
    assert "error" in reply and "ffprobe" in reply["error"]


def test_scan_probes_with_the_spare(corpus, tmp_path: Path) -> None:
    home = tmp_path / "home"
    lib = tmp_path / "lib"
    shutil.copytree(corpus.root, lib)
    first = run_vpo(home, "--log-level", "debug", "scan", "--workers", "1", "--json", lib)
    assert first.code == 1, first  # the corpus holds broken files
    assert "the spare one started with the command" in first.stderr
    # One worker allowed: the spare did every probe, no other worker was started.
    workers = re.findall(r"probe worker \d+: .*", first.stderr)
    assert len(workers) == 1 and "the spare one" in workers[0], workers
    assert json.loads(first.stdout)["counts"]["added"] == len(corpus.videos)


def test_scan_that_probes_nothing_stops_the_spare(corpus, tmp_path: Path) -> None:
    """Through the CLI: the exit path stops the unused spare (and `discard` kills at once:
    test_discard_stops_the_spare_at_once)."""
    home = tmp_path / "home"
    lib = tmp_path / "lib"
    shutil.copytree(corpus.root, lib)
    old = time.time() - 3600
    for path in lib.rglob("*"):
        os.utime(path, (old, old))
    run_vpo(home, "scan", lib)
    again = run_vpo(home, "--log-level", "debug", "scan", "--json", lib)
    assert json.loads(again.stdout)["counts"]["scanned"] == 0, again
    assert not re.search(r"probe worker \d+", again.stderr), again.stderr  # none was used
    assert "stopped the spare probe worker, unused" in again.stderr


def test_one_cpu_starts_no_spare(corpus, tmp_path: Path) -> None:
    """With one CPU the spare could only load at the CLI's expense."""
    lib = tmp_path / "lib"
    shutil.copytree(corpus.root, lib)
    done = run_vpo_as(
        ["taskset", "-c", "0"], tmp_path / "home", "--log-level", "debug", "scan", "--json", lib
    )
    assert json.loads(done.stdout)["counts"]["added"] == len(corpus.videos), done
    assert "the spare one" not in done.stderr
    assert re.search(r"probe worker \d+: started", done.stderr)


def test_other_commands_start_no_spare(tmp_path: Path) -> None:
    listed = run_vpo(tmp_path / "home", "--log-level", "debug", "jobs", "list", "--type", "scan")
    assert listed.code == 0, listed
    assert "spare probe worker" not in listed.stderr and "the spare one" not in listed.stderr


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["scan", "/lib"], "scan"),
        (["--log-level", "debug", "scan", "/lib"], "scan"),
        (["--log-level=debug", "--log-json", "scan"], "scan"),
        (["-p", "scan", "jobs", "list"], "jobs"),  # a profile named "scan"
        (["--profile", "movies", "jobs", "list", "--type", "scan"], "jobs"),
        (["--log-file", "/tmp/scan", "inspect", "x"], "inspect"),
        (["--help"], None),
        ([], None),
    ],
)
def test_command_is_found_past_the_global_options(args: list[str], command: str | None) -> None:
    assert subcommand(args) == command
