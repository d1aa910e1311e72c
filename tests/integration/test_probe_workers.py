"""Probe workers start when a file first needs probing, never before (SPEC section 20): a
rescan of an unchanged library starts no process at all. Every process the real CLI starts
is seen by a spy on `subprocess.Popen` run in front of the console script."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from integration.scanutil import run_vpo, run_vpo_as
from vpo.cli.argv import subcommand
from vpo.media.probe_pool import spawn_worker

# Runs the console script (argv[1]) after wrapping Popen: each process started is a line.
SPY = """
import runpy, subprocess, sys
real = subprocess.Popen.__init__
def spy(self, args, *rest, **kw):
    sys.stderr.write("STARTED %r\\n" % (args,))
    sys.stderr.flush()
    real(self, args, *rest, **kw)
subprocess.Popen.__init__ = spy
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _spied(home: Path, *args: object):  # type: ignore[no-untyped-def]
    done = run_vpo_as([sys.executable, "-c", SPY], home, *args)
    return done, re.findall(r"^STARTED (.*)$", done.stderr, re.M)


def _aged_copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    old = time.time() - 3600
    for path in dest.rglob("*"):
        os.utime(path, (old, old))
    return dest


def test_a_no_change_rescan_starts_no_process(corpus, tmp_path: Path) -> None:
    home = tmp_path / "home"
    lib = _aged_copy(corpus.root, tmp_path / "lib")
    first, started = _spied(home, "scan", "--json", lib)
    assert json.loads(first.stdout)["counts"]["added"] == len(corpus.videos), first
    assert any("vpo.media.probe_worker" in s for s in started), started  # the spy sees workers
    again, started = _spied(home, "scan", "--json", lib)
    assert json.loads(again.stdout)["counts"]["scanned"] == 0, again
    assert started == [], started


def test_an_unchanged_one_file_library_starts_no_process(corpus, tmp_path: Path) -> None:
    home = tmp_path / "home"
    lib = tmp_path / "lib"
    lib.mkdir()
    film = lib / "film.mkv"
    shutil.copy2(corpus.videos[0].path, film)
    old = time.time() - 3600
    os.utime(film, (old, old))
    assert run_vpo(home, "scan", lib).code == 0
    again, started = _spied(home, "--log-level", "debug", "scan", "--json", lib)
    assert json.loads(again.stdout)["counts"]["skipped"] == 1, again
    assert started == [] and "probe worker" not in again.stderr, again.stderr


def test_workers_start_with_the_first_probe(corpus, tmp_path: Path) -> None:
    """One worker allowed: one started, when the scan found its first file to probe."""
    lib = _aged_copy(corpus.root, tmp_path / "lib")
    first = run_vpo(tmp_path / "home", "--log-level", "debug", "scan", "--workers", "1", "--json", lib)
    assert first.code == 1, first  # the corpus holds broken files
    assert len(re.findall(r"probe worker \d+: started", first.stderr)) == 1, first.stderr
    assert json.loads(first.stdout)["counts"]["added"] == len(corpus.videos)


def test_a_worker_gets_its_configuration_first(corpus) -> None:
    """The ffprobe backend reaches the worker through the configuration line."""
    child = spawn_worker()
    config = {"backend": "ffprobe", "ffprobe": "/nonexistent/ffprobe", "timeout": 30.0}
    payload = json.dumps(config) + "\n" + corpus.videos[0].fspath.hex() + "\n"
    out, _ = child.communicate(payload.encode(), timeout=60)
    reply = json.loads(out)
    assert "error" in reply and "ffprobe" in reply["error"]


def test_a_worker_answers_probes(corpus) -> None:
    child = spawn_worker()
    config = {"backend": "pyav", "ffprobe": "ffprobe", "timeout": 30.0}
    good, bad = corpus.videos[0], corpus.broken[0]
    payload = json.dumps(config) + "\n" + good.fspath.hex() + "\n" + bad.fspath.hex() + "\n"
    out, _ = child.communicate(payload.encode(), timeout=60)
    replies = [json.loads(line) for line in out.splitlines()]
    assert len(replies[0]["ok"]["tracks"]) == len(good.tracks)
    assert "error" in replies[1]
    assert child.returncode == 0  # stdin closed: a clean exit


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
