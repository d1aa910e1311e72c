"""Fixtures of the apply tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from integration.applying.helpers import (
    LAYOUTS,
    POLICY,
    Run,
    db_tracks,
    listing,
    make_library,
    snap,
)
from integration.conftest import RunVpo
from integration.scanutil import run_vpo


@pytest.fixture(scope="module")
def run(make_video: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("apply")
    root, home = base / "lib", base / "home"
    paths = make_library(make_video, root, list(LAYOUTS))
    policy = base / "policy.yaml"
    policy.write_text(POLICY)
    scanned = run_vpo(home, "scan", root)
    assert scanned.code == 0, scanned
    before = {n: snap(p) for n, p in paths.items()}
    first = run_vpo(home, "--log-level", "debug", "apply", "--policy", policy, "--json", root)
    after_first = {n: snap(p) for n, p in paths.items()}
    listing_after_first = listing(root)
    db_after_first = {n: db_tracks(home, p) for n, p in paths.items()}
    second = run_vpo(home, "apply", "--policy", policy, "--json", root)
    after_second = {n: snap(p) for n, p in paths.items()}
    inspected = {
        n: run_vpo(home, "inspect", "--json", paths[n])
        for n in ("flags.mkv", "reorder.mkv", "reorder.mp4", "fra.mkv", "compliant.mkv")
    }
    rescan = run_vpo(home, "scan", "--json", root)
    db_after_rescan = {n: db_tracks(home, p) for n, p in paths.items()}
    r = Run(
        root,
        home,
        paths,
        before,
        first,
        after_first,
        listing_after_first,
        db_after_first,
        second,
        after_second,
        inspected,
        rescan,
        db_after_rescan,
    )
    r.jobs["list"] = run_vpo(home, "jobs", "list", "--type", "apply", "--json")
    r.jobs["file"] = run_vpo(home, "jobs", "list", "--file", paths["reorder.mkv"], "--json")
    r.jobs["show"] = run_vpo(home, "jobs", "show", first.json()["job_id"], "--json")
    return r


@pytest.fixture
def lib(make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo) -> Callable[..., dict[str, Path]]:
    """`lib(*names)`: those LAYOUTS files in tmp_path/lib, aged and scanned."""

    def build(*names: str) -> dict[str, Path]:
        paths = make_library(make_video, tmp_path / "lib", list(names))
        done = vpo("scan", tmp_path / "lib")
        assert done.code == 0, done
        return paths

    return build


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path
