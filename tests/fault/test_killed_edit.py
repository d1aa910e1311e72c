"""An in-place edit (mkvpropedit under a journal) killed with SIGKILL at a random moment:
after the next command that opens the file (scan, inspect, jobs list, apply), the file is
the original or the verified result, byte for byte; no pending journal is left; the
catalogue agrees with the file; and a rollback is recorded on the killed job.

mkvpropedit runs behind a wrapper that pauses a random 0-0.2 s before and after the real
tool, so kills land before, during and after it; vpo alone or its whole process group is
killed (a tool that outlives vpo finishes first: the file lock it inherited keeps the next
command off the file until then). Seeded: a failure names its trial.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fault.killing import assert_sound, kill, start, wait_group_gone
from integration.conftest import age_tree
from integration.scanutil import query, run_vpo

POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"
FLAGS = dict(audio=[("eng", None, False), ("jpn", None, True)], tone=1710)
JITTER = """#!/bin/sh
sleep "$(awk 'BEGIN {{ srand(); printf "%.3f", rand() / 5 }}')"
'{real}' "$@"
rc=$?
sleep "$(awk 'BEGIN {{ srand(); printf "%.3f", rand() / 5 }}')"
exit $rc
"""
NEXT = (("scan", "{root}"), ("inspect", "{file}"), ("jobs", "list"), ("apply", "--dry-run", "{file}"))
TRIALS = 24
DEFAULT_TRIALS = {2, 4, 5}  # seeds whose kill lands mid-edit or after the result on this machine


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def edit_seconds(make_video: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long an uninterrupted apply of the file takes with the jittery mkvpropedit."""
    base = tmp_path_factory.mktemp("timed-edit")
    file, home, policy = _setup(make_video, base)
    started = time.monotonic()
    done = run_vpo(home, "--profile", "jitter", "apply", "--policy", policy, file)
    assert done.code == 0, done
    return time.monotonic() - started


def _setup(make_video: Callable[..., Path], base: Path) -> tuple[Path, Path, Path]:
    root, home = base / "lib", base / "home"
    file = make_video(root / "flags.mkv", **FLAGS)
    age_tree(root)
    (base / "policy.yaml").write_text(POLICY)
    real = shutil.which("mkvpropedit")
    assert real
    wrapper = base / "jitter-mkvpropedit"
    wrapper.write_text(JITTER.format(real=real))
    wrapper.chmod(0o755)
    (home / "profiles").mkdir(parents=True)
    (home / "profiles" / "jitter.yaml").write_text(f"name: jitter\ntools:\n  mkvpropedit: {wrapper}\n")
    assert run_vpo(home, "scan", root).code == 0
    return file, home, base / "policy.yaml"


def _verified_result(file: Path, base: Path) -> str:
    """What a clean apply makes of these very bytes (mkvpropedit is deterministic)."""
    root, home = base / "ref", base / "ref-home"
    root.mkdir()
    copy = root / file.name
    shutil.copy2(file, copy)
    assert run_vpo(home, "scan", root).code == 0
    done = run_vpo(home, "apply", "--policy", base / "policy.yaml", copy)
    assert done.code == 0, done
    return sha(copy)


@pytest.mark.parametrize(
    "trial",
    [pytest.param(t, marks=() if t in DEFAULT_TRIALS else pytest.mark.slow) for t in range(TRIALS)],
)
def test_a_killed_in_place_edit_ends_as_the_original_or_the_result(
    trial: int, edit_seconds: float, make_video: Callable[..., Path], tmp_path: Path
) -> None:
    rng = random.Random(f"killed-edit-{trial}")
    file, home, policy = _setup(make_video, tmp_path)
    original = sha(file)
    result = _verified_result(file, tmp_path)
    assert result != original
    delay, group = rng.uniform(0.0, edit_seconds), rng.random() < 0.5
    proc = start(home, "--profile", "jitter", "apply", "--policy", policy, "--json", file)
    time.sleep(delay)
    kill(proc, group=group)
    wait_group_gone(proc.pid)
    pending = list((home / "journal").glob("pending-*.vpoj")) if (home / "journal").exists() else []

    command = [a.format(root=file.parent, file=file) for a in rng.choice(NEXT)]
    if command[0] == "apply":
        command[1:1] = ["--policy", str(policy)]
    done = run_vpo(home, *command)
    assert done.code == 0, (trial, command, done)

    now = sha(file)
    assert now in (original, result), f"trial {trial}: the file is neither the original nor the result"
    assert not list((home / "journal").glob("pending-*")), f"trial {trial}: a pending journal is left"
    st = file.stat()
    assert query(home, "SELECT size, mtime_ns FROM files WHERE path = ?", os.fsencode(file)) == [
        (st.st_size, st.st_mtime_ns)
    ], f"trial {trial}: the catalogue does not know the file as it is"
    if pending and now == original:  # a killed edit was put back: its job says so
        rows = query(home, "SELECT outcome FROM job_files WHERE outcome = 'rolled_back'")
        assert rows == [("rolled_back",)], (trial, rows)
    assert_sound(home)
    # and the story ends: the next apply gives the verified result
    final = run_vpo(home, "apply", "--policy", policy, "--json", file)
    assert final.code == 0, final
    assert sha(file) == result
