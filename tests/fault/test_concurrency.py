"""Three `vpo scan`s of one library at once (a fresh home: they race to create and migrate
the database too), with `vpo jobs list --json` and `vpo jobs show --json` polled in a loop
all the while: every command succeeds, every JSON document parses, and the catalogue
ends up exactly as one scan alone makes it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import media
import media_libraries
from fault.killing import HANG_GUARD, assert_sound, catalogue, jobs, start
from integration.conftest import age_tree
from integration.scanutil import argv, env_for, run_vpo

LIST_KEYS = {"id", "type", "status", "path", "created_at", "started_at", "finished_at", "duration_seconds"}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[bytes, tuple]]:
    """A library (some broken files, a non-UTF-8 name) and its catalogue after one clean scan."""
    base = tmp_path_factory.mktemp("concurrent")
    root = media_libraries.make_bulk_library(base / "lib", count=30, dirs=3)
    (root / "broken").mkdir()
    (root / "broken" / "empty.mkv").write_bytes(b"")
    media.random_bytes_file(root / "broken" / "noise.mkv")
    shutil.copyfile(root / "dir-00" / "bulk-0000000.mkv", os.fsencode(root) + b"/caf\xe9.mkv")
    age_tree(root)
    assert run_vpo(base / "ref", "scan", root).code == 1
    return root, catalogue(base / "ref")


def test_three_scans_and_a_jobs_list_loop(tree: tuple[Path, dict[bytes, tuple]], tmp_path: Path) -> None:
    root, reference = tree
    home = tmp_path / "home"
    scans = [start(home, "scan", "--json", *extra, root) for extra in ([], ["--full"], ["--verify-hash"])]
    polls = 0
    try:
        while any(p.poll() is None for p in scans):
            listed = subprocess.run(
                argv("jobs", "list", "--json", "--limit", "100"),
                env=env_for(home),
                capture_output=True,
                timeout=HANG_GUARD,
                stdin=subprocess.DEVNULL,
            )
            assert listed.returncode == 0, listed.stderr.decode()
            assert b"Traceback" not in listed.stderr, listed.stderr.decode()
            doc = json.loads(listed.stdout)
            assert isinstance(doc, list) and len(doc) <= 3, doc
            for job in doc:
                assert set(job) >= LIST_KEYS and job["type"] == "scan", job
                assert job["status"] in ("running", "completed"), job
            polls += 1
            if doc:
                one = subprocess.run(
                    argv("jobs", "show", doc[-1]["id"], "--json"),
                    env=env_for(home),
                    capture_output=True,
                    timeout=HANG_GUARD,
                    stdin=subprocess.DEVNULL,
                )
                assert one.returncode == 0, one.stderr.decode()
                assert json.loads(one.stdout)["id"] == doc[-1]["id"]
    finally:
        outs = [p.communicate(timeout=HANG_GUARD) for p in scans]
    for proc, (out, err) in zip(scans, outs):
        assert proc.returncode in (0, 1), err.decode()
        assert b"Traceback" not in err and b"locked" not in err, err.decode()
        assert json.loads(out)["status"] == "completed"
    assert polls >= 1
    assert catalogue(home) == reference
    assert_sound(home)
    assert sorted(status for _, status, _ in jobs(home).values()) == ["completed"] * 3
