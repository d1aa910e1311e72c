"""Fixtures of the scan_incremental tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import engine
import media
import media_libraries
from integration.conftest import age_tree
from integration.scanning.helpers import (
    BULK,
    expect,
)
from integration.scanutil import (
    SPEC_COUNT_KEYS,
    run_vpo,
)


@pytest.fixture(scope="module")
def pristine(corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory) -> tuple[media.Corpus, Path]:
    """An aged corpus copy at a fixed path, catalogued once (7 ok, 3 errors), and a snapshot
    of it and of its VPO_HOME taken right after that scan."""
    base = tmp_path_factory.mktemp("incremental")
    lib = corpus.rebased(base / "lib")
    shutil.copytree(os.fsencode(corpus.root), os.fsencode(lib.root), symlinks=True)
    age_tree(lib.root)
    result = run_vpo(base / "home", "scan", "--json", lib.root)
    assert result.code == 1, result
    assert {k: result.json()["counts"][k] for k in SPEC_COUNT_KEYS} == expect(10, added=7, errors=3)
    snapshot = base / "snapshot"
    # copy2 keeps mtimes to the nanosecond, so the snapshot is exactly what was catalogued
    shutil.copytree(os.fsencode(lib.root), os.fsencode(snapshot / "lib"), symlinks=True)
    engine.copy_home(base / "home", snapshot / "home")
    return lib, snapshot


@pytest.fixture
def scanned(pristine: tuple[media.Corpus, Path], vpo_home: Path) -> media.Corpus:
    """The catalogued library, restored from the snapshot (same paths, same catalogue) in
    the test's own VPO_HOME: one first scan serves the whole module."""
    lib, snapshot = pristine
    shutil.rmtree(os.fsencode(lib.root), ignore_errors=True)
    shutil.copytree(os.fsencode(snapshot / "lib"), os.fsencode(lib.root), symlinks=True)
    engine.copy_home(snapshot / "home", vpo_home)
    return lib


@pytest.fixture(scope="session")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = media_libraries.make_bulk_library(tmp_path_factory.mktemp("bulk") / "lib", count=BULK)
    age_tree(root)
    return root
