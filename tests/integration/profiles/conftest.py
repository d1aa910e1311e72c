"""Fixtures of the profiles tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import media
from integration.conftest import VPO, age_tree
from integration.profiles.helpers import (
    RUNS,
    write_layers,
)
from integration.scanutil import env_for, query


@pytest.fixture(scope="module")
def two_files(corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of one .mkv and one .mp4 (read-only: scans never write to media)."""
    root = tmp_path_factory.mktemp("two-files")
    shutil.copy2(corpus.by_name("movie.mkv").path, root / "movie.mkv")
    shutil.copy2(corpus.by_name("dual.mp4").path, root / "dual.mp4")
    age_tree(root)
    return root


@pytest.fixture
def layered(vpo_home: Path) -> Path:
    return write_layers(vpo_home)


@pytest.fixture(scope="module")
def scans(two_files: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each run of RUNS: the options its job recorded, its discovered count, its job id.
    "defaults" runs in an empty VPO_HOME, every other run in its own copy of the layered
    files; the runs are independent, so they run at once."""
    running = {}
    for name, (args, extra) in RUNS.items():
        home = tmp_path_factory.mktemp(f"home-{name}")
        if name != "defaults":
            write_layers(home)
        before, _, after = " ".join(args).partition("@")
        argv = [*before.split(), "scan", "--json", str(two_files), *after.split()]
        child = subprocess.Popen(
            [str(VPO), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**env_for(home), **extra},
            stdin=subprocess.DEVNULL,
        )
        running[name] = (home, child)
    out = {}
    for name, (home, child) in running.items():
        stdout, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, (name, stdout, stderr)
        report = json.loads(stdout)
        options = json.loads(query(home, "SELECT options FROM jobs WHERE id = ?", report["job_id"])[0][0])
        out[name] = {
            **options,
            "discovered": report["counts"]["discovered"],
            "job_id": report["job_id"],
            "home": home,
        }
    return out
